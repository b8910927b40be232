import numpy as np
import pytest
import torch

from emotion.checkpoint import CheckpointError
from emotion.predict import EmotionClassifier, Prediction, predict_probabilities

TEXTS = ["thanks so much for the help, legend", "ok", "why would anyone do that? i am so confused lol"]


@pytest.fixture(scope="module")
def classifier(tiny_checkpoint):
    return EmotionClassifier(tiny_checkpoint)


def test_loads_labels_and_thresholds_from_the_checkpoint(classifier):
    assert len(classifier.labels) == 28 and classifier.labels[27] == "neutral"
    assert classifier.thresholds is not None
    assert classifier.max_length == 32
    assert classifier.device == torch.device("cpu")
    assert next(classifier.model.parameters()).dtype == torch.float32


def test_single_and_batch_agree(classifier):
    one = classifier.predict(TEXTS[2])
    many = classifier.predict(TEXTS)
    assert isinstance(one, Prediction) and isinstance(many, list) and len(many) == 3
    assert one.probabilities == pytest.approx(many[2].probabilities, abs=1e-5)
    assert list(one.probabilities) == classifier.labels
    assert [name for name, _ in one.top] == sorted(one.probabilities, key=one.probabilities.get, reverse=True)[:3]


def test_length_sorted_batches_keep_input_order(classifier):
    batched = predict_probabilities(classifier.model, classifier.tokenizer, TEXTS, 32, batch_size=2)
    single = np.vstack([predict_probabilities(classifier.model, classifier.tokenizer, [t], 32) for t in TEXTS])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert predict_probabilities(classifier.model, classifier.tokenizer, [], 32).shape == (0, 28)


def test_threshold_choices(classifier):
    p = classifier.predict(TEXTS[0], threshold=0.0)
    assert len(p.labels) == 28
    assert classifier.predict(TEXTS[0], threshold=1.0).labels == []
    per_class = classifier.threshold_array()
    np.testing.assert_allclose(per_class, classifier.thresholds.array(classifier.labels))
    assert set(classifier.threshold_array("global")) == {classifier.thresholds.global_threshold}
    probs = np.array(list(p.probabilities.values()))
    expected = [classifier.labels[i] for i in np.argsort(-probs, kind="stable") if probs[i] >= per_class[i]]
    assert classifier.predict(TEXTS[0]).labels == expected
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        classifier.predict("x", threshold=1.5)
    with pytest.raises(ValueError, match="'global' or 'per_class'"):
        classifier.predict("x", threshold="best")


def test_missing_or_broken_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        EmotionClassifier(tmp_path / "nope")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="no weights"):
        EmotionClassifier(tmp_path)
