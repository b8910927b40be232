"""Compare and slices: figures that match an independent computation (the behavioural checks: test_probe.py)."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from conftest import ROOT
from emotion.analysis.compare import Side, differences, disagreements
from emotion.labels import LABELS
from emotion.analysis.slices import headline, slice_table, text_slices


def two_models(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.random((n, 5)) < 0.25
    a = np.clip(0.35 * y + rng.normal(0.3, 0.15, y.shape), 0, 1)
    b = a.copy()
    b[:, 0] = np.clip(0.6 * y[:, 0] + rng.normal(0.2, 0.1, n), 0, 1)  # B is better at label 0 only
    return y, Side("A", a, np.full(5, 0.5)), Side("B", b, np.full(5, 0.5))


def test_paired_intervals_match_an_independent_bootstrap():
    y, a, b = two_models()
    names = ["l0", "l1", "l2", "l3", "l4"]
    table = differences(y, a, b, names).set_index("label")
    rng = np.random.default_rng(123)  # another generator, drawn the plain way
    diffs = []
    for _ in range(2000):
        rows = rng.integers(0, len(y), len(y))
        diffs.append([f1_score(y[rows, j], b.pred[rows, j], zero_division=0) - f1_score(y[rows, j], a.pred[rows, j], zero_division=0)
                      for j in range(5)])
    low, high = np.percentile(np.array(diffs), [2.5, 97.5], axis=0)
    np.testing.assert_allclose(table.loc[names, "low"], low, atol=0.02)
    np.testing.assert_allclose(table.loc[names, "high"], high, atol=0.02)
    assert table.loc["l0", "significant"] and table.loc["l0", "difference"] > 0.1
    assert not table.loc["l1", "significant"] and table.loc["l1", "difference"] == 0
    micro = f1_score(y, b.pred, average="micro") - f1_score(y, a.pred, average="micro")
    assert table.loc["micro F1", "difference"] == pytest.approx(micro, abs=1e-4)


def test_disagreements_come_worst_first_with_both_answers():
    y, a, b = two_models()
    found = disagreements(y, a, b, ["l0", "l1", "l2", "l3", "l4"])
    assert len(found) == int((a.pred != b.pred).any(1).sum())
    assert found["disputed"].is_monotonic_decreasing and (found["disputed"] >= 1).all()
    first = found.iloc[0]
    assert set(first["A"].split(", ")) - {""} == {f"l{j}" for j in np.flatnonzero(a.pred[first["row"]])}
    # B differs from A at label 0 only, where it is right on (almost) every comment: it wins every dispute.
    assert set(found["winner"]) == {"B"}


def test_the_winner_is_who_got_more_of_the_disputed_labels_right():
    y = np.array([[1, 0], [1, 0], [1, 1], [1, 1]], bool)
    a = Side("A", np.array([[0.9, 0.1], [0.1, 0.9], [0.9, 0.9], [0.9, 0.1]]), np.full(2, 0.5))
    b = Side("B", np.array([[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]), np.full(2, 0.5))
    found = disagreements(y, a, b, ["l0", "l1"]).set_index("row")
    # Row 0: A alone is right; row 1: B is right on both disputed labels; row 2: no dispute; row 3: one each.
    assert found["winner"].to_dict() == {0: "A", 1: "B", 3: "tie"}


def test_a_filters_metrics_equal_a_direct_computation():
    y, a, _ = two_models()
    rows = np.zeros(len(y), bool)
    rows[::3] = True
    found = headline(y, a.pred, rows)
    assert found["comments"] == rows.sum()
    assert found["micro_f1"] == pytest.approx(f1_score(y[rows], a.pred[rows], average="micro"))
    present = (y[rows] | a.pred[rows]).any(0)
    assert found["macro_f1"] == pytest.approx(f1_score(y[rows][:, present], a.pred[rows][:, present], average="macro"))
    assert found["micro_95"][0] < found["micro_f1"] < found["micro_95"][1]


def test_built_in_slices_read_the_text_alone():
    texts = ["why though?", "this is NOT okay", "love it 😂", "[NAME] said hi", "see www.example.com or r/aww",
             "you got this", "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
             "sixteen seventeen eighteen nineteen twenty twentyone", "what the hell", "the class ended"]
    found = {name: [t for t, hit in zip(texts, mask) if hit] for name, mask in text_slices(texts).items()}
    assert found["question"] == ["why though?"] and found["emoji"] == ["love it 😂"]
    assert found["negation"] == ["this is NOT okay"] and found["all-caps word"] == ["this is NOT okay"]  # not [NAME]
    assert found["link or subreddit"] == ["see www.example.com or r/aww"] and found["second person (you)"] == ["you got this"]
    assert found["profanity"] == ["what the hell"]  # whole words: "class" is not "ass"
    assert len(found["long (21+ words)"]) == 1 and "why though?" in found["short (1-5 words)"]
    y, a, _ = two_models(n=9)
    table = slice_table(y, a.pred, text_slices(texts))
    assert table["slice"].iloc[0] == "all test comments" and table["note"].iloc[1:].str.contains("fewer than").all()


def test_compare_and_slices_on_the_command_line(tiny_checkpoint, tmp_path):
    from emotion.thresholds import Thresholds

    for name, value in (("low", 0.2), ("high", 0.6)):
        Thresholds(value, {n: value for n in LABELS}, name).save(tmp_path / f"{name}.json")
    data = tiny_checkpoint.parent / "data"
    done = subprocess.run([sys.executable, "compare.py", str(tmp_path / "low.json"), str(tmp_path / "high.json"),
                           "--checkpoint", str(tiny_checkpoint), "--data_dir", str(data), "--out", str(tmp_path / "d.csv")],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "low (A) vs high (B)" in done.stdout and "micro F1" in done.stdout and "most disputed" in done.stdout
    table = pd.read_csv(tmp_path / "d.csv")
    assert list(table["label"][:2]) == ["micro F1", "macro F1"] and len(table) == 30
    sliced = subprocess.run([sys.executable, "compare.py", str(tiny_checkpoint), "--slices", "--data_dir", str(data)],
                            cwd=ROOT, capture_output=True, text=True)
    assert sliced.returncode == 0 and "all test comments" in sliced.stdout and "question" in sliced.stdout, sliced.stderr
    same = subprocess.run([sys.executable, "compare.py", str(tiny_checkpoint), str(tiny_checkpoint), "--data_dir", str(data)],
                          cwd=ROOT, capture_output=True, text=True)
    assert same.returncode == 1 and "two different" in same.stderr and "Traceback" not in same.stderr


def test_a_side_is_built_in_one_place(tiny_checkpoint, tmp_path):
    """A checkpoint's side and a profile's side come from Side.of: the stored probabilities of the ids asked for,
    decided by the checkpoint's tuned thresholds or the profile's."""
    from emotion.analysis.compare import load_side
    from emotion.checkpoint import Checkpoint
    from emotion.thresholds import Thresholds

    checkpoint = Checkpoint.open(tiny_checkpoint)
    ids = checkpoint.probabilities("test")[0][::-1][:10]  # any order: rows follow the ids
    own = Side.of(checkpoint, ids)
    assert own.name == checkpoint.name and own.checkpoint is checkpoint
    np.testing.assert_array_equal(own.probs, checkpoint.probabilities("test", ids)[1])
    np.testing.assert_array_equal(own.thresholds, checkpoint.thresholds().array(checkpoint.labels))
    folder = load_side(tiny_checkpoint, None, ids)
    np.testing.assert_array_equal(folder.probs, own.probs)
    np.testing.assert_array_equal(folder.thresholds, own.thresholds)
    Thresholds(0.3, {n: 0.3 for n in LABELS}, "team").save(tmp_path / "team.json")
    profile = load_side(tmp_path / "team.json", tiny_checkpoint, ids)
    assert profile.name == "team" and set(profile.thresholds) == {0.3}
    np.testing.assert_array_equal(profile.probs, own.probs)
    given = Side.of(checkpoint, ids, probs=np.ones_like(own.probs))  # probabilities already read (the app's): as given
    assert given.pred.all()


def test_the_compare_view_offers_tuned_model_folders_only(tiny_checkpoint, tmp_path):
    import shutil

    from emotion.checkpoint import Checkpoint, holds_tuned_model

    assert holds_tuned_model(tiny_checkpoint)
    untuned = tmp_path / "untuned"
    shutil.copytree(tiny_checkpoint, untuned)
    (untuned / "thresholds.json").unlink()
    ensemble = Checkpoint.write_ensemble(tmp_path / "ensemble", [tiny_checkpoint, untuned])
    assert not holds_tuned_model(untuned) and not holds_tuned_model(ensemble.path) and not holds_tuned_model(tmp_path / "none")
