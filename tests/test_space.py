"""The static Space (build_space.py, emotion/ui/space.py, web/): the build, the browser code's node tests against
Python, and the built page served as a Static Space serves it, in chromium. The tiny model runs in the default
suite; the shipped model on real test comments is behind the integration mark."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from emotion.ui import space
from emotion.ui.assets import POLICY_JS
from test_app_e2e import CHROMIUM, browser_test, launch

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
DATA = ROOT.parent / "shared" / "data" / "goemotions"
INT8_TOLERANCE = 0.02  # tests/test_backends.py: int8 answers differ between instruction sets (docs/inference.md)
SPACE_VIEW = {"width": 1280, "height": 900}
INJECTION = "<img src=x onerror=window.__pwned=1> lol <script>window.__pwned=2</script>"

needs_modules = pytest.mark.skipif(not (space.WEB / "node_modules").is_dir() and not os.environ.get("REQUIRE_BROWSER"),
                                   reason="web/node_modules missing: npm ci --prefix web")


def build(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "build_space.py", str(out), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def named_profile(head_profile, tmp_path_factory) -> Path:
    """The profile with heads, named with markup: the page must show the name as text."""
    path = tmp_path_factory.mktemp("named") / "team.json"
    path.write_text(json.dumps({**json.loads(head_profile.read_text()), "name": INJECTION[:60]}))
    return path


@pytest.fixture(scope="module")
def built(tiny_checkpoint, named_profile, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("space") / "site"
    done = build(out, "--checkpoint", str(tiny_checkpoint), "--data_dir", str(tiny_checkpoint.parent / "data"),
                 "--profile", str(named_profile))
    assert done.returncode == 0, done.stderr
    return out


@contextmanager
def plain_http_server(folder: Path):
    """`python -m http.server`, as the README says to try the folder: no COOP/COEP headers."""
    import time
    import urllib.request

    from emotion.cli import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "-d", str(folder), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def serving(folder: Path, isolated: bool = True):
    srv = space.server(folder, 0, isolated=isolated)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


def open_page(page, url: str, seconds: float = 60) -> None:
    page.goto(url)
    page.wait_for_function("window.emotion && document.querySelector('#predict') && !document.querySelector('#predict').disabled",
                           timeout=seconds * 1000)


def predict(page, text: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Comment", exact=True).first.fill(text)
    page.get_by_label("Comment", exact=True).first.press("Enter")
    expect(page.locator("#bars table.bars tbody tr").first).to_be_visible(timeout=30_000)


# --- the build ---------------------------------------------------------------------------------------------------

@needs_modules
def test_build_writes_a_folder_a_static_space_serves_as_it_is(built, tiny_checkpoint):
    readme = (built / "README.md").read_text()
    front = readme.split("---")[1]
    assert "sdk: static" in front and "app_file: index.html" in front
    for name, value in space.ISOLATION_HEADERS.items():
        assert f"  {name}: {value}" in front
    assert "CC BY 4.0" in readme  # built with the test set: its comments come with their attribution
    for name in [*space.PAGE_FILES, *(f"ui/{n}" for n in space.SHARED_FILES), *space.VENDOR, space.MODEL, space.WARMUP, space.SETTINGS,
                 space.EMOJI, space.TEST]:
        assert (built / name).is_file(), name
    # The app's drawing code itself, not a copy that could drift.
    assert (built / "ui/render.js").read_bytes() == (ROOT / "emotion/ui/render.js").read_bytes()
    assert (built / space.POLICY_FILE).read_text() == POLICY_JS  # the policies' names, from Python
    settings = json.loads((built / space.SETTINGS).read_text())
    assert settings["model"]["bytes"] == (built / space.MODEL).stat().st_size
    assert settings["answers"]["labels"][-3:] == ["thankful", "puzzled", "hyped"] or \
        set(settings["answers"]["labels"][28:]) == {"thankful", "puzzled", "hyped"}
    assert set(settings["answers"]["heads"]) >= {"thankful", "puzzled", "hyped"}
    assert settings["text_normalization"] == "demojize" and settings["limits"]["max_rows"] == 1000
    test = json.loads((built / space.TEST).read_text())
    assert len(test["texts"]) == len(test["gold"]) == len(test["probabilities"]) == 24
    # Nothing the page runs names another origin.
    import re

    for name in [*space.PAGE_FILES, *(f"ui/{n}" for n in space.SHARED_FILES)]:
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", (built / name).read_text()), name


@needs_modules
def test_a_build_without_the_test_set_carries_no_comments(tiny_checkpoint, tmp_path):
    done = build(tmp_path / "site", "--checkpoint", str(tiny_checkpoint))
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "site" / "data").exists()
    assert json.loads((tmp_path / "site" / space.SETTINGS).read_text())["data"] is None
    assert "CC BY" not in (tmp_path / "site" / "README.md").read_text()
    if Path(CHROMIUM).exists():  # the test-set views say what is missing, as the app's do
        from playwright.sync_api import expect, sync_playwright

        with serving(tmp_path / "site") as url, sync_playwright() as p:
            browser, page = launch(p, SPACE_VIEW)
            open_page(page, url)
            page.get_by_role("tab", name="Errors").click()
            expect(page.locator("#errors-body")).to_contain_text("built without the test set")
            expect(page.locator("#errors-filters")).to_be_hidden()
            browser.close()
    again = build(tmp_path / "site", "--checkpoint", str(tiny_checkpoint))  # an earlier build is replaced
    assert again.returncode == 0, again.stderr


def test_a_test_set_without_stored_probabilities_is_scored_on_int8_with_int8_thresholds(tiny_checkpoint, tmp_path):
    """The probabilities and the thresholds the page reads go together: the int8 graph's own when it scored."""
    import shutil

    from emotion.checkpoint import Checkpoint, probabilities_file
    from emotion.serve.predict import EmotionClassifier

    copy = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, copy, ignore=shutil.ignore_patterns(probabilities_file("test")))
    checkpoint = Checkpoint.open(copy)
    found = space.test_set(checkpoint, tiny_checkpoint.parent / "data")
    int8 = EmotionClassifier(checkpoint, backend="onnx-int8")
    assert found["probabilities_from"] == "int8"
    assert found["thresholds"] == [round(float(t), 4) for t in int8.thresholds.array(checkpoint.labels)]
    assert np.allclose(found["probabilities"], int8.predict_probabilities(found["texts"]), atol=1e-5)


def test_build_refuses_clearly(tiny_checkpoint, tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a person's folder")
    done = build(mine, "--checkpoint", str(tiny_checkpoint))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "not an earlier build" in done.stderr
    assert (mine / "notes.txt").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"global": 0.5, "per_class": {"<img src=x onerror=alert(1)>": 0.5}}))
    done = build(tmp_path / "site", "--checkpoint", str(tiny_checkpoint), "--profile", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    monkeypatch.setattr(space, "WEB", tmp_path / "no-web")
    with pytest.raises(space.SpaceError, match=r"npm ci --prefix"):
        space.build(tmp_path / "site2", tiny_checkpoint)


@needs_modules
def test_a_spelling_checkpoint_ships_its_word_list_and_the_page_spells(built, tiny_checkpoint, tmp_path):
    """The speller's list travels with a checkpoint whose normalisation spells, and only then; the page reads a
    misspelt comment as the library does."""
    from emotion import text
    from emotion.serve.predict import EmotionClassifier

    assert json.loads((built / space.SETTINGS).read_text())["spelling"] is None and not (built / space.SPELLING).exists()
    spelling = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, spelling)
    config = json.loads((spelling / "training_config.json").read_text())
    (spelling / "training_config.json").write_text(json.dumps({**config, "text_normalization": "demojize+squeeze+spell"}))
    done = build(tmp_path / "site", "--checkpoint", str(spelling))
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    assert json.loads((site / space.SETTINGS).read_text())["spelling"] == {"file": space.SPELLING,
                                                                           "min_length": text.MIN_LENGTH}
    assert (site / space.SPELLING).read_bytes() == text.SPELLING_WORDS.read_bytes()  # licence header included
    if Path(CHROMIUM).exists():
        from playwright.sync_api import sync_playwright

        texts = ["I relly apreciate it, thnak you 😂", "Definately wierd", "naïvee cafée"]
        python = EmotionClassifier(spelling, backend="torch")
        with serving(site) as url, sync_playwright() as p:
            browser, page = launch(p, SPACE_VIEW)
            open_page(page, url)
            assert page.evaluate("(t) => window.emotion.encode(t)", texts) == \
                [python.tokenizer.encode([python.normalize(t)])[0] for t in texts]
            assert "misspelt words put right" in page.locator("#model-note").inner_text()
            browser.close()


# --- the browser code against Python, in node -----------------------------------------------------------------------

def render_cases(rng) -> dict:
    """render.js's thresholds and labels at each policy, as Python answers them (``thresholds.resolve``; the labels
    above, most probable first), with the policies' names the app and the Space send it."""
    from emotion.labels import LABELS
    from emotion.serve.predict import labels_above
    from emotion.thresholds import GLOBAL, PER_CLASS, Thresholds, resolve

    probs, tuned = rng.random(28).round(4), rng.uniform(0.05, 0.95, 28).round(2)
    cases = []
    for policy, name in ((PER_CLASS, "PER_CLASS"), (GLOBAL, "GLOBAL")):
        for value in (0.05, 0.37, 0.95):
            for thresholds in (Thresholds(0.4, dict(zip(LABELS, tuned))), None):
                want = resolve(PER_CLASS if policy == PER_CLASS and thresholds else value, thresholds, LABELS)
                cases.append({"policy": name, "value": value, "labels": LABELS, "probs": probs.tolist(),
                              "tuned": None if thresholds is None else tuned.tolist(), "want": want.tolist(),
                              "predicted": labels_above(probs, want, LABELS)})
    return {"policy_js": POLICY_JS, "cases": cases}


def test_no_browser_file_spells_the_policy_names():
    """The policies' names come from emotion/thresholds.py (``assets.POLICY_JS``): the JavaScript and the page use
    POLICY.PER_CLASS and POLICY.GLOBAL, so a renamed policy cannot leave a page comparing against the old name."""
    from emotion.thresholds import GLOBAL, PER_CLASS

    files = [*(ROOT / "emotion/ui").glob("*.js"), *(ROOT / "web").glob("*.js"), ROOT / "web/index.html"]
    spelled = {f"{path.relative_to(ROOT)}: {name}" for path in files for name in (PER_CLASS, GLOBAL)
               for quote in "\"'`" if f"{quote}{name}{quote}" in path.read_text()}
    assert not spelled, spelled


@pytest.mark.skipif(not NODE and not os.environ.get("REQUIRE_BROWSER"), reason="no node")
def test_node_tests_agree_with_python(tmp_path):
    """tests/js/*.test.mjs with Python's answers: normalisation (every emoji form, stretched letters), metrics to
    4 decimals against emotion.metrics, and the spreadsheet escape of emotion.files."""
    from emotion import files, metrics, text
    from emotion.serve import windows

    rng = np.random.default_rng(0)
    probs = rng.random((300, 28)).round(6)
    gold = rng.random((300, 28)) < 0.08
    gold[:5] = False  # comments with no gold label, and a label with no gold positive
    gold[:, 3] = False
    settings = []
    for name, thresholds in (("global 0.5", np.full(28, 0.5)), ("per class", rng.uniform(0.05, 0.95, 28).round(2)),
                             ("global 0.97", np.full(28, 0.97))):
        table = metrics.per_class_table(probs, gold, [str(j) for j in range(28)], thresholds)
        found = metrics.compute_metrics(probs, gold, thresholds)
        settings.append({"name": name, "thresholds": thresholds.tolist(),
                         "per_class": table[["precision", "recall", "f1", "support", "predicted"]].to_dict("records"),
                         "summary": {k: found[k] for k in ("micro_precision", "micro_recall", "micro_f1", "macro_precision",
                                                           "macro_recall", "macro_f1")}})
    import emoji

    samples = ["plain ascii", "so happy 😂😂😂", "👍🏽 yes", "👨‍👩‍👧 family", "❤️ and ❤ and ♥", "🏳️‍🌈 flag", "1️⃣ keycap",
               "a\u200d😀", "😀\u200d😀 non-RGI", "🦰 alone", "👩\u200d🦰 red", "x\ufe0fy", "sooooo gooood 😂", "ééé ²²² 111",
               *list(emoji.EMOJI_DATA)[::7]]
    fixture = {
        "emoji": text.emoji_table(), "formula": space.formula_rule(),
        "spelling": {"file": str(text.SPELLING_WORDS), "min_length": text.MIN_LENGTH}, "key_neighbours": text.KEY_NEIGHBOURS,
        "normalize": [{"name": name, "texts": samples, "want": [text.normalizer(name)(t) for t in samples]}
                      for name in text.NORMALIZATIONS],
        "metrics": {"probs": probs.tolist(), "gold": [np.flatnonzero(g).tolist() for g in gold], "settings": settings},
        "windows": {
            "split": [{"ids": ids, "max_length": m, "overlap": o, "want": windows.split(ids, m, o)}
                      for ids in [[101, *range(1000, 1000 + n), 102] for n in (1, 30, 126, 127, 300)]
                      for m, o in ((32, 8), (128, windows.OVERLAP), (16, 15))],
            "combine": [{"rows": rows.tolist(), "labels": 28, "neutral": neutral, "rule": rule,
                         "want": windows.combine(rows, 28, neutral, rule).tolist()}
                        for rows in (rng.normal(size=(1, 40)), rng.normal(size=(3, 40)))
                        for neutral in (27, None) for rule in ("max", "mean", "first")],
        },
        "render": render_cases(rng),
        "escaped": [[c, files.escape_cell(c)] for c in ["=1+1", "-2", "-2.5e3", "+x", "@me", "\tx", "'=x", "''-y", "'-2", "fine", "it's", "-", "- a list"]],
    }
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False))
    done = subprocess.run([NODE or "node", "--test", *sorted(map(str, (ROOT / "tests" / "js").glob("*.test.mjs")))],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "EMOTION_JS_FIXTURE": str(path)})
    assert done.returncode == 0, done.stdout[-4000:]
    assert "# fail 0" in done.stdout and "run through tests/test_space.py" not in done.stdout  # none skipped for want of Python


# --- the built page in chromium, served as a Static Space serves it ----------------------------------------------

@pytest.mark.browser
@browser_test
@needs_modules
def test_browser_page_as_a_static_space(built, tiny_checkpoint, named_profile):
    """Cross-origin isolated with threads; a prediction equal to Python's int8 runner; the slider re-labels with no
    model run; Metrics follows the slider; an Errors filter; Why?; a profile's label; no other origin; markup shown
    as text."""
    from playwright.sync_api import expect, sync_playwright

    from emotion.serve.predict import EmotionClassifier

    with serving(built) as url, sync_playwright() as p:
        browser, page = launch(p, SPACE_VIEW)
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        open_page(page, url)
        assert page.evaluate("crossOriginIsolated") is True
        cores = page.evaluate("navigator.hardwareConcurrency")
        assert page.evaluate("window.emotion.threads") == min(4, -(-cores // 2))  # onnxruntime-web's own rule
        assert f"threads available: {min(4, cores)}" in page.locator("#status").inner_text()

        texts = ["thanks so much for the help, legend", "why would anyone do that? 😂", "ok sure", INJECTION,
                 "i love this but the ending was so sad " * 12]  # over the tiny model's 32 tokens: read in windows
        answers = page.evaluate("(t) => window.emotion.predict(t)", texts)
        python = EmotionClassifier(tiny_checkpoint, backend="onnx-int8", profile=named_profile)
        want = np.vstack([python.predict_probabilities([t]) for t in texts])
        got = np.array([[a["probabilities"][name] for name in python.labels] for a in answers])
        assert np.abs(got - want).max() < INT8_TOLERANCE

        predict(page, INJECTION)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#panel-predict img").count() == 0
        # The profile's own labels, in their own group of the same bars; its name (markup) shown as text.
        expect(page.locator("tbody.new-labels")).to_contain_text("thankful")
        expect(page.locator("tbody.new-labels")).to_contain_text(INJECTION[:60])
        page.get_by_role("tab", name="About").click()
        expect(page.locator("#model-note")).to_contain_text(INJECTION[:60])
        assert page.evaluate("window.__pwned") is None and page.locator("img").count() == 0
        page.get_by_role("tab", name="Predict").click()

        runs = page.evaluate("window.emotion.runs")
        before = page.locator("#summary").inner_html()
        page.locator("#threshold").fill("0.05")  # the app's slider range: 0.05 to 0.95
        expect(page.locator("#policy-global")).to_be_checked()
        low = page.locator("#summary .chip").count()
        page.locator("#threshold").fill("0.95")
        assert page.locator("#summary").inner_html() != before
        assert page.locator("#summary .chip").count() < low
        assert page.evaluate("window.emotion.runs") == runs  # re-labelled from the probabilities already here

        page.get_by_role("tab", name="Metrics").click()
        micro = page.locator("[data-metric=micro_f1]")
        at_high = micro.inner_text()
        page.locator("#threshold").fill("0.05")
        expect(micro).not_to_have_text(at_high)

        page.get_by_role("tab", name="Errors").click()
        page.locator("#errors-outcome").select_option("")
        expect(page.locator("#errors-count")).to_contain_text("24 comments")
        page.locator("#errors-gold").select_option(label="gratitude")
        rows = page.locator("#errors-table tbody tr")
        assert 0 < rows.count() < 24
        for cell in rows.locator("td:nth-child(2)").all_inner_texts():
            assert "gratitude" in cell
        rows.first.click()
        expect(page.locator("#errors-detail table.bars")).to_be_visible()
        expect(page.locator("#errors-detail")).to_contain_text("Gold")

        page.get_by_role("tab", name="Why?").click()
        page.locator("#why-text").fill("i love this community so much")
        page.get_by_role("button", name="Explain").click()
        expect(page.locator("#why-words mark").first).to_be_visible(timeout=30_000)
        assert page.locator("#why-words mark").count() == 6
        # The same words and effects as emotion.analysis.explain on the Python int8 runner (one batch on both sides).
        from emotion.analysis.explain import explain

        for text in ("i love this community so much", "why would anyone do that? 😂😂 i am so confused"):
            mine, theirs = page.evaluate("(t) => window.emotion.explain(t)", text), explain(python, text).to_dict()
            assert mine["words"] == theirs["words"]  # (spans count UTF-16 units here, code points in Python)
            gap = max(abs(a - b) for label in python.labels for a, b in zip(mine["effects"][label], theirs["effects"][label]))
            assert gap < 2 * INT8_TOLERANCE  # a difference of two probabilities

        # Threads work as such: the same answers from a page started on two of them.
        if cores > 1:
            twin = browser.new_page()
            twin.on("request", lambda r: requests.append(r.url))
            open_page(twin, url + "?threads=2")
            assert twin.evaluate("window.emotion.threads") == 2
            again = twin.evaluate("(t) => window.emotion.predict(t)", texts)
            assert max(abs(a["probabilities"][k] - b["probabilities"][k]) for a, b in zip(answers, again)
                       for k in a["probabilities"]) < INT8_TOLERANCE

        origin = url.rstrip("/")
        foreign = [u for u in requests if not (u.startswith(origin) or u.startswith(("data:", "blob:")))]
        assert not foreign, foreign
        browser.close()


@pytest.mark.browser
@browser_test
@needs_modules
def test_browser_phone_width_and_contrast(built):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    with serving(built) as url, sync_playwright() as p:
        browser, page = launch(p, {"width": 375, "height": 812})
        open_page(page, url)
        predict(page, "i am so proud of you")
        # The answer is on screen right after Enter, and every column of the bars fits the phone.
        box = page.locator("#summary").bounding_box()
        assert box and box["y"] + box["height"] <= 812
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        head = page.locator("#bars table.bars thead th").last.bounding_box()
        assert head["x"] + head["width"] <= 375 + 1
        axe = Axe()
        for name in ("Predict", "Why?", "Per class", "Metrics", "Errors", "About"):
            page.get_by_role("tab", name=name).click()
            if name == "Errors":
                page.locator("#errors-table tbody tr").first.click()
            # Every WCAG 2.1 A and AA rule of axe (the app's tests run its contrast rule).
            found = axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
                            ).response["violations"]
            assert not found, (name, [(n["target"], n["any"][0]["message"]) for v in found for n in v["nodes"]][:5])
        browser.close()


@pytest.mark.browser
@browser_test
@needs_modules
def test_browser_without_isolation_runs_on_one_thread_and_says_so(built):
    from playwright.sync_api import sync_playwright

    with plain_http_server(built) as url, sync_playwright() as p:
        browser, page = launch(p, SPACE_VIEW)
        open_page(page, url)
        assert page.evaluate("crossOriginIsolated") is False and page.evaluate("window.emotion.threads") == 1
        assert "one thread" in page.locator("#status").inner_text()
        predict(page, "thanks so much for the help, legend")
        browser.close()


@pytest.mark.browser
@browser_test
@needs_modules
def test_browser_bad_input_is_refused_in_words(built, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with serving(built) as url, sync_playwright() as p:
        browser, page = launch(p, SPACE_VIEW)
        open_page(page, url)
        page.get_by_label("Comment", exact=True).first.fill("   \n ")
        page.get_by_label("Comment", exact=True).first.press("Enter")
        expect(page.locator("#notice")).to_contain_text("the text is empty")
        predict(page, "i love this " * 40)  # over the tiny model's 32 tokens
        expect(page.locator("#notice")).to_contain_text("overlapping parts whose answers were combined")

        page.get_by_text("Many comments").click()
        page.locator("#batch-text").fill("\n".join(["ok sure"] * 1001))
        page.get_by_role("button", name="Predict all").click()
        expect(page.locator("#batch-note")).to_contain_text("at most 1,000")
        page.locator("#batch-file").set_input_files(files=[{"name": "x.csv", "mimeType": "text/csv",
                                                            "buffer": b"PK\x03\x04\x00\x00binary"}])
        page.get_by_role("button", name="Predict all").click()
        expect(page.locator("#batch-note")).to_contain_text("not a text file")
        page.locator("#batch-file").set_input_files(files=[{"name": "x.txt", "mimeType": "text/plain", "buffer": b"caf\xe9"}])
        page.get_by_role("button", name="Predict all").click()
        expect(page.locator("#batch-note")).to_contain_text("not UTF-8")
        page.locator("#batch-file").set_input_files(files=[{"name": "x.csv", "mimeType": "text/csv",
                                                            "buffer": 'id,text\n1,"=1+1 lol"\n2,ok sure\n'.encode()}])
        page.get_by_role("button", name="Predict all").click()
        expect(page.locator("#batch-table tbody tr")).to_have_count(2)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        csv = Path(download.value.path()).read_text(encoding="utf-8")
        assert csv.splitlines()[1].startswith("'=1+1 lol,")
        browser.close()


@pytest.mark.browser
@browser_test
@needs_modules
def test_browser_damaged_model_is_one_line_and_a_retry(built, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    site = tmp_path / "site"
    shutil.copytree(built, site)
    model = site / space.MODEL
    whole = model.read_bytes()
    model.write_bytes(whole[: len(whole) // 2])
    with serving(site) as url, sync_playwright() as p:
        browser, page = launch(p, SPACE_VIEW)
        page.goto(url)
        failure = page.locator("#failure")
        expect(failure).to_be_visible(timeout=30_000)
        expect(failure).to_contain_text("damaged")
        model.write_bytes(whole)
        page.get_by_role("button", name="Retry").click()
        expect(page.locator("#predict")).to_be_enabled(timeout=60_000)
        predict(page, "ok sure")
        (site / space.MODEL).unlink()
        page.reload()
        expect(failure).to_contain_text("HTTP 404", timeout=30_000)
        browser.close()


# --- the shipped model on real test comments ---------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.browser
@browser_test
@needs_modules
def test_browser_answers_equal_python_int8_on_the_test_set(tmp_path):
    """At least 1,000 test comments, every one with an emoji among them, through the built page: the same token
    ids as Python, probabilities within int8's noise between instruction sets, and the same labels at the tuned
    thresholds for at least 99.9% of comments."""
    from playwright.sync_api import sync_playwright

    from emotion.serve.backends import instruction_set
    from emotion.data import load_split
    from emotion.serve.predict import EmotionClassifier

    if not DATA.is_dir():
        pytest.skip(f"no GoEmotions data in {DATA}")
    site = tmp_path / "site"
    done = build(site, "--data_dir", str(DATA))
    assert done.returncode == 0, done.stderr
    texts = list(load_split("test", DATA)["text"])
    chosen = [t for t in texts if not t.isascii()]
    chosen += [t for t in texts if t.isascii()][: max(0, 1200 - len(chosen))]
    python = EmotionClassifier(backend="onnx-int8")
    want_ids = [python.tokenizer.encode([python.normalize(t)])[0] for t in chosen]  # whole: long ones in windows
    want = np.vstack([python.predict_probabilities([t]) for t in chosen])
    with serving(site) as url, sync_playwright() as p:
        browser, page = launch(p, SPACE_VIEW)
        open_page(page, url, 120)
        ids = page.evaluate("(t) => window.emotion.encode(t)", chosen)
        answers = page.evaluate("(t) => window.emotion.predict(t)", chosen)
        # The Metrics view on all 5,427 stored test answers: the checkpoint's own published figures.
        published = python.checkpoint.metrics["test"]
        page.get_by_role("tab", name="Metrics").click()
        shown = {key: float(page.locator(f"[data-metric={key}]").inner_text()) for key in ("micro_f1", "macro_f1")}
        assert shown == {key: round(published["per_class_tuned"][key], 3) for key in shown}
        page.locator("#threshold").fill("0.5")
        shown = {key: float(page.locator(f"[data-metric={key}]").inner_text()) for key in ("micro_f1", "macro_f1")}
        assert shown == {key: round(published["global_0.5"][key], 3) for key in shown}
        browser.close()
    assert sum(a != b for a, b in zip(ids, want_ids)) == 0
    got = np.array([[a["probabilities"][name] for name in python.labels] for a in answers])
    worst = float(np.abs(got - want).max())
    thresholds = python.threshold_array()
    same = float(((got >= thresholds) == (want >= thresholds)).all(1).mean())
    gaps = np.abs(got - want)
    print(f"{len(chosen)} comments ({sum(not t.isascii() for t in chosen)} with emoji or other non-ASCII): probability "
          f"difference largest {worst:.4f}, 99.9th percentile {np.quantile(gaps, 0.999):.4f}, mean {gaps.mean():.5f}; "
          f"labels identical for {100 * same:.2f}%; CPU: {instruction_set()}")
    assert worst < INT8_TOLERANCE
    assert same >= 0.999
    assert [a["labels"] for a in answers][:3] == [python.predict(t).labels for t in chosen[:3]]


# --- the README's free route, against a stand-in Hub -----------------------------------------------------------

@needs_modules
def test_the_documented_free_route_creates_a_static_space_and_sends_the_built_folder(built, tmp_path):
    """The README's `hf repos create ... --space-sdk static` then `hf upload`, as written, with the installed `hf`,
    against tests/test_packaging.py's stand-in Hub: a static Space (plain `hf upload` would have made a Gradio
    Space, which a free account cannot), and every file of the built folder, nothing else."""
    import re
    import shlex
    from http.server import ThreadingHTTPServer

    from test_packaging import StandInHub

    class Hub(StandInHub):
        def do_POST(self) -> None:  # a Space that exists is not created again (the Hub answers 409)
            if self.path == "/api/repos/create":
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                url = f"http://{self.headers['Host']}/spaces/{body['organization']}/{body['name']}"
                if any(c["name"] == body["name"] for c in type(self).created):
                    return self.answer({"error": "You already created this space repo", "url": url}, 409)
                type(self).created.append(body)
                return self.answer({"url": url})
            return super().do_POST()

    readme = (ROOT / "README.md").read_text()
    commands = [shlex.split(line.split("#")[0]) for line in re.findall(r"^hf (?:repos create|upload) .*$", readme, re.M)
                if "--space-sdk static" in line or " space/ " in line]
    assert [c[:2] for c in commands] == [["hf", "repos"], ["hf", "upload"]], commands
    hf = Path(sys.executable).with_name("hf")
    hf = str(hf) if hf.is_file() else shutil.which("hf")
    (tmp_path / "space").symlink_to(built, target_is_directory=True)
    Hub.created, Hub.sent = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update({"HF_ENDPOINT": f"http://127.0.0.1:{server.server_port}", "HF_TOKEN": "hf_standin", "NO_COLOR": "1",
                "HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"})
    try:
        for command in commands:
            done = subprocess.run([hf, *command[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    finally:
        server.shutdown()
    assert [(c["type"], c["name"], c.get("sdk")) for c in Hub.created] == [("space", "emotions", "static")]
    files = {p.relative_to(built).as_posix(): p.stat().st_size for p in built.rglob("*") if p.is_file()}
    assert Hub.sent == files
