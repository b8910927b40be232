"""Coarser views of the 28 labels from the GoEmotions paper (Demszky et al., 2020, Table 6 and
the released ekman_mapping.json / sentiment_mapping.json): Ekman's six + neutral, and sentiment."""

from __future__ import annotations

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



def by_index(labels: list[str]) -> dict[str, dict[str, list[int]]]:
    """Each grouping's groups as indices into ``labels`` (what render.js draws), groups without any of them left out."""
    index = {name: i for i, name in enumerate(labels)}
    return {title: {group: [index[m] for m in members if m in index]
                    for group, members in grouping.items() if any(m in index for m in members)}
            for title, grouping in GROUPINGS.items()}
