"""Tab handlers on the tiny checkpoint and made-up data: what each returns, without a browser."""

from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from emotion.analysis.tables import OUTCOMES, threshold_sweep
from emotion.ui import about_tab, classes_tab, errors_tab, metrics_tab, predict_tab
from emotion.ui.server import api_predict, api_predict_batch, build_app
from emotion.ui.page import Page
from emotion.ui.context import AppContext, DataUnavailable
from emotion.ui.inputs import InputError, Limits, check_batch, clean_text, read_batch, read_upload

LIMITS = Limits(max_chars=200, max_rows=5, max_upload_bytes=10_000)


@pytest.fixture(scope="module")
def ctx(tiny_checkpoint):
    return AppContext(tiny_checkpoint, str(tiny_checkpoint.parent / "data"))


@pytest.fixture
def no_data_ctx(tiny_checkpoint, tmp_path):
    return AppContext(tiny_checkpoint, str(tmp_path / "missing"))


def test_app_builds_with_named_endpoints(ctx):
    demo = build_app(ctx, LIMITS)
    names = {d.api_name for d in demo.fns.values()}
    assert {"predict", "predict_batch"} <= names


def test_predict_sends_probabilities_once_and_the_browser_does_the_rest(ctx):
    result, notice = predict_tab.predict_one(Page(ctx, LIMITS), "i am so proud of you")  # words the tiny model knows
    assert len(result["probabilities"]) == 28 and result["labels"] == ctx.model.labels and notice == ""
    assert "cannot read 4 of" in predict_tab.predict_one(Page(ctx, LIMITS), "zzz qqq xxx vvv")[1]
    np.testing.assert_allclose(result["thresholds"], ctx.model.thresholds.array(ctx.model.labels), atol=1e-4)
    ekman = result["groups"]["Ekman"]
    assert set(ekman) == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
    assert sorted(i for ids in ekman.values() for i in ids) == list(range(28))


def test_the_predict_tab_hands_the_probe_tab_its_comment_box(ctx):
    """The Probe tab gets the Predict tab's comment box and its steps from ``predict_tab.build``'s answer, passed on
    by the app (not through ``Page``): a failing case picked is put in the box, predicted, then explained."""
    from emotion.ui import probe_tab

    assert not {"predict_text", "on_comment"} & set(vars(Page(ctx, LIMITS)))
    demo = build_app(ctx, LIMITS)
    fns = list(demo.fns.values())
    pick = next(fn for fn in fns if getattr(fn.fn, "__name__", "") == "open_case")
    comment = next(b for b in demo.blocks.values() if isinstance(b, gr.Textbox) and b.label == "Comment")
    assert comment._id in [o._id for o in pick.outputs]
    chain, at = [], pick
    while (at := next((fn for fn in fns if fn.trigger_after == at._id), None)) is not None:
        chain.append(getattr(getattr(at.fn, "func", at.fn), "__name__", ""))
    assert chain[0] == "predict_one" and chain[-1] == "explain_whole", chain
    assert probe_tab.TITLE == "Probe"


def test_one_rule_maps_a_setting_to_thresholds_and_the_browser_gets_pythons_names(ctx):
    """The analysis views ask the model for a setting's thresholds (``thresholds.resolve`` on the test thresholds);
    every browser function that draws with render.js gets the policies' names from Python, none spelled in it."""
    from emotion.thresholds import GLOBAL, PER_CLASS, resolve
    from emotion.ui.assets import POLICY_JS

    for setting in (PER_CLASS, GLOBAL, 0.3):
        np.testing.assert_array_equal(ctx.model.thresholds_at(setting),
                                      resolve(setting, ctx.model.test_thresholds, ctx.model.labels))
    drawing = [fn.js for fn in build_app(ctx, LIMITS).fns.values() if fn.js and "render(" in fn.js]
    assert len(drawing) >= 5 and all(POLICY_JS in js for js in drawing)
    # Each carries its own copy of render.js in the page's config: without the comments, which no browser runs.
    assert not [line for js in drawing for line in js.splitlines() if line.lstrip().startswith("//")]
    rest = [js.replace(POLICY_JS, "") for js in drawing]
    assert not [js for js in rest for name in (PER_CLASS, GLOBAL) if f"'{name}'" in js or f'"{name}"' in js]


def test_one_helper_writes_the_error_paragraph():
    """Refusals and notes are one escaped paragraph, written by ``notes.notice``: no tab writes its own error one."""
    from emotion.ui.notes import MUTED, notice

    assert notice(ValueError("<b>no</b> & more")) == "<p class='error'>&lt;b&gt;no&lt;/b&gt; &amp; more</p>"
    assert notice("fine", MUTED) == "<p class='muted'>fine</p>"
    writers = [path.name for path in (ROOT / "emotion/ui").glob("*.py") if path.name != "notes.py"
               and any(f"class={q}error{q}" in path.read_text() for q in "'\"")]
    assert not writers, writers


def test_predict_notices_and_errors(ctx):
    long = "wow! " * 60
    _, notice = predict_tab.predict_one(Page(ctx, LIMITS), long + "\u200b")
    assert "first 200" in notice and "invisible" in notice and "tokens" in notice
    result, notice = predict_tab.predict_one(Page(ctx, LIMITS), "  \n ")  # the old result is replaced by the message
    assert result is None and "empty" in notice and "class='error'" in notice


def test_batch_keeps_every_row_and_column_in_order(ctx, tmp_path):
    page = Page(ctx, LIMITS)
    table, download, note = predict_tab.predict_many(page, "ok sure\n\nthanks so much\n", None, "per_class", 0.5)
    assert table["text"].tolist() == ["ok sure", "", "thanks so much"] and "1 with empty text" in note
    probs = [f"prob_{name}" for name in ctx.model.labels]  # score.py's names
    assert table.columns[:3].tolist() == ["emotions", "top", "text"] and list(table.columns[3:]) == probs
    assert table["emotions"][1].startswith("(empty") and table[probs].iloc[1].isna().all()
    assert Path(download.value["path"]).name == "pasted_emotions.csv"
    np.testing.assert_allclose(table[probs].iloc[2], ctx.model.score(["thanks so much"])[0].round(4), atol=1e-6)
    (tmp_path / "mine.csv").write_text("id,Text,score\n7,hi there,1\n8,,2\n", encoding="utf-8")
    table, download, _ = predict_tab.predict_many(page, "", str(tmp_path / "mine.csv"), "global", 0.5)
    assert table.columns[:5].tolist() == ["emotions", "top", "id", "Text", "score"] and table["id"].tolist() == ["7", "8"]
    assert Path(download.value["path"]).name == "mine_emotions.csv"
    _, _, note = predict_tab.predict_many(page, "also pasted", str(tmp_path / "mine.csv"), "global", 0.5)
    assert "Both pasted lines and an uploaded file" in note
    _, _, note = predict_tab.predict_many(page, "a\nb\nc\nd\ne\nf", None, "per_class", 0.5)
    assert "over the limit of 5" in note


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.csv", b"comment,score\nhi,1\n", "no `text` column; its columns are: comment, score"),
        ("c.csv", b"", "is empty"),
        ("c.txt", "caf\xe9".encode("latin-1"), "not UTF-8"),
        ("c.bin", b"\x00\x01\x02binary", "binary"),
        ("c.json", b'{"text": "hi"}', "use a .csv or .txt file"),
        ("big.txt", b"x" * 20_000, "limit is"),
    ],
)
def test_bad_uploads_get_clear_messages(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_upload(path, LIMITS)


def test_uploads_read_csv_text_column_and_txt_lines(tmp_path):
    (tmp_path / "a.csv").write_text('id,Text\n1,"hello, ""you"""\n2,  \n3,😀\n', encoding="utf-8")
    frame, column = read_upload(tmp_path / "a.csv", LIMITS)
    assert column == "Text" and frame[column].tolist() == ['hello, "you"', "  ", "😀"] and frame["id"].tolist() == ["1", "2", "3"]
    (tmp_path / "a.txt").write_text("\ufeffone\n\ntwo\n", encoding="utf-8")
    assert read_batch(None, tmp_path / "a.txt", LIMITS)[0] == ["one", "", "two"]
    with pytest.raises(InputError, match="No comments"):
        check_batch([], LIMITS)


def test_clean_text():
    assert clean_text(" hi\u202e there\x07 ", LIMITS) == ("hi there", ["Removed invisible control or formatting characters."])
    assert clean_text("😂😂", LIMITS)[0] == "😂😂"


def test_metrics_view_recomputes_from_stored_probabilities(ctx):
    headline, table, sweep, hist, gold_co, pred_co, words = metrics_tab.metrics_view(ctx, 0.3)
    assert "Test set, 24 comments" in headline and "micro F1" in headline
    best = threshold_sweep(ctx.data.test_set().probs, ctx.data.test_set().y_true).micro_f1.max()
    assert f"micro f1 peaks at {best:.3f}" in words and "Most frequent pairs, gold:" in words
    assert table["label"].tolist() == ctx.model.labels
    assert any(s.type == "line" and s.x0 == 0.3 for s in sweep.layout.shapes)  # the current threshold is marked
    per_class = metrics_tab.metrics_view(ctx, "per_class")
    assert not per_class[2].layout.shapes
    pr, calibration, words = metrics_tab.curves_view(ctx, "gratitude")
    assert f"micro-average {pr.data[0].name.split('AP ')[1].rstrip(')')}" in words and "gratitude" in words
    assert len(pr.data) == 2 and "AP" in pr.data[1].name and "ECE" in calibration.layout.title.text


def test_class_charts(ctx):
    note, bars, distribution, scatter, words = classes_tab.class_charts(ctx, "per_class", "recall")
    assert f"highest recall: {bars.data[0].y[-1]} " in words and f"lowest: {bars.data[0].y[0]} " in words
    assert "r = " in note and "tuned per-class thresholds r =" in note
    assert list(bars.data[0].x) == sorted(bars.data[0].x)
    assert distribution.layout.yaxis.type == "log" and scatter.layout.xaxis.type == "log"


def test_error_explorer_filters(ctx):
    everything = errors_tab.filter_rows(ctx, 0.5, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "")[0]
    assert len(everything) == 24 and everything["loss"].is_monotonic_decreasing
    gratitude = errors_tab.filter_rows(ctx, 0.5, "gratitude", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "")[0]
    assert len(gratitude) and all("gratitude" in g for g in gratitude["gold"])
    found = errors_tab.filter_rows(ctx, 0.5, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "LEGEND")[0]
    assert len(found) and all("legend" in t for t in found["text"])
    only = errors_tab.filter_rows(ctx, 0.0, "(any)", "(any)", errors_tab.HAS, ["spurious"], 0, 1, "")[0]
    assert set(only["outcome"]) == {"spurious"}
    middle = float(np.median(ctx.data.test_set().probs))  # predicts about half the labels: misses and extras
    summary, table, pairs, matrix, download, comment, selected, quality = errors_tab.explore(ctx, middle, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "")
    assert "24" in summary and table.count("data-pick=") == 24 and pairs.count("data-pick=") > 0
    assert len(pd.read_csv(download.value["path"])) == 24
    empty = errors_tab.explore(ctx, middle, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "no such words here")
    assert "No comment matches" in empty[1] and "data-pick=" not in empty[1]


def test_error_detail_and_pair_selection(ctx):
    middle = float(np.median(ctx.data.test_set().probs))
    rows, pairs, _ = errors_tab.filter_rows(ctx, middle, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "")
    first = str(rows.iloc[0]["id"])
    assert f'data-pick="{{&quot;id&quot;: &quot;{first}&quot;}}"' in errors_tab.rows_html(rows)  # a row click names its comment
    comment, selected, quality = errors_tab.detail(ctx, "0.05", gr.EventData(None, {"id": first}))
    i = ctx.data.test_set().ids.index(first)
    assert comment == ctx.data.test_set().texts[i]
    # the browser stars the gold labels and draws at the setting's thresholds
    assert selected["gold"] == np.flatnonzero(ctx.data.test_set().y_true[i]).tolist() and selected["thresholds"] == [0.05] * 28
    top = pairs.iloc[0]
    gold, instead, match = errors_tab.pick_pair(gr.EventData(None, {"gold": top["gold"], "predicted": top["predicted_instead"]}))
    assert (gold, instead) == (top["gold"], top["predicted_instead"]) and match == errors_tab.CONFUSED
    rows = errors_tab.filter_rows(ctx, middle, gold, instead, match, list(OUTCOMES), 0, 1, "")[0]
    assert len(rows) == top["count"]  # the pair's count is the rows it filters to
    matrix = errors_tab.explore(ctx, middle, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "")[3]
    cells = matrix.data  # every non-zero cell of the matrix is the count of the rows it filters to
    for r, c in zip(*np.nonzero(cells.iloc[:, 1:].ne("").to_numpy())):
        gold, instead, match = errors_tab.pick_cell(ctx.model.labels, gr.SelectData(None, {"index": [r, c + 1], "value": ""}))
        assert len(errors_tab.filter_rows(ctx, middle, gold, instead, match, list(OUTCOMES), 0, 1, "")[0]) == cells.iat[r, c + 1]
    assert len(pairs) == cells.iloc[:, 1:].ne("").to_numpy().sum()  # the pairs are the matrix's cells
    gold, anything, _ = errors_tab.pick_cell(ctx.model.labels, gr.SelectData(None, {"index": [2, 0], "value": ""}))
    assert (gold, anything) == (ctx.model.labels[2], errors_tab.ANY)


def test_missing_data_disables_only_the_analysis_tabs(no_data_ctx):
    with pytest.raises(DataUnavailable, match="--data_dir"):
        no_data_ctx.data.test_set()
    assert "python app.py --data_dir" in metrics_tab.metrics_view(no_data_ctx, 0.5)[0]
    assert "python app.py --data_dir" in classes_tab.class_charts(no_data_ctx, 0.5, "f1")[0]
    assert "python app.py --data_dir" in errors_tab.explore(no_data_ctx, 0.5, "(any)", "(any)", errors_tab.HAS, [], 0, 1, "")[0]
    assert len(predict_tab.predict_one(Page(no_data_ctx, LIMITS), "thanks")[0]["probabilities"]) == 28


@pytest.mark.parametrize("backend", ["torch", "onnx-int8"])
def test_stale_probabilities_are_recomputed_and_cached(tiny_checkpoint, tmp_path, backend):
    import shutil

    from emotion import checkpoint as ckpt

    copy = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, copy)
    stored_ids, stored = ckpt.Checkpoint(copy).probabilities("test")
    stale = ckpt.Checkpoint(copy)
    stale.fingerprint = "other"  # as if written for other weights
    stale.save_probabilities("test", stored_ids[:3], stored[:3])
    # Recomputed with torch whatever the app runs: the file holds torch's probabilities.
    test = AppContext(copy, str(tiny_checkpoint.parent / "data"), backend=backend).data.test_set()
    np.testing.assert_allclose(test.probs, stored, atol=1e-5)
    ids, _ = ckpt.Checkpoint(copy).probabilities("test")  # raises if stale
    assert ids == test.ids and len(AppContext(copy).model.labels) == 28


def test_api_functions(ctx):
    out = api_predict(ctx, LIMITS, "thanks so much", 0.0)
    assert len(out["labels"]) == 28 and len(out["top"]) == 3
    batch = api_predict_batch(ctx, LIMITS, ["ok", " ", "thanks " * 100], None)  # one entry per input, in order
    assert [r["text"] for r in batch] == ["ok", " ", ("thanks " * 100)[:200]] and "empty" in batch[1]["error"]
    assert any("only the first 200" in n for n in batch[2]["notices"]) and batch[0]["probabilities"] == api_predict(ctx, LIMITS, "ok")["probabilities"]
    with pytest.raises(gr.Error, match="empty"):
        api_predict(ctx, LIMITS, "", None)
    with pytest.raises(gr.Error, match=r"\[0, 1\]"):
        api_predict(ctx, LIMITS, "hi", 2.0)


def test_about_names_the_checkpoint_and_test_metrics(ctx):
    text = about_tab.about_markdown(ctx)
    assert f"`{ctx.model.checkpoint.name}`" in text and "/" not in text.split("`")[1][:1] and "per-class, tuned on dev" in text and "Base model" in text
    # The tiny checkpoint records a backend chosen on dev; the app says which one answers and why.
    assert f"**Inference:** `{ctx.model.classifier.backend}`" in text and "chosen on dev" in text


@pytest.mark.parametrize("text", ["😂😂😂", "¡Qué alegría verte de nuevo!", "这太好了", "مرحبا بك", "a\u200b\u200fb"])
def test_unusual_text_gets_a_prediction(ctx, text):
    result, notice = predict_tab.predict_one(Page(ctx, LIMITS), text)
    assert len(result["probabilities"]) == 28 and np.isfinite(result["probabilities"]).all()


def test_control_characters_only_is_refused_clearly(ctx):
    result, notice = predict_tab.predict_one(Page(ctx, LIMITS), "\u200b\u200e\x00\x07")
    assert result is None and "empty" in notice


def test_live_answers_use_the_backends_own_thresholds_and_analysis_tabs_torchs(tiny_checkpoint, tmp_path):
    import json
    import shutil

    from emotion import checkpoint as ckpt
    from emotion.metrics import per_class_table
    from emotion.thresholds import Thresholds

    copy = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, copy)
    choice = json.loads((copy / ckpt.INFERENCE).read_text())
    labels = AppContext(copy, backend="torch").model.labels
    own = Thresholds(0.05, dict.fromkeys(labels, 0.05))  # far from torch's, so every check can tell them apart
    choice["backends"]["onnx-int8"]["thresholds"] = own.to_dict()
    (copy / ckpt.INFERENCE).write_text(json.dumps(choice))
    ctx = AppContext(copy, str(tiny_checkpoint.parent / "data"), backend="onnx-int8")
    assert ctx.model.thresholds == own and ctx.model.test_thresholds == Thresholds.load(copy / ckpt.THRESHOLDS, labels)

    result, _ = predict_tab.predict_one(Page(ctx, LIMITS), "thanks so much lol")
    assert result["thresholds"] == [0.05] * 28  # the browser labels with the live backend's own
    _, table, *_ = metrics_tab.metrics_view(ctx, "per_class")
    test = ctx.data.test_set()
    expected = per_class_table(test.probs, test.y_true, labels, ctx.model.test_thresholds.array(labels))
    np.testing.assert_allclose(table["f1"], expected["f1"].round(3))
    sliders = [str(b.info).split(";")[0] for b in build_app(ctx, LIMITS).blocks.values() if isinstance(b, gr.Slider)]
    # The Predict tab's slider names the backend's own; the analysis tabs keep torch's.
    assert sliders.count("the checkpoint's, re-tuned on dev for the onnx-int8 copy of the model that answers here: 0.05") == 1
    text = about_tab.about_markdown(ctx)
    assert "the checkpoint's, re-tuned on dev for the onnx-int8 copy of the model that answers here, one per label (global 0.05)" in text
    assert f"original (torch) model's, tuned on dev (global {ctx.model.test_thresholds.global_threshold:.2f})" in text


def test_every_surface_names_a_profile_or_a_number(tiny_checkpoint, tmp_path):
    """With a profile loaded, the API, the Predict tab, About and score.py's first line name the profile;
    with a number, the number; a profile and a number together are refused."""
    import subprocess
    import sys

    from emotion.thresholds import Thresholds

    labels = AppContext(tiny_checkpoint, backend="torch").model.labels
    profile = tmp_path / "forum.json"
    Thresholds(0.2, dict.fromkeys(labels, 0.2), name="forum").save(profile)
    ctx = AppContext(tiny_checkpoint, backend="onnx-int8", profile=str(profile))
    assert api_predict(ctx, LIMITS, "thanks so much", None)["thresholds"] == "profile forum, one per label"
    assert api_predict(ctx, LIMITS, "thanks so much", 0.3)["thresholds"] == "0.3 for every label"
    assert api_predict(ctx, LIMITS, "thanks so much", "global")["thresholds"] == "profile forum: one global value, 0.20"
    about = about_tab.about_markdown(ctx)
    assert "**Thresholds:** profile forum, one per label" in about and "tuned on dev (global" in about
    blocks = build_app(ctx, LIMITS).blocks.values()
    assert any(isinstance(b, gr.Markdown) and "Thresholds here: profile forum" in str(b.value) for b in blocks)
    assert any(isinstance(b, gr.Slider) and str(b.info).startswith("profile forum: 0.20") for b in blocks)
    (tmp_path / "in.csv").write_text("text\nthanks so much\n")
    for options, said, status in ((["--profile", str(profile)], "thresholds: profile forum, one per label", 0),
                                  (["--thresholds", str(profile)], "thresholds: profile forum, one per label", 0),
                                  (["--threshold", "0.3"], "thresholds: 0.3 for every label", 0),
                                  (["--threshold", "0.3", "--profile", str(profile)], "not both", 2)):
        done = subprocess.run([sys.executable, "score.py", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"),
                               "--checkpoint", str(tiny_checkpoint), *options], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == status and said in done.stderr, done.stderr[-1500:]


def test_adapt_tab_tunes_a_profile_that_the_batch_answers_with(ctx, tmp_path):
    from emotion.ui import adapt_tab

    page = Page(ctx, Limits())
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"text": [f"i am so proud of you {i}" for i in range(60)],
                          "joy": (rng.random(60) < 0.5).astype(int), "anger": (rng.random(60) < 0.3).astype(int)})
    frame.to_csv(tmp_path / "forum.csv", index=False)
    summary, report, download, chosen = adapt_tab.tune(page, str(tmp_path / "forum.csv"), [])
    assert "60</b> comments, 2 labels" in summary and report["label"].tolist() == ["anger", "joy"]
    assert Path(download.value["path"]).name == "forum_profile.json" and chosen["name"] == "forum"
    table, *_ = predict_tab.predict_many(page, "ok sure", None, "per_class", 0.5, chosen)
    probs = ctx.model.score(["ok sure"])[0]  # unrounded, as the batch scores it
    assert set(table["emotions"][0].split(", ")) - {""} == {name for name, p in zip(ctx.model.labels, probs)
                                                             if p >= chosen["per_class"][name]}
    hostile = {**chosen, "per_class": {**chosen["per_class"], "joy": 2.0}}
    bad = predict_tab.predict_many(page, "ok sure", None, "per_class", 0.5, hostile)
    assert "must lie in [0, 1]" in bad[2]
    assert "not a valid" in predict_tab.predict_many(page, "ok sure", None, "per_class", 0.5, {"name": "x", "per_class": 3})[2]
    error, *_ = adapt_tab.tune(page, None, [])
    assert "Upload a labelled" in error
    (tmp_path / "few.csv").write_text("text,joy\na,1\n")
    assert "at least 20" in adapt_tab.tune(page, str(tmp_path / "few.csv"), [])[0]


def test_the_why_view_explains_every_label_and_refuses_empty_text(ctx):
    import time

    page = Page(ctx, LIMITS)
    explanation, first, note, neighbours = predict_tab.explain_one(page, "i love this so much")
    assert explanation["words"] == ["i", "love", "this", "so", "much"] and set(explanation["effects"]) == set(ctx.model.labels)
    assert first.value in ctx.model.labels and first.choices[0][0] == ctx.model.labels[0] and "masked in turn" in note
    deadline = time.time() + 60
    while "being indexed" in neighbours and time.time() < deadline:  # the first call starts the index
        time.sleep(0.5)
        neighbours = predict_tab.explain_one(page, "i love this so much")[3]
    assert "Most similar training comments" in neighbours and "Label agreement" in neighbours
    empty = predict_tab.explain_one(page, "   ")
    assert empty[0] is None and "empty" in empty[2] and empty[3] == ""
    text, payload, _ = errors_tab.show_comment(ctx, 0.5, ctx.data.test_set().ids[0])
    assert "gold" in errors_tab.explain_selected(ctx, text, payload)[3] or "indexed" in errors_tab.explain_selected(ctx, text, payload)[3]
    assert "Select a comment" in errors_tab.explain_selected(ctx, "", None)[2]


def test_a_comment_in_another_language_gets_a_notice():
    from emotion.ui.inputs import reading_notices

    class Reads:  # a model that knows every word piece: the tiny test vocabulary knows no French
        max_length = 128

        def count_tokens(self, text):
            return len(text.split()) + 2, 0

    french = reading_notices(Reads(), "Je suis tellement content pour toi, félicitations !")
    assert any("another language than English (fr" in n for n in french)
    for english in ("thanks so much for the help, legend", "lol", "ok sure", "Honestly this is the best thing ever"):
        assert reading_notices(Reads(), english) == []


def test_adapt_tab_tunes_a_sample_of_one_label(ctx, tmp_path):
    from emotion.ui import adapt_tab

    page = Page(ctx, Limits())
    rows = ["text,joy"] + [f"{'so happy for you' if i % 2 else 'ok sure'} {i},{i % 2}" for i in range(40)]
    (tmp_path / "one.csv").write_text("\n".join(rows) + "\n")
    summary, report, _, chosen = adapt_tab.tune(page, str(tmp_path / "one.csv"), [])
    assert "1 labels" in summary and report["label"].tolist() == ["joy"] and len(chosen["per_class"]) == 28
