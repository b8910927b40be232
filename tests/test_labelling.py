"""Labelling sessions: every answer on disk as it is given, a visitor's own only, resumed after a restart."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from emotion.profiles.fit import read_sample
from emotion.profiles.labelling import MAX_SESSIONS, LabellingError, Store
from emotion.labels import LABELS

KEY, OTHER = "k" * 24, "o" * 24


def items(n: int = 30) -> pd.DataFrame:
    return pd.DataFrame({"text": [f"=cmd| comment {i}" for i in range(n)], "weight": np.linspace(1, 3, n)})


def test_answers_are_on_disk_as_given_and_read_back_by_a_new_store(tmp_path):
    session = Store(tmp_path).create(KEY, "team", items(), ["joy", "trust"])
    session.answer(0, ["trust"])
    session.answer(1, [])
    session.answer(0, ["joy", "trust"])  # changed: the last answer counts
    again = Store(tmp_path).open(KEY, session.id)  # a restarted server
    assert again.answers() == {0: ["joy", "trust"], 1: []} and again.first_open() == 2 and again.progress() == (2, 30)
    with open(again.folder / "answers.jsonl", "a") as torn:  # the server stopped mid-line
        torn.write('{"index": 2, "lab')
    assert Store(tmp_path).open(KEY, session.id).answers() == {0: ["joy", "trust"], 1: []}
    Store(tmp_path).open(KEY, session.id).answer(2, ["joy"])  # the next answer is not glued to the torn line
    assert Store(tmp_path).open(KEY, session.id).answers() == {0: ["joy", "trust"], 1: [], 2: ["joy"]}
    with pytest.raises(LabellingError, match="not labels of this session"):
        again.answer(3, ["anger"])
    with pytest.raises(LabellingError, match="no comment 31"):
        again.answer(30, [])


def test_the_download_is_spreadsheet_safe_and_adapt_reads_it_back(tmp_path):
    session = Store(tmp_path).create(KEY, "team", items(), ["joy", "trust"])
    for i in range(25):
        session.answer(i, ["trust"] if i % 2 else ["joy"])
    path = session.save_csv(tmp_path / "team.csv")
    raw = path.read_text()
    assert '"\'=cmd| comment 0"' in raw  # a formula is not run by a spreadsheet
    sample = read_sample(path, LABELS)
    assert len(sample.texts) == 25 and sample.covered == ["joy", "trust"] and sample.new == ("trust",)
    np.testing.assert_allclose(sample.weights, items()["weight"][:25])
    direct = session.sample(list(LABELS))
    assert direct.covered == sample.covered and (direct.y_true == sample.y_true).all()


def test_a_visitor_sees_and_opens_only_their_own_sessions(tmp_path):
    store = Store(tmp_path)
    mine = store.create(KEY, "mine", items(), ["joy"])
    assert [s.id for s in store.sessions(KEY)] == [mine.id] and store.sessions(OTHER) == []
    with pytest.raises(LabellingError, match="not among yours"):
        store.open(OTHER, mine.id)
    with pytest.raises(LabellingError, match="valid labelling key"):
        store.sessions("../../etc")
    with pytest.raises(LabellingError, match="Choose one"):
        store.open(KEY, "../" + mine.id)
    assert KEY not in json.dumps([str(p) for p in tmp_path.rglob("*")])  # the key itself is never on disk
    for i in range(MAX_SESSIONS - 1):
        store.create(KEY, f"s{i}", items(2), ["joy"])
    with pytest.raises(LabellingError, match="delete one first"):
        store.create(KEY, "one more", items(2), ["joy"])
    store.delete(KEY, mine.id)
    assert mine.id not in [s.id for s in store.sessions(KEY)] and not mine.folder.exists()


def test_the_app_resumes_a_session_after_a_restart(tiny_checkpoint, tmp_path, monkeypatch):
    """Two app contexts on one folder are a server before and after a restart."""
    from conftest import labelled_comments
    from emotion.ui import label_view
    from emotion.ui.page import Page
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    monkeypatch.setenv("EMOTION_LABELLING_DIR", str(tmp_path / "store"))
    labelled_comments(80, 1)[["text"]].to_csv(tmp_path / "ours.csv", index=False)
    page = Page(AppContext(tiny_checkpoint, backend="onnx"), Limits())
    key, sessions, shown, note = label_view.start(page, "", str(tmp_path / "ours.csv"), "joy, thankful", 30)
    assert "Proposed 30 of 80" in note and "kept in this browser" in note and "labeller" in shown
    session = sessions.value
    for i in range(10):
        shown, _ = label_view.answer(page, key, SimpleNamespace(session=session, index=i, labels=json.dumps(["thankful"] if i % 2 else [])))
    assert "<b>10</b> of 30 labelled" in shown
    restarted = Page(AppContext(tiny_checkpoint, backend="onnx"), Limits())
    _, listed, _ = label_view.refresh_sessions(restarted, key)
    assert listed.value == session and "10 of 30 labelled" in listed.choices[0][0]
    resumed, _, download = label_view.resume(restarted, key, session)
    assert "comment 11 (not answered yet)" in resumed and download.visible
    back = label_view.back(restarted, key, SimpleNamespace(session=session, index=10))
    assert 'aria-pressed="true"' in back and "comment 10 (answered)" in back  # answer 9 was "thankful"
    stranger, listed, _ = label_view.refresh_sessions(restarted, "")
    assert stranger != key and listed.choices == []
    refused, *_ = label_view.answer(restarted, stranger, SimpleNamespace(session=session, index=0, labels="[]"))
    assert "not among yours" in refused
    downloaded = label_view.download(restarted, key, session)  # uploaded again, it continues where it was
    _, continued, shown, note = label_view.start(restarted, key, downloaded, "joy, thankful", 30)
    assert "10 of 30 comments already labelled" in note and continued.value != session and "comment 11" in shown
    error = label_view.start(restarted, key, str(tmp_path / "ours.csv"), "joy, =HYPERLINK(1)", 30)[3]
    assert "cannot name a label" in error
