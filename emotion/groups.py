"""Coarser views of the 28 labels from the GoEmotions paper (Demszky et al., 2020, Table 6 and
the released ekman_mapping.json / sentiment_mapping.json): Ekman's six + neutral, and sentiment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EKMAN: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief",
            "pride", "admiration", "desire", "caring"),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}
SENTIMENT: dict[str, tuple[str, ...]] = {
    "positive": ("amusement", "excitement", "joy", "love", "desire", "optimism", "caring", "pride",
                 "admiration", "gratitude", "relief", "approval"),
    "negative": ("fear", "nervousness", "remorse", "embarrassment", "disappointment", "sadness", "grief",
                 "disgust", "anger", "annoyance", "disapproval"),
    "ambiguous": ("realization", "surprise", "curiosity", "confusion"),
    "neutral": ("neutral",),
}
GROUPINGS = {"Ekman": EKMAN, "Sentiment": SENTIMENT}


def group_scores(
    probs: np.ndarray, predicted: np.ndarray, label_names: Sequence[str], grouping: dict[str, tuple[str, ...]]
) -> list[tuple[str, float, bool, list[str]]]:
    """Per group: the highest member probability, whether any member is predicted, and the
    predicted members. Groups with members the model does not know are skipped."""
    index = {name: i for i, name in enumerate(label_names)}
    out = []
    for group, members in grouping.items():
        ids = [index[m] for m in members if m in index]
        if not ids:
            continue
        out.append((group, float(np.max(probs[ids])), bool(np.any(predicted[ids])),
                    [label_names[i] for i in ids if predicted[i]]))
    return out
