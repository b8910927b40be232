"""Issue 35, item 10: every refusal is one clear line (../shared/reports/hostile-input-trial.md, N3-N7, N10-N13).

Forged UI events are sent as a stranger sends them: through Gradio's queue, by the event's index in /config."""

import html
import json
import shutil
import subprocess
import sys
import threading
import uuid
from types import SimpleNamespace

import gradio as gr
import httpx
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, labelled_comments
from emotion.analysis.tables import OUTCOMES
from emotion.labels import LABELS

BIG_QUERY = "q" + "z" * 5_000_000


# --- the running app, called as the trial called it -------------------------------------------------------------

def config(url: str) -> dict:
    return httpx.get(url + "config", timeout=30).json()


def component(cfg: dict, **props) -> int:
    """The id of the one component whose props hold ``props``."""
    found = [c["id"] for c in cfg["components"] if all(c.get("props", {}).get(k) == v for k, v in props.items())]
    assert len(found) == 1, (props, found)
    return found[0]


def event_index(cfg: dict, target: int, name: str, inputs: int | None = None) -> int:
    found = [d["id"] for d in cfg["dependencies"] if [target, name] in [list(t) for t in d["targets"]]
             and d.get("backend_fn") and (inputs is None or len(d["inputs"]) == inputs)]
    assert found, (target, name)
    return found[0]


def call(url: str, fn: int, data: list, event_data=None) -> dict:
    """Join the queue as a browser does and wait for the answer: {"output": ...} or {"error": ...}."""
    session = uuid.uuid4().hex[:11]
    body = json.dumps({"data": data, "fn_index": fn, "session_hash": session, "event_data": event_data}, allow_nan=True)
    with httpx.Client(timeout=120) as client:
        joined = client.post(url + "gradio_api/queue/join", content=body, headers={"Content-Type": "application/json"})
        assert joined.status_code == 200, joined.text[:300]
        with client.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed":
                        return message["output"] if message.get("success") else {"error": message["output"].get("error")}
    raise AssertionError("no answer")


def refused(answer: dict, words: str) -> None:
    """One clear line: the error names the problem (not Gradio's bare ``null``)."""
    assert "error" in answer and answer["error"], answer
    assert words in answer["error"] and "\n" not in answer["error"], answer["error"]


@pytest.fixture(scope="module")
def app(app_url):
    return SimpleNamespace(url=app_url, cfg=config(app_url))


def errors_filter(app, setting: str = "per_class", query: str = "", low=0, high=1) -> dict:
    query_box = component(app.cfg, label="Text contains")
    fn = event_index(app.cfg, query_box, "submit")
    from emotion.ui.errors_tab import HAS, WORST
    data = ["Errors", None, setting, "(any)", "(any)", HAS, list(OUTCOMES), low, high, query, WORST, "(any)"]
    return call(app.url, fn, ticketed(app, fn, data))


def ticketed(app, fn: int, data: list) -> list:
    """``data`` with the browser's request number first, where the event takes one (emotion.ui.freshness)."""
    inputs = len(next(d for d in app.cfg["dependencies"] if d["id"] == fn)["inputs"])
    return ["1", *data] if inputs == len(data) + 1 else data


def test_the_text_filter_has_a_cap_stated_and_checked_on_the_server(app):
    # refused before Gradio keeps the value in the visitor's session state
    refused(errors_filter(app, query=BIG_QUERY), '"Text contains" is 5,000,001 characters long; the limit is 200')
    assert errors_filter(app, query="the")["data"]  # a phrase is searched as before
    query_box = next(c for c in app.cfg["components"] if c["props"].get("label") == "Text contains")
    assert query_box["props"]["max_length"] == 200  # the browser stops typing there too


@pytest.mark.parametrize("setting", ["nan", "abc", "inf", "2", None])
def test_a_forged_threshold_setting_is_refused_in_words(app, setting):
    refused(errors_filter(app, setting=setting), "threshold setting must be 'per_class' or a number from 0 to 1")


def test_the_shared_threshold_refresh_refuses_a_forged_setting(app):
    setting = component(app.cfg, visible=False, value="per_class")
    fn = event_index(app.cfg, setting, "change")
    deps = next(d for d in app.cfg["dependencies"] if d["id"] == fn)
    values = {c["id"]: c["props"].get("value") for c in app.cfg["components"]}
    data = [values.get(i) for i in deps["inputs"]]  # what a fresh page sends
    at = deps["inputs"].index(setting)  # the open tab before it, and the request's number first where there is one
    data[at - 1], data[at], data[0] = "Errors", "nan", "1" if at == 2 else "Errors"
    refused(call(app.url, fn, data), "threshold setting must be")


@pytest.mark.parametrize("low, words", [("abc", "(a slider) cannot take what was sent"),
                                        (None, "(a slider) cannot take what was sent"),
                                        (7, "Value 7 is greater than maximum value 1")])  # Gradio's own line
def test_a_forged_slider_value_is_refused(app, low, words):
    refused(errors_filter(app, low=low), words)


LABELLER = dict(elem_id="labeller")


@pytest.mark.parametrize("event_data, words", [
    ({"session": "0" * 32, "index": float("inf"), "labels": "[]"}, "The comment's index must be a whole number"),
    ({"session": "0" * 32, "index": "abc", "labels": "[]"}, "The comment's index must be a whole number"),
    ({"session": "0" * 32, "index": 3, "labels": "[" * 100_000 + "]" * 100_000}, "The answer is 200,000 characters"),
    ({"session": "0" * 32, "index": 3, "labels": '{"a": 1}'}, "The answer must be a list"),
    ({"session": None, "index": 3, "labels": "[]"}, "Choose one of your labelling sessions"),  # the store refuses it
    ({"session": ["x"], "index": 3, "labels": "[]"}, "The session must be text"),
])
def test_a_forged_answer_is_refused_in_one_line(app, event_data, words):
    labeller = component(app.cfg, **LABELLER)
    answer = call(app.url, event_index(app.cfg, labeller, "answer"), ["A" * 32], event_data)
    if "error" in answer:
        refused(answer, words)
    else:  # the labeller's own refusal, shown in place
        assert words in answer["data"][0], answer


def test_a_forged_answer_to_a_real_session_is_refused_and_the_session_keeps_working(tiny_checkpoint, tmp_path,
                                                                                  monkeypatch):
    from emotion.ui import label_view
    from emotion.ui.page import Page
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    monkeypatch.setenv("EMOTION_LABELLING_DIR", str(tmp_path / "store"))
    labelled_comments(40, 2)[["text"]].to_csv(tmp_path / "ours.csv", index=False)
    page = Page(AppContext(tiny_checkpoint, backend="onnx"), Limits())
    key, sessions, _, _ = label_view.start(page, "", str(tmp_path / "ours.csv"), "joy, thankful", 10)
    session = sessions.value
    for index, labels, words in [(float("inf"), "[]", "The comment's index must be a whole number from 0 to 999"),
                                 (1e9, "[]", "The comment's index must be a whole number"),
                                 (0, "[" * 100_000 + "]" * 100_000, "The answer is 200,000 characters long"),
                                 (0, '[["joy"]]', "The answer must be a list of at most 36 label names")]:
        with pytest.raises(gr.Error, match=words):  # before: OverflowError and RecursionError escaped the handler
            label_view.answer(page, key, SimpleNamespace(session=session, index=index, labels=labels))
    with pytest.raises(gr.Error, match="The comment's index must be a whole number"):
        label_view.back(page, key, SimpleNamespace(session=session, index=float("inf")))
    shown, _ = label_view.answer(page, key, SimpleNamespace(session=session, index=0, labels='["joy"]'))
    assert "<b>1</b> of 10 labelled" in shown


def test_a_forged_back_is_refused_in_one_line(app):
    labeller = component(app.cfg, **LABELLER)
    answer = call(app.url, event_index(app.cfg, labeller, "back"), ["A" * 32],
                  {"session": "0" * 32, "index": float("inf")})
    refused(answer, "The comment's index must be a whole number")


@pytest.mark.parametrize("row, words", [(1e9, "The row must be a whole number"), ("abc", "The row must be a whole number"),
                                        (None, "The row must be a whole number"), (-1, "The row must be a whole number"),
                                        (1000, "The row must be below 24")])
def test_a_forged_compare_row_is_refused_in_one_line(app, row, words):
    from emotion.thresholds import Thresholds
    from emotion.ui.compare_tab import PROFILE

    browser = component(app.cfg, elem_id="compare-browser")
    profile = Thresholds(0.99, {n: 0.99 for n in LABELS}, "strict").to_dict()
    refused(call(app.url, event_index(app.cfg, browser, "pick"), [PROFILE, profile], {"row": row}), words)
    shown = call(app.url, event_index(app.cfg, browser, "pick"), [PROFILE, profile], {"row": 0})
    assert shown["data"][0]  # a real row still opens


@pytest.mark.parametrize("target, name, event_data, words", [
    ("pairs-table", "pick", {"gold": "nope", "predicted": "joy"}, "The label must be one of the listed choices"),
    ("pairs-table", "pick", {"gold": ["joy"]}, "The label must be one of the listed choices"),
    ("confusion-matrix", "select", {"index": [99, 99], "value": 1}, "The cell's row must be a whole number from 0 to 27"),
    ("confusion-matrix", "select", {"index": "a", "value": 1}, "must be a list of 2 values"),
])
def test_a_forged_errors_pick_is_refused(app, target, name, event_data, words):
    refused(call(app.url, event_index(app.cfg, component(app.cfg, elem_id=target), name), [], event_data), words)


def test_a_forged_probe_pick_is_refused(app):
    failing = component(app.cfg, elem_id="probe-failing")
    refused(call(app.url, event_index(app.cfg, failing, "pick"), [], {"nothing": 1}), "Choose a failing case")


@pytest.mark.parametrize("covered", [[5], "joy", ["x" * 500]])
def test_forged_covered_labels_are_refused(app, covered):
    button = next(c["id"] for c in app.cfg["components"] if c["props"].get("value") == "Fit a profile from this file")
    refused(call(app.url, event_index(app.cfg, button, "click"), [None, covered]), "The labels the sample covers must be")


def test_a_call_without_its_values_is_refused_in_one_line(app):
    with httpx.Client(timeout=60) as client:
        started = client.post(app.url + "gradio_api/call/predict_batch", json={"data": []})
        answer = client.get(app.url + f"gradio_api/call/predict_batch/{started.json()['event_id']}").text
    assert "event: error" in answer and "predict_batch takes texts, threshold; got 0 value(s)" in answer, answer


def test_a_flood_of_batches_is_refused_at_its_share_and_predictions_still_answer(app):
    texts = [f"thanks a lot {i}" for i in range(1000)]  # seconds each: 40 sent at once, most wait
    statuses, lock = [], threading.Lock()

    def send():
        answer = httpx.post(app.url + "gradio_api/call/predict_batch", json={"data": [texts, None]}, timeout=60)
        with lock:
            statuses.append((answer.status_code, answer.text))

    threads = [threading.Thread(target=send) for _ in range(40)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    refusals = [text for status, text in statuses if status != 200]
    assert refusals and all("Too many batch requests are waiting (16)" in text for text in refusals), statuses[:3]
    from gradio_client import Client

    assert len(Client(app.url, verbose=False).predict("thanks!", None, api_name="/predict")["probabilities"]) == 28


def test_gradios_own_queue_full_refusals_are_logged_once_a_minute(caplog):
    import asyncio

    from emotion.ui.server import Serving, bound_queue

    async def push(body, request, username):
        return False, "Queue is full. Max size is 256 and size is 256.", "queue_full"

    queue = SimpleNamespace(push=push, event_queue_per_concurrency_id={})
    demo = SimpleNamespace(_queue=queue, fns={0: SimpleNamespace(concurrency_id="1234")})
    bound_queue(demo, Serving())
    with caplog.at_level("WARNING"):
        for _ in range(50):
            assert asyncio.run(queue.push(SimpleNamespace(fn_index=0), None, None))[2] == "queue_full"
    lines = [r.getMessage() for r in caplog.records if "queue is full" in r.getMessage()]
    assert lines == ["refused 1 request(s) since the last such line: the whole queue is full (256 waiting)"]


def test_batches_have_one_worker_and_their_own_share(tiny_checkpoint):
    from emotion.ui.server import Serving, build_app
    from emotion.ui.context import AppContext

    demo = build_app(AppContext(tiny_checkpoint, None))
    batch = {fn.api_name: (fn.concurrency_id, fn.concurrency_limit) for fn in demo.fns.values()
             if fn.api_name in ("predict_batch", "batch_table")}
    assert batch == {"predict_batch": ("batch", 1), "batch_table": ("batch", 1)}
    assert dict(Serving().shares)["batch"] == 16


# --- the door itself ---------------------------------------------------------------------------------------------

def test_the_door_checks_each_named_argument_and_refuses_in_one_line():
    from emotion.ui.door import door, event, names_json, whole

    @door(index=whole(0, 9), evt=event(labels=names_json(3)))
    def handler(index: int, evt: gr.EventData):
        return index, evt.labels

    assert handler(3.0, gr.EventData(None, {"labels": '["joy"]'})) == (3, ["joy"])
    for index in (float("inf"), float("nan"), 1e9, "abc", None, True, -1, 2.5, "9" * 5000):
        with pytest.raises(gr.Error, match="index must be a whole number from 0 to 9") as caught:
            handler(index, gr.EventData(None, {"labels": "[]"}))
        assert "\n" not in caught.value.message
    for labels in ("[" * 100_000 + "]" * 100_000, "null", '["a", 1]', '["a","b","c","d"]', "{", 5):
        with pytest.raises(gr.Error):
            handler(1, gr.EventData(None, {"labels": labels}))
    with pytest.raises(gr.Error, match="carries no fields"):
        handler(1, gr.EventData(None, "not a dict"))
    with pytest.raises(gr.Error, match="takes 2 values; got 0"):
        handler()


# --- the profile reader ------------------------------------------------------------------------------------------

def hostile_profiles(head_profile, folder):
    text = head_profile.read_text()
    profile = json.loads(text)
    width = profile["features"]["width"]
    shapes = {
        "deep": text.rstrip().rstrip("}") + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "bigint": text.replace('"global": %s' % json.dumps(profile["global"]), '"global": 1' + "0" * 400),
        "width": text.replace('"width": %d' % width, '"width": 1e400'),
    }
    for name, content in shapes.items():
        assert content != text, name
        (folder / f"{name}.json").write_text(content)
    return list(shapes)


def test_three_profile_shapes_are_refused_in_one_line_by_every_command(head_profile, tiny_checkpoint, tmp_path):
    (tmp_path / "tiny.csv").write_text("text\nthanks\n")
    for name in hostile_profiles(head_profile, tmp_path):
        done = subprocess.run([sys.executable, "score.py", str(tmp_path / "tiny.csv"), str(tmp_path / "o.csv"),
                               "--profile", str(tmp_path / f"{name}.json"), "--checkpoint", str(tiny_checkpoint)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-1500:]
        assert "is not a valid thresholds file" in done.stderr, done.stderr[-1500:]


def test_the_profile_reader_refuses_the_shapes_in_the_app_too(head_profile, tmp_path):
    from emotion.profiles.profile import MAX_PROFILE_BYTES, Profile
    from emotion.thresholds import ThresholdError

    for name in hostile_profiles(head_profile, tmp_path):
        with pytest.raises(ThresholdError, match="is not a valid thresholds file"):
            Profile.load(tmp_path / f"{name}.json", LABELS)
    raw = json.loads(head_profile.read_text())
    for forged in ({**raw, "global": 10 ** 400}, {**raw, "features": {**raw["features"], "width": float("inf")}},
                   {**raw, "features": {**raw["features"], "width": 412.5}}):
        with pytest.raises(ThresholdError, match="is not a valid thresholds file"):  # a profile sent by the browser
            Profile.from_dict(forged, LABELS, source="your profile")
    (tmp_path / "huge.json").write_text(" " * (MAX_PROFILE_BYTES + 1) + "{}")
    with pytest.raises(ThresholdError, match="a profile is at most 16 MB"):
        Profile.load(tmp_path / "huge.json", LABELS)


# --- the weight column: one reader for adapt.py and a continued session -------------------------------------------

BAD_WEIGHTS = ["abc", "0", "inf", "=1+1", "-5", "1e308"]


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_a_continued_session_reads_the_weight_column_as_adapt_does(tiny_checkpoint, tmp_path, monkeypatch, weight):
    from emotion.profiles.fit import AdaptError, read_sample
    from emotion.ui import label_view
    from emotion.ui.page import Page
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    monkeypatch.setenv("EMOTION_LABELLING_DIR", str(tmp_path / "store"))
    frame = labelled_comments(40, 3)[["text", "joy", "thankful"]]
    frame.insert(1, "weight", [weight] + ["1.5"] * 39)
    frame.to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(AdaptError, match="must hold positive numbers up to 1e\\+09") as by_adapt:
        read_sample(tmp_path / "w.csv", LABELS)
    page = Page(AppContext(tiny_checkpoint, backend="onnx"), Limits())
    key, sessions, shown, note = label_view.start(page, "", str(tmp_path / "w.csv"), "joy, thankful", 30)
    assert html.escape(str(by_adapt.value)) in note and "class='error'" in note and "labeller" not in str(shown)


def test_a_session_stored_with_bad_weights_is_refused_when_fitted(tiny_checkpoint, tmp_path):
    from emotion.profiles.fit import AdaptError
    from emotion.profiles.labelling import Store

    store = Store(tmp_path)
    items = pd.DataFrame({"text": [f"comment {i}" for i in range(12)], "weight": ["-5"] * 12})
    session = store.create("K" * 20, "old", items, ["joy"], {i: ["joy"] if i % 2 else [] for i in range(12)})
    with pytest.raises(AdaptError, match="weight"):
        session.sample(LABELS)


# --- Compare: a profile with labels of its own ------------------------------------------------------------------

@pytest.fixture(scope="module")
def served_ctx(served, tiny_checkpoint):
    from emotion.ui.context import AppContext

    return AppContext(served, str(tiny_checkpoint.parent / "data"))


def test_compare_takes_a_profile_with_labels_of_its_own_on_the_shared_labels(served_ctx, head_profile):
    from emotion.ui import compare_tab

    profile = json.loads(head_profile.read_text())
    found = compare_tab.compare(served_ctx, "per_class", compare_tab.PROFILE, profile)
    assert "Micro F1 B − A" in found.summary, found.summary
    assert "its own labels (thankful, puzzled, hyped) have no gold labels in the test set" in found.summary
    assert "28 labels it shares with the model are compared" in found.summary and "Re-tune" not in found.summary
    text, a, b = compare_tab.open_comment(served_ctx, compare_tab.PROFILE, profile, 0)
    assert len(b["thresholds"]) == 28


def test_compare_py_takes_a_profile_with_labels_of_its_own(head_profile, tiny_checkpoint, tmp_path):
    from emotion.thresholds import Thresholds

    Thresholds(0.5, {n: 0.5 for n in LABELS}, "flat").save(tmp_path / "flat.json")
    done = subprocess.run([sys.executable, "compare.py", str(head_profile), str(tmp_path / "flat.json"), "--checkpoint",
                           str(tiny_checkpoint), "--data_dir", str(tiny_checkpoint.parent / "data")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "have no gold labels in the test set" in done.stderr and "micro F1" in done.stdout


# --- the test-set tabs after the data folder comes back ----------------------------------------------------------

def test_the_test_set_is_found_when_its_data_folder_comes_back(tiny_checkpoint, tmp_path, monkeypatch):
    from emotion.ui import context, metrics_tab
    from emotion.ui.context import AppContext, DataUnavailable

    monkeypatch.setattr(context, "RETRY_S", 0.0)
    late = tmp_path / "late"
    ctx = AppContext(tiny_checkpoint, str(late))
    with pytest.raises(DataUnavailable, match="does not exist"):
        ctx.data.test_set()
    shutil.copytree(tiny_checkpoint.parent / "data", late)
    assert len(ctx.data.test_set().ids) == 24 and ctx.data.loaded


def test_a_view_shown_without_the_test_set_is_computed_again(tiny_checkpoint):
    from emotion.ui.views import View

    ready = [False]
    view = View("Errors", lambda setting, x: (f"shown {x}",), [], ["out"], False, ready=lambda: ready[0])
    key, shown = view.refresh("Errors", None, "per_class", 1)
    assert key is None and shown == "shown 1"  # not remembered: the same request computes again
    ready[0] = True
    key, _ = view.refresh("Errors", None, "per_class", 1)
    assert key is not None and view.refresh("Errors", key, "per_class", 1)[0] is not None  # skipped: gr.skip()


# --- changed weights without PyTorch -----------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["onnx-int8", "auto"])
def test_changed_weights_without_pytorch_are_named_as_changed(tiny_checkpoint, tmp_path, monkeypatch, backend):
    from emotion.serve import backends
    from emotion.checkpoint import CheckpointError
    from emotion.serve.predict import EmotionClassifier

    folder = tmp_path / "flip"
    shutil.copytree(tiny_checkpoint, folder)
    weights = folder / "model.safetensors"
    with weights.open("r+b") as f:
        f.seek(weights.stat().st_size // 2)
        chunk = f.read(16)
        f.seek(weights.stat().st_size // 2)
        f.write(bytes(b ^ 255 for b in chunk))
    monkeypatch.setattr(backends, "torch_available", lambda: False)
    with pytest.raises(CheckpointError, match="model.safetensors differs from the weights its backend choice") as caught:
        EmotionClassifier(folder, backend=backend, device="cpu").predict("thanks")
    assert "git checkout -- checkpoints/" in str(caught.value) and "use the onnx-int8 backend" not in str(caught.value)


# --- the commands' smaller slips ---------------------------------------------------------------------------------

@pytest.mark.parametrize("command, args, words", [
    ("adapt.py", ["{tmp}/ok.csv", "--out", "{tmp}/missing/p.json"], "argument --out: the folder"),
    ("adapt.py", ["--choose", "10", "{tmp}/ok.csv", "--out", "{tmp}/o.csv", "--seed", "-1"], "argument --seed: must be from 0 on"),
    ("adapt.py", ["--choose", "10", "{tmp}/ok.csv", "--out", "{tmp}/o.csv", "--seed", "x"], "argument --seed: expected a whole number"),
    ("compare.py", ["{tmp}/a.json", "{tmp}/b.json", "--disagreements", "-5"], "argument --disagreements: must be from 0 on"),
    ("compare.py", ["{tmp}/a.json", "{tmp}/b.json", "--out", "{tmp}/missing/t.csv"], "argument --out: the folder"),
])
def test_bad_arguments_are_refused_where_they_are_parsed(tmp_path, command, args, words):
    (tmp_path / "ok.csv").write_text("text\nthanks\n")
    done = subprocess.run([sys.executable, command, *[a.format(tmp=tmp_path) for a in args]], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert ".p-" not in done.stderr


def test_a_write_names_the_file_asked_for_never_its_hidden_temporary(tmp_path):
    from emotion.files import write_json

    with pytest.raises(OSError) as caught:
        write_json(tmp_path / "missing" / "p.json", {})
    assert caught.value.filename == str(tmp_path / "missing" / "p.json") and ".p-" not in str(caught.value)
    write_json(tmp_path / "p.json", {"a": 1})
    assert json.loads((tmp_path / "p.json").read_text()) == {"a": 1} and [p.name for p in tmp_path.iterdir()] == ["p.json"]
