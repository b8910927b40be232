"""Property tests: metrics and thresholds on arbitrary arrays, text and upload paths on arbitrary input."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from emotion.metrics import compute_metrics, per_class_table
from emotion.thresholds import GRID, shrink, tune_global, tune_per_class_raw
from emotion.ui.inputs import InputError, Limits, clean_text, read_upload

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def problems(draw):
    n, k = draw(st.integers(1, 30)), draw(st.integers(2, 6))
    probs = draw(arrays(np.float64, (n, k), elements=st.floats(0, 1)))
    y = draw(arrays(np.int8, (n, k), elements=st.integers(0, 1)))
    return probs, y.astype(int)


@SETTINGS
@given(problems(), st.floats(0, 1))
def test_metrics_are_bounded_and_order_free(problem, t):
    probs, y = problem
    m = compute_metrics(probs, y, t)
    assert all(0.0 <= v <= 1.0 for k, v in m.items() if not k.startswith("labels_per"))
    order = np.random.default_rng(0).permutation(len(probs))
    assert compute_metrics(probs[order], y[order], t) == pytest.approx(m)
    assert compute_metrics(probs, y, np.full(probs.shape[1], t)) == pytest.approx(m)
    table = per_class_table(probs, y, [f"l{i}" for i in range(probs.shape[1])], t)
    assert np.isclose(table["f1"].mean(), m["macro_f1"])


@SETTINGS
@given(problems())
def test_tuned_thresholds_lie_on_the_grid_and_beat_every_other_global_value(problem):
    probs, y = problem
    g = tune_global(probs, y)
    assert g in GRID
    best = compute_metrics(probs, y, g)["micro_f1"]
    assert all(compute_metrics(probs, y, t)["micro_f1"] <= best + 1e-12 for t in GRID[::7])
    raw = tune_per_class_raw(probs, y)
    shrunk = shrink(raw, y.sum(0), g, 10.0)
    assert np.all((shrunk >= np.minimum(raw, g) - 1e-12) & (shrunk <= np.maximum(raw, g) + 1e-12))


@SETTINGS
@given(st.text())
def test_any_unicode_text_is_cleaned_or_refused_clearly(text):
    try:
        cleaned, notices = clean_text(text, Limits(max_chars=50))
    except InputError as err:
        assert "empty" in str(err)
        return
    assert cleaned and len(cleaned) <= 50 and cleaned == cleaned.strip() or len(cleaned) == 50
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in cleaned)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from([".csv", ".txt", ".dat"]))
def test_any_upload_is_read_or_refused_clearly(tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("upload") / f"file{suffix}"
    path.write_bytes(content)
    try:
        frame, column = read_upload(path, Limits())
    except InputError:
        return
    assert all(isinstance(t, str) for t in frame[column])
