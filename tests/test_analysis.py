import numpy as np
import pytest

from emotion.analysis.tables import (
    confusion_matrix, cooccurrence, error_table, example_loss, frequency_vs_f1, labels_per_comment,
    label_ece, matrix_pairs, outcomes, pr_curve, reliability, threshold_sweep,
)
from emotion.analysis.groups import EKMAN, SENTIMENT
from emotion.labels import LABELS
from emotion.metrics import compute_metrics

GOLD = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
PRED = np.array([[1, 0, 0], [1, 0, 1], [1, 0, 0], [1, 1, 0], [1, 0, 0], [0, 0, 0]])


def test_outcomes_cover_every_case():
    assert list(outcomes(GOLD, PRED)) == ["exact", "partial", "missed", "spurious", "wrong", "nothing"]


def test_confused_pairs_count_missed_gold_against_spurious_predictions():
    pairs = matrix_pairs(confusion_matrix(GOLD, PRED), ["a", "b", "c"])
    assert pairs.iloc[0].to_dict() == {"gold": "b", "predicted_instead": "a", "count": 1}
    assert set(zip(pairs["gold"], pairs["predicted_instead"])) == {("b", "c"), ("b", "a")}
    assert pairs["count"].tolist() == [1, 1]  # the only non-zero cells of the gold-missed x predicted-instead matrix


def test_example_loss_ranks_confident_mistakes_highest():
    y = np.array([[1, 0], [1, 0]])
    loss = example_loss(np.array([[0.9, 0.1], [0.05, 0.9]]), y)
    assert loss[1] > loss[0] > 0


def test_threshold_sweep_agrees_with_compute_metrics():
    rng = np.random.default_rng(0)
    probs, y = rng.random((50, 4)), (rng.random((50, 4)) < 0.3).astype(int)
    sweep = threshold_sweep(probs, y, np.array([0.3, 0.5]))
    for _, row in sweep.iterrows():
        m = compute_metrics(probs, y, row["threshold"])
        assert row["micro_f1"] == pytest.approx(m["micro_f1"])
        assert row["macro_f1"] == pytest.approx(m["macro_f1"])
        assert row["micro_precision"] == pytest.approx(m["micro_precision"])
        assert row["micro_recall"] == pytest.approx(m["micro_recall"])


def test_pr_curve_micro_and_per_label():
    probs, y = np.array([[0.9, 0.2], [0.1, 0.8], [0.7, 0.3]]), np.array([[1, 0], [0, 1], [1, 0]])
    assert pr_curve(probs, y)[2] == pytest.approx(1.0)
    assert pr_curve(probs, y, label=1)[2] == pytest.approx(1.0)
    assert pr_curve(probs, np.zeros_like(y), label=0)[2] == 0.0


def test_reliability_of_a_calibrated_model_is_near_zero():
    rng = np.random.default_rng(1)
    probs = rng.random((4000, 5))
    y = (rng.random(probs.shape) < probs).astype(int)
    table, ece = reliability(probs, y)
    assert ece < 0.02 and table["count"].sum() == probs.size
    _, bad = reliability(np.full((100, 2), 0.9), np.zeros((100, 2), dtype=int))
    assert bad == pytest.approx(0.9)
    assert label_ece(probs, y) < 0.05
    # An under-confident label and an over-confident one cancel in the pooled bins, not per label.
    both = np.full((1000, 2), 0.6)
    gold = np.column_stack([np.r_[np.ones(900), np.zeros(100)], np.r_[np.ones(300), np.zeros(700)]]).astype(int)
    assert reliability(both, gold)[1] == pytest.approx(0.0) and label_ece(both, gold) == pytest.approx(0.3)


def test_counts_histogram_cooccurrence_and_correlation():
    hist = labels_per_comment(GOLD, PRED)
    assert hist["true"].tolist() == [0, 4, 2] and hist["predicted"].tolist() == [1, 3, 2]
    co = cooccurrence(GOLD)
    assert co[0, 0] == 5 and co[0, 1] == 2 and (co == co.T).all()
    assert frequency_vs_f1(np.array([10, 100, 1000]), np.array([0.1, 0.5, 0.9])) == pytest.approx(1.0)


def test_error_table_sorted_worst_first():
    probs = np.array([[0.9, 0.1, 0.1], [0.1, 0.9, 0.9], [0.6, 0.4, 0.1]])
    table = error_table(["a", "b", "c"], ["x", "y", "z"], probs, GOLD[:3], 0.5, ["p", "q", "r"])
    assert table["id"].tolist()[0] == "b"
    assert table.set_index("id").loc["b", "predicted"] == "q, r"
    assert table.set_index("id").loc["a", "outcome"] == "exact"


def test_groups_cover_every_label_once():
    for grouping in (EKMAN, SENTIMENT):
        members = [m for ms in grouping.values() for m in ms]
        assert sorted(members) == sorted(LABELS)
