"""Checks on the real GoEmotions files; opt in with ``-m integration``."""

from pathlib import Path

import pytest

from emotion.checkpoint import DEFAULT_CHECKPOINT
from emotion.data import load_split

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "goemotions"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (DATA / "train.tsv").is_file(), reason=f"no GoEmotions copy at {DATA}"),
]


@pytest.mark.parametrize(("split", "rows"), [("train", 43410), ("dev", 5426), ("test", 5427)])
def test_real_splits_load_completely(split, rows):
    data = load_split(split, DATA)
    assert len(data) == rows
    assert len(set(data["id"])) == rows
    labels_per_comment = sum(len(ids) for ids in data["labels"]) / rows
    assert 1.1 < labels_per_comment < 1.3


def test_quotes_survive_as_released():
    texts = load_split("train", DATA)["text"]
    assert any('""' in t for t in texts), "doubled quotes must be kept, not collapsed by a CSV reader"
    raw = (DATA / "train.tsv").read_text(encoding="utf-8").splitlines()
    assert list(texts[:50]) == [line.split("\t")[0] for line in raw[:50]]


def test_shipped_labels_file_matches_ours():
    from emotion.labels import LABELS

    assert (DATA / "labels.txt").read_text().split() == list(LABELS)


SHIPPED = DEFAULT_CHECKPOINT  # the model app.py serves


@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="no shipped checkpoint")
def test_shipped_metrics_recompute_with_plain_transformers():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "scripts/verify_checkpoint.py", "--checkpoint", str(SHIPPED),
                           "--data_dir", str(DATA)], cwd=SHIPPED.parents[1], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_compare_on_the_two_shipped_checkpoints_matches_an_independent_bootstrap():
    import numpy as np
    from sklearn.metrics import f1_score

    from emotion.checkpoint import ALTERNATIVE_CHECKPOINT
    from emotion.analysis.compare import differences, load_side, side_checkpoint
    from emotion.data import load_test_set

    test = load_test_set(str(DATA), side_checkpoint(ALTERNATIVE_CHECKPOINT, None))
    ids, y = test.ids, test.y_true
    a, b = load_side(ALTERNATIVE_CHECKPOINT, None, ids), load_side(DEFAULT_CHECKPOINT, None, ids)
    table = differences(y, a, b, a.checkpoint.labels).set_index("label")
    rng = np.random.default_rng(7)
    diffs = []
    for _ in range(1000):
        rows = rng.integers(0, len(y), len(y))
        diffs.append(f1_score(y[rows], b.pred[rows], average="macro", zero_division=0)
                     - f1_score(y[rows], a.pred[rows], average="macro", zero_division=0))
    low, high = np.percentile(diffs, [2.5, 97.5])
    assert table.loc["macro F1", "low"] == pytest.approx(low, abs=0.005)
    assert table.loc["macro F1", "high"] == pytest.approx(high, abs=0.005)
