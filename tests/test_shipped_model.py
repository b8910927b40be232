"""The model the app serves by default: complete, self-consistent, and fast to start."""

import json
from pathlib import Path

import numpy as np
import pytest

from emotion import checkpoint as ckpt
from emotion.evaluate import POLICIES
from emotion.labels import LABELS
from emotion.thresholds import Thresholds

SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "minilm-goemotions"
pytestmark = pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="no shipped checkpoint")


def test_every_file_is_there_and_small():
    names = {p.name for p in SHIPPED.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", ckpt.THRESHOLDS, ckpt.METRICS, ckpt.PER_CLASS,
            ckpt.RESULTS, ckpt.TRAINING_CONFIG, ckpt.MODEL_CARD, "dev_probabilities.parquet",
            "test_probabilities.parquet"} <= names
    assert (SHIPPED / "model.safetensors").stat().st_size < 50e6


def test_labels_thresholds_and_metrics_agree():
    config = json.loads((SHIPPED / "config.json").read_text())
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    assert labels == list(LABELS) and config["problem_type"] == "multi_label_classification"
    Thresholds.load(SHIPPED / ckpt.THRESHOLDS, labels)
    metrics = json.loads((SHIPPED / ckpt.METRICS).read_text())
    assert all(set(metrics[split]) == set(POLICIES) for split in ("dev", "test"))


def test_stored_probabilities_belong_to_these_weights():
    """Otherwise the app would rescore the test set at start-up."""
    fingerprint = ckpt.weights_fingerprint(SHIPPED)
    for split, rows in (("dev", 5426), ("test", 5427)):
        ids, probs = ckpt.load_probabilities(SHIPPED / ckpt.probabilities_file(split), LABELS, fingerprint)
        assert len(ids) == rows and probs.shape == (rows, 28) and np.isfinite(probs).all()


def test_loads_and_predicts_the_obvious(tmp_path):
    from emotion.predict import EmotionClassifier

    clf = EmotionClassifier(SHIPPED)
    assert "gratitude" in clf.predict("Thank you so much, this really helped!").labels
    assert clf.predict("ok", threshold=0.5).top[0][0] == "neutral"


# Written for this test; each is clear-cut for the model (no probability near its threshold).
FIXED = ["Thank you so much, this really helped!", "I love this song so much", "This is disgusting, who does that?",
         "What do you mean by that?", "Congrats on the new job!!", "lol that's hilarious",
         "I'm scared of what happens next", "ok", "Wow, I did not expect that at all!", "I hate this so much",
         "That's a great idea, I agree"]


def test_every_backend_returns_the_labels_of_torch():
    from emotion.backends import BACKENDS
    from emotion.predict import EmotionClassifier

    # One at a time, as the app asks: int8 scales activations per batch, so batch mates can move a
    # borderline probability by a few hundredths.
    labels = {}
    for name in BACKENDS:
        classifier = EmotionClassifier(SHIPPED, backend=name)
        labels[name] = [classifier.predict(text).labels for text in FIXED]
    assert labels["onnx"] == labels["torch"] and labels["onnx-int8"] == labels["torch"]
    assert labels["torch"][0] == ["gratitude"] and labels["torch"][5] == ["amusement"]
