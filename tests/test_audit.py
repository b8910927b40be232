"""The label-quality audit: cleanlab finds a planted label error, the stored audit reaches the app."""

import shutil

import numpy as np
import pandas as pd
import pytest

from emotion.analysis.audit import MISSING, WRONG, audit_split, build, out_of_sample
from emotion.checkpoint import Checkpoint
from emotion.serve.predict import EmotionClassifier

NAMES = [f"label{j}" for j in range(4)]


def planted(n: int = 400, seed: int = 0):
    """Confident probabilities that agree with the labels, except comment 0 whose label 1 was given
    where the probabilities say label 2."""
    rng = np.random.default_rng(seed)
    labels = [[int(j)] for j in rng.integers(0, 4, n)]
    labels[0] = [1]
    probs = np.full((n, 4), 0.03)
    for row, (j,) in enumerate(labels):
        probs[row, j] = 0.95
    probs[0] = [0.03, 0.02, 0.97, 0.03]
    return labels, probs + rng.uniform(0, 0.02, probs.shape)


def test_a_planted_label_error_comes_first_with_its_suspect_label():
    labels, probs = planted()
    audit = audit_split("dev", [f"c{i}" for i in range(len(labels))], labels, probs, NAMES)
    worst = audit.comments.iloc[0]
    assert worst["id"] == "c0" and worst["issue"] and worst["suspect"] in ("label1", "label2")
    assert worst["suspect_kind"] == (WRONG if worst["suspect"] == "label1" else MISSING)
    assert audit.comments["issue"].sum() <= 5  # the clean comments stay clean
    assert audit.comments["quality"].is_monotonic_increasing and set(audit.comments["split"]) == {"dev"}
    assert {"class_name", "label_noise"} <= set(audit.labels.columns)
    top = audit.pairs.iloc[0]
    assert (top["given_likely_wrong"], top["missing_likely_right"], top["comments"]) == ("label1", "label2", 1)


def test_out_of_sample_probabilities_never_see_their_own_row():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (100, 2))
    vectors = rng.normal(size=(100, 8))  # noise: no row's label can be learned from the others
    probs = out_of_sample(vectors, y)
    assert probs.shape == (100, 2)
    # Fit on every row, the labels of pure noise are partly memorised; held out, they are not.
    held_out = pd.Series(probs[:, 0]).corr(pd.Series(y[:, 0]))
    assert abs(held_out) < 0.35


@pytest.fixture(scope="module")
def audited(tiny_checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("audited") / "model"
    shutil.copytree(tiny_checkpoint, folder)
    classifier = EmotionClassifier(folder)
    audit, seconds = build(classifier, str(tiny_checkpoint.parent / "data"))
    Checkpoint.open(folder).save_audit(audit, {"seconds": seconds})
    return folder


def test_the_audit_is_stored_by_id_without_text_and_read_back(audited, tiny_checkpoint):
    audit, about = Checkpoint.open(audited).audit()
    assert set(audit.comments["split"]) == {"train", "dev", "test"} and len(audit.comments) == 64 + 24 + 24
    assert "text" not in audit.comments and "seconds" in about
    assert Checkpoint.open(tiny_checkpoint).audit()[0] is None  # the original has none: a message says how to build it
    assert "python audit.py" in Checkpoint.open(tiny_checkpoint).audit()[1]


def test_the_app_shows_the_audit_and_orders_errors_by_it(audited, tiny_checkpoint):
    from emotion.analysis.tables import OUTCOMES
    from emotion.ui import errors_tab, quality_tab
    from emotion.ui.context import AppContext

    ctx = AppContext(audited, str(tiny_checkpoint.parent / "data"))
    summary, labels, pairs, comments, download = quality_tab.quality_view(ctx, "test")
    assert "of 24 test comments" in summary and comments.count("<tr>") == 1 + min(24, quality_tab.SHOWN)
    assert len(pd.read_csv(download.value["path"])) == 24
    rows = errors_tab.filter_rows(ctx, 0.5, "(any)", "(any)", errors_tab.HAS, list(OUTCOMES), 0, 1, "",
                                  errors_tab.LABEL_ERRORS)[0]
    assert rows["label_quality"].is_monotonic_increasing
    assert "Label quality" in errors_tab.quality_note(ctx, rows.iloc[0]["id"])
    no_data = AppContext(audited, "/nonexistent")
    assert "--data_dir" in quality_tab.quality_view(no_data, "dev")[0]  # ids only, and it says why
    assert "python audit.py" in quality_tab.quality_view(AppContext(tiny_checkpoint), "dev")[0]
