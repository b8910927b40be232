"""The GoEmotions label set: the one place that names the 28 labels for training.

Everything downstream of training reads label names from the checkpoint's ``id2label``;
this module is only the source those names come from when a model is first built.
"""

from __future__ import annotations

# Dataset order: line i of the release's labels.txt is label id i (27 emotions, then neutral).
LABELS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)
NUM_LABELS = len(LABELS)


def id2label(labels: tuple[str, ...] | list[str] = LABELS) -> dict[int, str]:
    return dict(enumerate(labels))


def label2id(labels: tuple[str, ...] | list[str] = LABELS) -> dict[str, int]:
    return {name: i for i, name in enumerate(labels)}

