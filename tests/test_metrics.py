import numpy as np
import pytest
from sklearn.metrics import f1_score

from emotion.metrics import binarize, compute_metrics, micro_f1_difference_interval, per_class_table

Y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
P = np.array([[0.9, 0.2, 0.1], [0.4, 0.6, 0.2], [0.7, 0.3, 0.1], [0.2, 0.1, 0.45]])


def test_values_on_literal_arrays():
    m = compute_metrics(P, Y, 0.5)
    # predicted: {0}, {1}, {0}, {} -> tp 3, fp 0, fn 2
    assert m["micro_precision"] == pytest.approx(1.0)
    assert m["micro_recall"] == pytest.approx(3 / 5)
    assert m["micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 2))
    assert m["macro_f1"] == pytest.approx(np.mean([1.0, 2 / 3, 0.0]))
    assert m["subset_accuracy"] == pytest.approx(2 / 4)
    assert m["hamming_loss"] == pytest.approx(2 / 12)
    assert m["labels_per_comment_true"] == pytest.approx(5 / 4)
    assert m["labels_per_comment_pred"] == pytest.approx(3 / 4)
    assert set(m) >= {"weighted_f1", "samples_f1", "macro_precision", "macro_recall"}


def test_per_class_thresholds_change_predictions():
    m = compute_metrics(P, Y, [0.5, 0.25, 0.4])
    assert m["micro_recall"] == pytest.approx(1.0)
    assert m["macro_f1"] > compute_metrics(P, Y, 0.5)["macro_f1"]


def test_scalar_equals_constant_vector():
    assert compute_metrics(P, Y, 0.3) == compute_metrics(P, Y, [0.3, 0.3, 0.3])


def test_threshold_is_inclusive():
    np.testing.assert_array_equal(binarize(np.array([[0.5, 0.49]]), 0.5), [[1, 0]])


def test_shape_errors():
    with pytest.raises(ValueError, match="both be"):
        compute_metrics(P, Y[:2], 0.5)
    with pytest.raises(ValueError, match="one per label"):
        compute_metrics(P, Y, [0.5, 0.5])


def test_per_class_table_matches_sklearn():
    table = per_class_table(P, Y, ["a", "b", "c"], 0.5)
    assert list(table.columns) == ["label", "threshold", "precision", "recall", "f1", "support", "predicted"]
    np.testing.assert_allclose(table["f1"], f1_score(Y, P >= 0.5, average=None, zero_division=0))
    assert table["support"].tolist() == [2, 2, 1]
    assert table["predicted"].tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match="label names"):
        per_class_table(P, Y, ["a"], 0.5)


def test_bootstrap_interval_of_a_micro_f1_difference():
    rng = np.random.default_rng(1)
    y = rng.random((400, 5)) < 0.3
    good = np.where(rng.random(y.shape) < 0.9, y, ~y)
    worse = np.where(rng.random(y.shape) < 0.7, y, ~y)
    assert micro_f1_difference_interval(y, good, good) == (0.0, 0.0)
    low, high = micro_f1_difference_interval(y, good, worse)
    point = f1_score(y, good, average="micro") - f1_score(y, worse, average="micro")
    assert 0 < low < point < high


def test_a_model_near_chance_is_called_so():
    from emotion.train.evaluate import chance_warning

    y = np.zeros((100, 28))
    y[:, 27] = 1  # every comment neutral...
    y[:10, 0] = 1  # ...and a tenth admiration
    assert "near chance" in chance_warning({"dev": {"per_class_tuned": {"macro_f1": 0.02}}}, y)
    assert chance_warning({"dev": {"per_class_tuned": {"macro_f1": 0.52}}}, y) is None
