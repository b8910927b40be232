import json

import numpy as np
import pytest

from emotion.metrics import compute_metrics
from emotion.thresholds import (
    GRID, ThresholdError, Thresholds, cross_validate_strength, shrink, tune, tune_global, tune_per_class_raw,
)


def synthetic(n=600, labels=4, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, labels)) < [0.3, 0.1, 0.02, 0.5][:labels]).astype(int)
    # Each label's scores are separable around its own offset, so the best thresholds differ.
    offsets = np.array([0.2, 0.6, 0.4, 0.5])[:labels]
    probs = np.clip(offsets + (y - 0.5) * 0.3 + rng.normal(0, 0.08, y.shape), 0, 1)
    return probs, y


def test_global_threshold_maximises_micro_f1_over_the_grid():
    probs, y = synthetic()
    best = tune_global(probs, y)
    scores = {t: compute_metrics(probs, y, t)["micro_f1"] for t in GRID}
    assert scores[best] == pytest.approx(max(scores.values()))


def test_per_class_thresholds_follow_each_class():
    probs, y = synthetic()
    raw = tune_per_class_raw(probs, y)
    assert raw[0] < 0.3 < 0.45 < raw[1]
    assert compute_metrics(probs, y, raw)["macro_f1"] >= compute_metrics(probs, y, tune_global(probs, y))["macro_f1"]


def test_shrink_moves_rare_classes_to_the_global_value():
    raw, support = np.array([0.9, 0.9]), np.array([1000, 2])
    shrunk = shrink(raw, support, 0.3, 10.0)
    assert shrunk[0] == pytest.approx((1000 * 0.9 + 10 * 0.3) / 1010)
    assert shrunk[1] == pytest.approx((2 * 0.9 + 10 * 0.3) / 12)
    np.testing.assert_allclose(shrink(raw, support, 0.3, float("inf")), [0.3, 0.3])
    np.testing.assert_allclose(shrink(raw, support, 0.3, 0.0), raw)


def test_tune_picks_the_strength_with_the_best_cross_validated_score():
    probs, y = synthetic()
    report = tune(probs, y, ["a", "b", "c", "d"])
    cv = cross_validate_strength(probs, y)
    assert report.cv_macro_f1 == cv
    assert cv[report.strength] == max(cv.values())
    assert list(report.thresholds.per_class) == ["a", "b", "c", "d"]
    assert report.thresholds.global_threshold == tune_global(probs, y)
    assert "cv_macro_f1_by_strength" in report.to_dict()


def test_save_load_exact_shape(tmp_path):
    t = Thresholds(0.31, {"a": 0.35, "b": 0.2})
    path = tmp_path / "thresholds.json"
    t.save(path)
    assert json.loads(path.read_text()) == {"global": 0.31, "per_class": {"a": 0.35, "b": 0.2}}
    assert Thresholds.load(path, ["a", "b"]) == t
    np.testing.assert_allclose(t.array(["b", "a"]), [0.2, 0.35])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a valid thresholds file"),
        ('{"global": 0.3}', "not a valid thresholds file"),
        ('{"global": 1.5, "per_class": {"a": 0.1, "b": 0.1}}', r"lie in \[0, 1\]"),
        ('{"global": 0.3, "per_class": {"a": 0.1, "zzz": 0.1}}', "do not match the model's labels"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "thresholds.json"
    path.write_text(content)
    with pytest.raises(ThresholdError, match=message):
        Thresholds.load(path, ["a", "b"])
