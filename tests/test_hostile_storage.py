"""What a stranger, a restart or a busy server may do to what the project stores
(../shared/reports/hostile-input-trial.md N1, N2, N9 and N10's `score.py in.csv in.csv`): a visitor's
key survives a restart, labelling storage is bounded server-wide, confirmed answers and input files are
never lost."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT


def command(*args, cwd=ROOT):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def one_error_line(done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and "Traceback" not in done.stderr and len(lines) == 1, done.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("spelling", ["in.csv", "./in.csv", "{tmp}/in.csv", "link.csv", "hard.csv"])
def test_score_refuses_an_output_that_is_its_input(tmp_path, spelling):
    source = tmp_path / "in.csv"
    source.write_text("text\nthanks so much\n")
    (tmp_path / "link.csv").symlink_to(source)
    os.link(source, tmp_path / "hard.csv")
    done = command(str(ROOT / "score.py"), "in.csv", spelling.format(tmp=tmp_path), cwd=tmp_path)
    assert "is the input file; give another output path" in one_error_line(done)
    assert source.read_text() == "text\nthanks so much\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.csv", "in.csv", "link.csv"]  # no partial left


def test_adapt_choose_refuses_an_output_that_is_its_input(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\nthanks so much\n")
    done = command(str(ROOT / "adapt.py"), "--choose", "5", "in.csv", "--out", "./in.csv", cwd=tmp_path)
    assert "is the input file" in one_error_line(done)
    assert source.read_text() == "text\nthanks so much\n"


# --- N1: a visitor's key survives a restart --------------------------------------------------------------

def browser_secrets(checkpoint) -> list[str]:
    """The secrets of the BrowserStates of the Label view, as an app started now builds it."""
    import gradio as gr

    from emotion.ui import label_view
    from emotion.ui.page import Page
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    with gr.Blocks() as demo:
        label_view.build(Page(AppContext(checkpoint, backend="onnx"), Limits()))
    return [block.secret for block in demo.blocks.values() if isinstance(block, gr.BrowserState)]


def test_the_page_key_is_encrypted_with_a_secret_that_outlives_the_process(tiny_checkpoint, tmp_path, monkeypatch):
    """Gradio drew a new secret at every start, so no page could read its key after a restart."""
    from emotion.profiles.labelling import SECRET_FILE, Store

    monkeypatch.setenv("EMOTION_LABELLING_DIR", str(tmp_path / "store"))
    monkeypatch.delenv("EMOTION_LABELLING_SECRET", raising=False)
    before = browser_secrets(tiny_checkpoint)
    after = browser_secrets(tiny_checkpoint)  # the app restarted
    assert len(before) == 1 and before == after
    kept = tmp_path / "store" / SECRET_FILE
    assert kept.read_text() == before[0] and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert Store(tmp_path / "store").browser_secret() == before[0]  # read back, not made again
    monkeypatch.setenv("EMOTION_LABELLING_SECRET", "set-by-the-operator")  # e.g. a Space's secret
    assert browser_secrets(tiny_checkpoint) == ["set-by-the-operator"]
    assert Store(tmp_path / "elsewhere").browser_secret() == "set-by-the-operator"


def test_a_key_the_page_cannot_read_is_said_and_not_replaced(tiny_checkpoint, tmp_path, monkeypatch):
    from emotion.ui import label_view
    from emotion.ui.page import Page
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    monkeypatch.setenv("EMOTION_LABELLING_DIR", str(tmp_path / "store"))
    page = Page(AppContext(tiny_checkpoint, backend="onnx"), Limits())
    key, listed, note = label_view.refresh_sessions(page, label_view.UNREADABLE)
    assert "cannot read" in note and "downloaded continues" in note and listed.choices == []
    assert not isinstance(key, str)  # gr.skip(): the stored key stays, should the operator restore the secret
    key, listed, note = label_view.refresh_sessions(page, "")  # a first visit: a key is made, nothing said
    assert label_view.KEY.fullmatch(key) and not isinstance(note, str)
    assert "localStorage.getItem" in label_view.READ_KEY_JS and label_view.STORAGE_KEY in label_view.READ_KEY_JS


# --- N2: labelling storage is bounded for all visitors together -----------------------------------------

def big_labelled_file(path):
    """The report's attack file: 1,000 comments of about 1,950 characters (1.94 MB, under the 2 MB upload
    limit), with an empty `joy` column, so a session is "continued" from it without scoring anything."""
    import pandas as pd

    text = ("I honestly think this is the best thing that happened to me this year " * 30)[:1940]
    pd.DataFrame({"text": [f"{i} {text}" for i in range(1000)], "joy": [""] * 1000}).to_csv(path, index=False)
    return path


def folder_bytes(folder) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_forged_keys_cannot_fill_the_disk(tiny_checkpoint, tmp_path, monkeypatch):
    """25 sessions under 25 new keys wrote 48 MB in 3 s; every visitor's together are now capped."""
    import secrets

    from emotion.ui import label_view
    from emotion.ui.page import Page
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    monkeypatch.setenv("EMOTION_LABELLING_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("EMOTION_LABELLING_MAX_MB", "10")
    page = Page(AppContext(tiny_checkpoint, backend="onnx"), Limits())
    upload = str(big_labelled_file(tmp_path / "fill.csv"))
    notes = [label_view.start(page, secrets.token_urlsafe(24), upload, "joy", 100)[3] for _ in range(25)]
    started = [n for n in notes if "Continuing fill" in n]
    refused = [n for n in notes if "labelling storage is full" in n]
    assert len(started) == 5 and len(refused) == 20, notes[:7]  # 2 MB each under a 10 MB limit
    assert "10 MB for all visitors" in refused[0] and "Your sessions are kept" in refused[0]
    assert folder_bytes(tmp_path / "store") <= 10_000_000
    assert "Traceback" not in "".join(notes)


def test_the_sessions_of_all_visitors_are_counted_and_idle_ones_expire(tmp_path):
    import pandas as pd

    from emotion.profiles.labelling import LabellingError, Store, StoreLimits

    store = Store(tmp_path, StoreLimits(max_sessions=3, idle_days=30))
    items = pd.DataFrame({"text": ["ok sure", "thanks"]})
    made = [store.create(f"{c}" * 24, "s", items, ["joy"]) for c in "abc"]
    with pytest.raises(LabellingError, match=r"storage is full \(3 sessions.*3 sessions and"):
        store.create("d" * 24, "s", items, ["joy"])
    month_ago = made[0].folder.stat().st_mtime - 31 * 86_400
    for session in made[:2]:
        for path in session.folder.iterdir():
            os.utime(path, (month_ago, month_ago))
    store.open("b" * 24, made[1].id)  # opened today: in use again
    fresh = store.create("d" * 24, "s", items, ["joy"])  # the idle one is deleted to make room
    assert not made[0].folder.exists() and not made[0].folder.parent.exists()
    assert made[1].folder.exists() and fresh.folder.exists() and store.usage()[0] == 3


def test_the_operator_sets_the_limits_in_the_environment():
    from emotion.profiles.labelling import LabellingError, StoreLimits

    default = StoreLimits.from_env({})
    assert (default.max_bytes, default.max_sessions, default.idle_days) == (1_000_000_000, 500, 30)
    given = StoreLimits.from_env({"EMOTION_LABELLING_MAX_MB": "250", "EMOTION_LABELLING_MAX_SESSIONS": "40",
                                  "EMOTION_LABELLING_IDLE_DAYS": "0.5"})
    assert (given.max_bytes, given.max_sessions, given.idle_days) == (250_000_000, 40, 0.5)
    for bad in ("-1", "0", "abc", "nan", "inf", "1e400"):
        with pytest.raises(LabellingError, match="EMOTION_LABELLING_MAX_MB must be a positive number"):
            StoreLimits.from_env({"EMOTION_LABELLING_MAX_MB": bad})


def test_a_full_disk_or_a_deleted_session_is_one_clear_line(tmp_path):
    import pandas as pd

    from emotion.profiles.labelling import LabellingError, Store

    store = Store(tmp_path)
    session = store.create("k" * 24, "s", pd.DataFrame({"text": ["ok"]}), ["joy"])
    store.delete("k" * 24, session.id)
    with pytest.raises(LabellingError, match="could not be saved on the server"):
        session.answer(0, ["joy"])  # a tab still showing it
    visitor = store._visitor("v" * 24)
    visitor.parent.mkdir(exist_ok=True)
    visitor.write_text("in the way")  # the folder cannot be made, as on a full or read-only disk
    with pytest.raises(LabellingError, match="could not be stored on this server"):
        store.create("v" * 24, "s", pd.DataFrame({"text": ["ok"]}), ["joy"])


# --- N9: compacting the answers log loses no confirmed answer -----------------------------------------

def test_compacting_the_answers_log_keeps_answers_given_meanwhile(tmp_path, monkeypatch):
    """Each request opens its own Session; the one whose answer passed 2 MB rewrote the log from the answers
    it had read when it opened, dropping those that other requests had appended meanwhile (the report: 1 of
    80 lost). The log is compacted at 60 kB here, so that the test reads less."""
    import json
    import threading

    import pandas as pd

    from emotion.profiles import labelling
    from emotion.profiles.labelling import Store

    monkeypatch.setattr(labelling, "MAX_LOG_BYTES", 60_000)
    MAX_LOG_BYTES = labelling.MAX_LOG_BYTES
    store = Store(tmp_path)
    key = "k" * 24
    session = store.create(key, "s", pd.DataFrame({"text": [f"comment {i}" for i in range(200)]}), ["joy", "trust"])
    line = json.dumps({"index": 0, "labels": ["joy"], "at": 1.0}) + "\n"
    log = session.folder / "answers.jsonl"
    log.write_text("".join(line.replace('"index": 0', f'"index": {i % 100}') for i in range(100))
                   + line * ((MAX_LOG_BYTES - 100 * len(line)) // len(line) - 4))  # four answers short of 2 MB
    assert MAX_LOG_BYTES - 300 < log.stat().st_size < MAX_LOG_BYTES
    for round_ in range(5):
        requests = [store.open(key, session.id) for _ in range(16)]  # each read the answers when it opened
        for request in requests:
            request.answers()
        start = threading.Barrier(16)

        def give(i: int) -> None:
            start.wait()
            requests[i].answer(100 + 16 * round_ + i, ["trust"])

        threads = [threading.Thread(target=give, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if round_ < 4:  # near 2 MB again: the next round compacts too
            log.write_text(log.read_text() + line * ((MAX_LOG_BYTES - log.stat().st_size) // len(line) - 4))
    answers = store.open(key, session.id).answers()
    assert [i for i in range(100, 180) if answers.get(i) != ["trust"]] == []  # all 80 confirmed answers kept
    assert log.stat().st_size < MAX_LOG_BYTES


def test_an_invalid_limit_stops_the_app_with_one_line(tiny_checkpoint, tmp_path):
    done = subprocess.run([sys.executable, "app.py", "--checkpoint", str(tiny_checkpoint), "--port", "7"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "EMOTION_LABELLING_DIR": str(tmp_path), "EMOTION_LABELLING_MAX_MB": "lots"})
    assert "EMOTION_LABELLING_MAX_MB must be a positive number, not 'lots'" in one_error_line(done)
