"""The real entry point on a loopback port: gradio_client calls, and a real browser (Debian's chromium
driven by playwright) that types, drags the slider and opens every tab."""

import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_gradio_client_calls_both_endpoints(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    one = client.predict("thanks so much for the help", None, api_name="/predict")
    assert len(one["probabilities"]) == 28 and len(one["top"]) == 3
    every = client.predict("thanks", 0.0, api_name="/predict")
    assert len(every["labels"]) == 28
    many = client.predict(["ok sure", "this is hilarious lol"], 0.5, api_name="/predict_batch")
    assert [m["text"] for m in many] == ["ok sure", "this is hilarious lol"]


def test_gradio_client_explains_and_finds_similar_comments(app_url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    every = client.predict("i love this so much", None, api_name="/explain")
    assert every["words"] == ["i", "love", "this", "so", "much"] and len(every["effects"]) == 28
    assert all(len(e) == 5 for e in every["effects"].values()) and every["noise"] >= 0
    one = client.predict("i love this so much", "joy", api_name="/explain")
    assert list(one["effects"]) == ["joy"] and "p(joy)" in one["faithfulness"]["joy"]["sentence"]
    with pytest.raises(AppError, match="Unknown label"):
        client.predict("i love this", "happiness", api_name="/explain")
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", None, api_name="/explain")
    deadline = time.time() + 120
    while True:  # the first call starts indexing the training comments
        try:
            near = client.predict("i love this so much", 3, api_name="/similar")
            break
        except AppError as err:
            assert "being indexed" in str(err) and time.time() < deadline
            time.sleep(1)
    assert len(near) == 3 and near[0]["similarity"] >= near[-1]["similarity"]
    assert {"id", "similarity", "labels", "text"} <= set(near[0])


def test_a_client_cannot_make_the_server_read_a_path_of_its_choosing(app_url):
    import httpx

    secret = Path(__file__).resolve()  # any file outside the upload cache
    payload = {"data": ["", {"path": str(secret), "meta": {"_type": "gradio.FileData"}}, "per_class", 0.3, None]}
    started = httpx.post(app_url + "gradio_api/call/batch_table", json=payload, timeout=30)
    assert started.status_code == 200
    stream = httpx.get(app_url + f"gradio_api/call/batch_table/{started.json()['event_id']}", timeout=60).text
    assert "event: error" in stream
    assert "test_a_client_cannot_make_the_server_read" not in stream
    # The same endpoint with pasted lines works, so the refusal above is the path check.
    ok = httpx.post(app_url + "gradio_api/call/batch_table", json={"data": ["ok sure", None, "per_class", 0.3, None]})
    assert "event: complete" in httpx.get(app_url + f"gradio_api/call/batch_table/{ok.json()['event_id']}",
                                          timeout=60).text


def test_concurrent_clients_are_all_served(app_url):
    """Not a benchmark (that is bench/load.py): no request lost or failed under concurrency."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    def client_session(i: int) -> list[dict]:
        client = Client(app_url, verbose=False)
        return [client.predict(f"thanks so much lol {i} {j}", None, api_name="/predict") for j in range(3)]

    with ThreadPoolExecutor(8) as pool:
        results = [r for session in pool.map(client_session, range(8)) for r in session]
    assert len(results) == 24 and all(len(r["probabilities"]) == 28 for r in results)


def damage(folder: Path, how: str) -> str:
    if how == "missing":
        shutil.rmtree(folder)
        return "does not exist"
    if how == "truncated weights":
        with open(folder / "model.safetensors", "r+b") as f:
            f.truncate(1000)
        return "model.safetensors"
    if how == "broken config":
        (folder / "config.json").write_text("{broken")
        return "config.json"
    (folder / "thresholds.json").write_text('{"global": 0.3, "per_class": {"joy": 0.2}}')
    return "thresholds.json"


@pytest.mark.parametrize("how", ["missing", "truncated weights", "broken config", "thresholds for other labels"])
def test_damaged_checkpoint_exits_with_a_clear_error(tiny_checkpoint, tmp_path, how):
    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, folder)
    names = damage(folder, how)
    done = subprocess.run([sys.executable, "app.py", "--checkpoint", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert names in done.stderr and "error:" in done.stderr


def test_a_busy_port_is_one_line_that_names_port(tiny_checkpoint, app_url):
    port = app_url.rstrip("/").rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "app.py", "--checkpoint", str(tiny_checkpoint), "--port", port], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr and f"--port {int(port) + 1}" in done.stderr


DESKTOP = {"width": 1400, "height": 1000}


def launch(p, viewport: dict = DESKTOP):
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])
    return browser, browser.new_page(viewport=viewport)


@contextmanager
def open_page(url: str, viewport: dict = DESKTOP):
    """A fresh chromium showing ``url`` at ``viewport``, closed however the test ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p, viewport)
        try:
            page.goto(url)
            yield page
        finally:
            browser.close()


def settled(page, drawn: str) -> None:
    """Wait until the visible tab shows ``drawn`` and nothing on it still moves: no output dimmed while
    pending, no transition running (a spinner's endless animation aside)."""
    from playwright.sync_api import expect

    expect(page.locator(f"[role=tabpanel]:visible {drawn}").filter(visible=True).first).to_be_visible(timeout=30_000)
    page.wait_for_function("""() => ![...document.querySelectorAll('.pending')].some((e) => e.offsetParent)
        && document.getAnimations().every((a) => a.playState !== 'running' || !a.effect
                                                 || a.effect.getComputedTiming().iterations === Infinity)""",
                           timeout=30_000)


browser_test = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("REQUIRE_BROWSER"),
                                  reason="no chromium")


def predict(page, text: str) -> None:
    """Type a comment, press Enter, and wait for its 28 bars."""
    from playwright.sync_api import expect

    page.get_by_label("Comment").fill(text)
    page.get_by_label("Comment").press("Enter")
    expect(page.locator("table.bars tbody tr")).to_have_count(28, timeout=30_000)


@pytest.mark.browser
@browser_test
def test_browser_predicts_moves_the_slider_and_renders_every_tab(app_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        page.get_by_label("Comment").fill("thanks so much for the help <img src=x onerror=window.__pwned=1>")
        page.get_by_role("button", name="Predict", exact=True).click()
        expect(page.locator("table.bars tbody tr")).to_have_count(28, timeout=30_000)
        # The slider at its lowest value predicts far more labels than at its highest.
        slider = page.locator("input[type=range]").first
        slider.fill("0.05")
        expect(page.locator(".chip").first).to_be_visible(timeout=15_000)
        low = page.locator(".chip").count()
        slider.fill("0.95")
        expect(page.locator(".chip")).not_to_have_count(low, timeout=15_000)
        high = page.locator(".chip").count()
        assert low > high, (low, high)
        assert page.evaluate("window.__pwned === undefined")
        page.get_by_role("tab", name="Test set").click()
        for tab, drawn in (("Per class", ".js-plotly-plot"), ("Metrics", ".js-plotly-plot"),
                           ("Errors", "table.bars")):
            page.get_by_role("tab", name=tab).click()
            panel = page.locator("[role=tabpanel]:visible [role=tabpanel]:visible")
            expect(panel.locator(drawn).first).to_be_visible(timeout=30_000)
        # Labels and outcome come first: they are on screen without scrolling the table sideways.
        table = page.locator("#error-table")
        right = table.bounding_box()["x"] + table.bounding_box()["width"]
        for name in ("gold", "predicted", "outcome"):
            cell = table.locator("th", has_text=name).first.bounding_box()
            assert cell["x"] + min(cell["width"], 60) <= right, (name, cell, right)
        # A comment holding markup, in the error table and the detail view, stays text.
        page.get_by_label("Text contains").fill("onerror")
        page.get_by_label("Text contains").press("Enter")
        panel = page.locator("[role=tabpanel]:visible")
        expect(panel.get_by_text("window.__pwned=1").filter(visible=True).first).to_be_visible(timeout=15_000)
        panel.get_by_text("window.__pwned=1").filter(visible=True).first.click()
        expect(page.locator("#error-comment textarea")).to_have_value(re.compile("onerror=window.__pwned=1"),
                                                                      timeout=15_000)
        expect(page.locator("#error-bars table.bars tbody tr")).to_have_count(28, timeout=15_000)
        expect(page.locator("img[src=x]")).to_have_count(0)  # the markup was shown as text, never made an image
        assert page.evaluate("window.__pwned === undefined")
        page.get_by_role("tab", name="About").click()
        expect(page.get_by_text("Base model")).to_be_visible()
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_predict_state_never_lies(app_url):
    """Each state bug a person met: stale text, reset, an out-of-range number, examples, Enter, focus."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        box = page.get_by_label("Comment")
        box.fill("i am so proud of you")
        box.press("Enter")  # Enter predicts
        expect(page.locator("table.bars tbody tr")).to_have_count(28, timeout=30_000)
        assert box.input_value() == "i am so proud of you"  # no newline was added
        box.press("Shift+Enter")
        box.press_sequentially("ok")  # editing marks the old result as stale
        expect(page.get_by_text("The text changed")).to_be_visible(timeout=5_000)
        expect(page.locator("table.bars tbody tr")).to_have_count(0)
        assert box.input_value() == "i am so proud of you\nok"
        # An example click predicts.
        page.get_by_text("Oh wow, I never realized").click()
        expect(page.locator("table.bars tbody tr")).to_have_count(28, timeout=30_000)
        threshold_cells = page.locator("table.bars tbody tr td:nth-child(4)")
        # A number outside the slider's range is clamped (the slider says so) and keeps every output.
        number = page.locator("input[type=number]").first
        number.fill("1.5")
        number.press("Tab")
        expect(page.get_by_label("One global threshold (slider)").first).to_be_checked(timeout=5_000)
        assert page.get_by_text("a typed value is kept in range").count()
        assert set(threshold_cells.all_inner_texts()) == {"0.95"}
        assert number.input_value() == "0.95" and not page.get_by_text("Error").filter(visible=True).count()
        # Reset brings the tuned global value back and re-labels with it.
        page.get_by_role("button", name="Reset").first.click()
        expect(threshold_cells.first).not_to_have_text("0.95", timeout=5_000)
        assert len(set(threshold_cells.all_inner_texts())) == 1
        # A radio group is one tab stop; the arrow keys choose inside it.
        page.get_by_role("button", name="Predict", exact=True).focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.type") != "radio"
        # Keyboard focus is visible on the text box, the radios and the slider.
        for target in (box, page.get_by_label("Tuned per-class thresholds").first, page.locator("input[type=range]").first):
            target.focus()
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Tab")
            # The element keyboard focus lands on (in a radio group: its checked radio).
            kind, style, width = page.evaluate("(() => { const e = document.activeElement, s = getComputedStyle(e); "
                                               "return [e.type, s.outlineStyle, s.outlineWidth]; })()")
            assert kind == target.evaluate("e => e.type") and style != "none" and width != "0px", (kind, style, width)
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_every_tab_passes_axe_color_contrast(app_url):
    """axe-core's WCAG AA contrast rule (4.5:1 for text) on every tab, with results on screen."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    axe = Axe()
    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        predict(page, "i am so proud of you")
        page.get_by_text("Why? The words behind each label").click()  # the word effects and neighbours too
        page.get_by_role("button", name="Explain this comment").first.click()
        expect(page.locator("#why-words mark").first).to_be_visible(timeout=30_000)
        tabs = [("Predict", None, "table.bars"), ("Per class", "Test set", ".js-plotly-plot"),
                ("Metrics", None, ".js-plotly-plot"), ("Errors", None, "table.bars"),
                ("Label quality", None, "#quality-labels tbody tr"), ("About", None, ":text('Base model')")]
        for name, parent, drawn in tabs:
            if parent:
                page.get_by_role("tab", name=parent).click()
            page.get_by_role("tab", name=name).click()
            settled(page, drawn)
            found = axe.run(page, options={"runOnly": ["color-contrast"]}).response["violations"]
            assert not found, (name, [(n["target"], n["any"][0]["message"]) for v in found for n in v["nodes"]][:5])
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_phone_width_reaches_every_tab_and_reads_the_headline(app_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, _ = launch(p)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(app_url)
        for name in ("Predict", "Test set", "Label quality", "Adapt", "About"):  # the tabs wrap, none in a menu
            expect(page.get_by_role("tab", name=name)).to_be_visible(timeout=30_000)
        page.get_by_role("tab", name="Test set").click()
        for name in ("Per class", "Metrics", "Errors"):  # none hidden behind an overflow menu
            expect(page.get_by_role("tab", name=name)).to_be_visible()
        page.get_by_role("tab", name="Metrics").click()
        card = page.locator(".stats div").first
        expect(card).to_be_visible(timeout=30_000)
        assert card.bounding_box()["width"] >= 100  # a figure and its name, not a letter a line
        browser.close()


@pytest.mark.browser
@browser_test
@pytest.mark.parametrize("width", [360, 375])
def test_browser_phone_shows_every_column_of_the_answer(app_url, width):
    """Each column of the probability table lies inside the screen (short column names on a phone)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, _ = launch(p)
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(app_url)
        predict(page, "thanks so much for the help, legend")
        reach = page.evaluate("""() => {
            const wrap = document.querySelector('.bars-wrap');
            const box = wrap.getBoundingClientRect();
            const scrolls = getComputedStyle(wrap).overflowX === 'auto' && wrap.scrollWidth > wrap.clientWidth;
            return [...document.querySelectorAll('table.bars thead th')].map((th) => {
                const r = th.getBoundingClientRect();
                return {text: th.textContent, left: r.left, right: r.right,
                        inside: r.left >= 0 && r.right <= window.innerWidth + 0.5, scrolls, box: box.right};
            });
        }""")
        for column in reach:
            assert column["inside"] and not column["scrolls"], column
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page itself does not overflow
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_why_view_contrasts_two_labels_and_lists_neighbours(app_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        page.get_by_label("Comment").fill("i love this so much thanks")
        page.get_by_text("Why? The words behind each label").click()
        explain = page.get_by_role("button", name="Explain this comment").first
        explain.click()
        words = page.locator("#why-words")
        expect(words.locator("mark")).to_have_count(6, timeout=30_000)  # every word shaded by its effect
        expect(words).to_contain_text("goes from")  # the live faithfulness line
        for box, label in (("Label", "joy"), ("Contrast with", "anger")):
            combo = page.get_by_role("combobox", name=box).first
            combo.click()  # open the list first: Enter picks from it (a fill alone left the value unchosen here)
            combo.fill(label)
            combo.press("Enter")
        expect(words.locator(".why")).to_have_count(2)  # two labels side by side, drawn in the browser
        expect(words).to_contain_text("joy (p =")
        expect(words).to_contain_text("anger (p =")
        neighbours = page.locator("#why-similar tbody tr")
        for _ in range(12):  # the training comments are indexed once (the page says so); then their table shows
            try:
                expect(neighbours).to_have_count(5, timeout=5_000)
                break
            except AssertionError:
                expect(page.locator("#why-similar")).to_contain_text("indexed")
                explain.click()
        expect(neighbours).to_have_count(5)
        page.get_by_label("Comment").press_sequentially(" ok")  # editing the text marks the explanation stale
        expect(words).to_contain_text("The comment changed")
        expect(page.locator("#why-similar tbody tr")).to_have_count(0)
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_label_quality_tab_ranks_labels_and_comments(app_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        page.get_by_role("tab", name="Label quality").click()
        expect(page.get_by_text("likely carry a wrong or missing label")).to_be_visible(timeout=30_000)
        expect(page.locator("#quality-labels tbody tr")).to_have_count(28)
        expect(page.locator("#quality-comments tbody tr")).to_have_count(24)  # the tiny test split
        page.get_by_label("train").check()
        expect(page.get_by_text("of 64 train comments")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name="Download every comment's verdict (CSV)")).to_be_visible()
        # The error explorer orders by the same audit and says what it thinks of the selected comment.
        page.get_by_role("tab", name="Test set").click()
        page.get_by_role("tab", name="Errors").click()
        # Reordered at once, before the tab's own first answer arrives: that answer, older, must not win.
        page.get_by_label("likely label errors first (cleanlab)").check()
        expect(page.get_by_text("whose labels cleanlab doubts most")).to_be_visible(timeout=30_000)
        expect(page.locator("#error-quality")).to_contain_text("Label quality")
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_confusion_matrix_cell_filters_to_its_count(app_url, tiny_checkpoint):
    import re

    import numpy as np
    from playwright.sync_api import expect, sync_playwright

    from emotion.checkpoint import Checkpoint

    # At the median probability a random tiny model predicts about half the labels, confusing plenty.
    middle = float(np.median(Checkpoint(tiny_checkpoint).probabilities("test")[1]))

    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        page.get_by_role("tab", name="Test set").click()
        page.get_by_role("tab", name="Errors").click()
        page.get_by_text("Confusion matrix: every gold-missed").click()  # the accordion opens
        matrix = page.locator("#confusion-matrix")
        expect(matrix.locator(".virtual-row").first).to_be_visible(timeout=30_000)
        number = page.locator("[role=tabpanel]:visible input[type=number]").first
        number.fill(f"{min(max(middle, 0.05), 0.95):.2f}")
        number.press("Tab")  # leaving the box applies the value, as a slider's release does
        cells = matrix.locator(".virtual-row [role=gridcell]:not(.first-column)")
        expect(cells.filter(has_text=re.compile(r"\d")).first).to_be_visible(timeout=30_000)
        counts = [text.strip() for text in cells.all_inner_texts()]
        # A row of the table (not the first, which shows already), reached with the keyboard, shows its whole comment.
        row = page.locator("#error-table tbody tr").nth(1)
        row.focus()
        row.press("Enter")
        text = row.locator("td").nth(3).inner_text().rstrip("…")
        expect(page.locator("#error-comment textarea")).to_have_value(re.compile("^" + re.escape(text)), timeout=30_000)
        chosen = next(i for i, text in enumerate(counts) if text)
        cells.nth(chosen).click()
        summary = page.locator("[role=tabpanel]:visible").get_by_text("comments match").first
        expect(summary).to_contain_text(f"{counts[chosen]} comments match", timeout=30_000)
        assert re.fullmatch(r"\d+", counts[chosen])
        expect(page.get_by_role("combobox", name="Predicted label")).not_to_have_value("(any)")
        # A confused pair, clicked, filters the table to exactly its count.
        pair = page.locator("#pairs-table tbody tr").first
        gold, instead, count = pair.locator("td").all_inner_texts()
        pair.click()
        expect(summary).to_contain_text(f"{count} comments match", timeout=30_000)
        expect(page.get_by_role("combobox", name="Gold label")).to_have_value(gold)
        expect(page.get_by_role("combobox", name="Predicted label")).to_have_value(instead)
        browser.close()


def report_cells(page, label: str, columns: list[str]) -> list[str]:
    """The cells of ``columns`` in the profile report's row of ``label``, read by their headers."""
    return page.evaluate("""([label, columns]) => {
      const heads = [...document.querySelectorAll('#adapt-report thead th')].map((th) => th.innerText.trim());
      const row = [...document.querySelectorAll('#adapt-report .virtual-row')]
        .map((r) => [...r.querySelectorAll('[role=gridcell]')].map((cell) => cell.innerText.trim()))
        .find((cells) => cells[heads.indexOf('label')] === label);
      return columns.map((c) => row[heads.indexOf(c)]);
    }""", [label, columns])


@pytest.mark.browser
@browser_test
def test_browser_adapt_view_tunes_and_the_predict_tab_uses_the_profile(app_url, tmp_path):
    import numpy as np
    import pandas as pd
    from playwright.sync_api import expect, sync_playwright

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"text": [f"i am so proud of you {i}" for i in range(40)],
                          "joy": (rng.random(40) < 0.5).astype(int), "pride": 1})
    frame.to_csv(tmp_path / "forum.csv", index=False)
    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        predict(page, "i am so proud of you")
        page.get_by_role("tab", name="Adapt").click()
        page.get_by_text("…or upload a file you labelled elsewhere").click()
        page.locator("#adapt-upload input[type=file]").set_input_files(str(tmp_path / "forum.csv"))
        expect(page.locator("#adapt-upload").get_by_text("forum.csv")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Fit a profile from this file").click()
        expect(page.get_by_text("40 comments, 2 labels")).to_be_visible(timeout=60_000)
        expect(page.locator("#adapt-report")).to_contain_text("pride")
        before, after = (f"{float(x):.2f}" for x in report_cells(page, "pride", ["threshold_before", "threshold_after"]))
        use = page.get_by_role("button", name="Predict with this profile")
        expect(use).to_be_enabled()
        use.click()
        page.get_by_role("tab", name="Predict").click()
        expect(page.locator("#active-profile")).to_contain_text("your profile forum")
        # The bars draw each label's threshold: pride's is the profile's, then the checkpoint's again.
        pride = page.locator("table.bars tbody tr", has=page.locator("th", has_text="pride")).locator("td").nth(2)
        expect(pride).to_have_text(after)
        page.get_by_role("tab", name="Adapt").click()
        page.get_by_role("button", name="Back to the checkpoint's thresholds").click()
        page.get_by_role("tab", name="Predict").click()
        expect(page.locator("#active-profile")).to_have_text("")
        expect(pride).to_have_text(before)
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_labels_with_the_keyboard_survives_a_reload_and_predicts_a_new_label(app_url, tmp_path):
    """Label 10 comments with the keyboard, reload, label 12 more, fit a profile: the new label is predicted if its
    head was kept, or left out in words if 22 answers could not show it works; Predict answers with the profile."""
    import re

    from playwright.sync_api import expect, sync_playwright

    from conftest import labelled_comments

    labelled_comments(60, 6)[["text"]].to_csv(tmp_path / "team.csv", index=False)
    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        page.get_by_role("tab", name="Adapt").click()
        page.locator("#label-upload input[type=file]").set_input_files(str(tmp_path / "team.csv"))
        expect(page.locator("#label-upload").get_by_text("team.csv")).to_be_visible(timeout=30_000)
        page.get_by_label("Labels, comma-separated").fill("joy, intense")
        page.get_by_label("How many to label").fill("40")
        page.get_by_role("button", name="Propose a sample to label").click()
        progress = page.locator(".labeller .progress")
        expect(progress).to_contain_text("0 of 40 labelled", timeout=30_000)

        def label(count: int, start: int) -> None:
            for i in range(start, start + count):
                text = page.locator(".labeller blockquote").inner_text()
                if re.search(r"\bso\b", text):
                    page.keyboard.press("2")  # intense: a label of this team's own
                if "wait" in text or i % 7 == 0:
                    page.keyboard.press("1")  # joy
                page.keyboard.press("Enter")
                expect(progress).to_contain_text(f"{i + 1} of 40 labelled")

        label(10, 0)
        page.keyboard.press("Backspace")  # back to the tenth, answered
        expect(progress).to_contain_text("comment 10 (answered)")
        page.reload()
        page.get_by_role("tab", name="Adapt").click()
        expect(page.get_by_label("Your labelling sessions")).to_have_value("team: 10 of 40 labelled (joy, intense)",
                                                                             timeout=30_000)
        expect(progress).to_contain_text("10 of 40 labelled · comment 11 (not answered yet)", timeout=30_000)
        label(12, 10)
        page.get_by_role("button", name="Fit a profile from the answers so far").click()
        # 22 answers on a random tiny model: whether a head for "intense" beats calling every comment intense in
        # cross-validation depends on the sample drawn. Either way the answer must follow the rule (issue 35):
        # a head kept is predicted on the Predict tab; one left out is said, with what to label next, and never drawn.
        summary = page.locator("#adapt-summary")
        expect(summary).to_contain_text("This sample is too small to show much", timeout=60_000)
        kept = "Your new labels: intense" in summary.inner_text()
        if not kept:
            expect(summary).to_contain_text("intense (new)")
            expect(summary).to_contain_text("so it is left out")
        page.get_by_role("button", name="Predict with this profile").click()
        page.get_by_role("tab", name="Predict").click()
        expect(page.locator("#active-profile")).to_contain_text("team")
        page.get_by_label("Comment").fill("i am so proud of you ok sure")
        page.get_by_label("Comment").press("Enter")
        expect(page.locator("table.bars").first).to_be_visible(timeout=30_000)
        own = page.locator("table.bars tbody.new-labels")
        if kept:
            expect(own).to_contain_text("Your labels (profile team)", timeout=30_000)
            expect(own.locator("tr", has=page.locator("th", has_text="intense"))).to_have_count(1)
        else:
            assert own.count() == 0  # no answer for a label left out
        page.screenshot(path=str(tmp_path / "profile.png"))
        browser.close()


@pytest.mark.browser
@browser_test
def test_browser_compare_view_opens_a_disputed_comment_and_checks_open_a_failing_case(app_url, served):
    """Another checkpoint beside the served one (its thresholds changed) shows in Compare when the tab opens."""
    import json

    from playwright.sync_api import expect, sync_playwright

    other = served.parent / "strict"
    if not other.exists():
        shutil.copytree(served, other)
    thresholds = json.loads((other / "thresholds.json").read_text())
    thresholds["per_class"] = {name: 0.99 for name in thresholds["per_class"]}
    (other / "thresholds.json").write_text(json.dumps(thresholds))
    with sync_playwright() as p:
        browser, page = launch(p)
        page.goto(app_url)
        page.get_by_role("tab", name="Test set").click()
        page.get_by_role("tab", name="Compare").click()
        page.get_by_label("Compare this checkpoint (A) with (B)").click()
        page.get_by_role("option", name="strict", exact=True).click()
        expect(page.locator("#compare-summary")).to_contain_text("B = strict", timeout=30_000)
        expect(page.locator("#compare-table")).to_contain_text("macro F1")
        page.locator("#compare-browser tbody tr").first.click()
        expect(page.locator("#compare-bars-a table.bars")).to_be_visible(timeout=30_000)
        expect(page.locator("#compare-bars-b table.bars")).to_be_visible()
        assert page.locator("#compare-comment textarea").input_value()
        page.get_by_role("tab", name="Probe").click()
        expect(page.locator("#probe-summary")).to_contain_text("cases in", timeout=30_000)
        case = page.locator("#probe-failing tbody tr").first
        text = case.locator("td").nth(1).inner_text()
        case.click()
        expect(page.get_by_role("tab", name="Predict")).to_have_attribute("aria-selected", "true", timeout=30_000)
        expect(page.get_by_label("Comment").first).to_have_value(text)
        expect(page.locator("#probability-bars table.bars tbody tr")).to_have_count(28, timeout=30_000)
        expect(page.locator("#why-words")).to_contain_text("(p = ", timeout=60_000)  # explained, and shown
        browser.close()
