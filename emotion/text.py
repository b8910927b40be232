"""Text normalisation, applied identically in training and serving and recorded in the checkpoint.

BERT-family vocabularies map every emoji to the same ``[UNK]`` token, so "😂😂😂" and "😭😭😭" look alike
to the model. ``demojize`` writes each emoji as its English name ("face with tears of joy"), which the
vocabulary does know.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from .errors import EmotionError

NONE, DEMOJIZE = "none", "demojize"
NORMALIZATIONS = (NONE, DEMOJIZE)


def demojize(text: str) -> str:
    if text.isascii():  # no emoji: skip the emoji package's per-character scan (most comments)
        return text
    import emoji

    return emoji.replace_emoji(text, replace=lambda _, data: f" {data['en'].strip(':').replace('_', ' ')} ")


def normalizer(name: str) -> Callable[[str], str]:
    """The function a checkpoint's ``text_normalization`` names."""
    if name == NONE:
        return lambda text: text
    if name == DEMOJIZE:
        if importlib.util.find_spec("emoji") is None:
            raise EmotionError("This checkpoint writes emoji as words and needs the emoji package: "
                               "`pip install -r requirements.txt`.")
        return demojize
    raise EmotionError(f"Unknown text normalization {name!r}; this version knows {', '.join(NORMALIZATIONS)}. "
                       "Update the project, or retrain the checkpoint.")
