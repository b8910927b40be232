"""Text normalisation, applied identically in training and serving and recorded in the checkpoint.

BERT-family vocabularies map every emoji to the same ``[UNK]`` token, so "😂😂😂" and "😭😭😭" look alike
to the model. ``demojize`` writes each emoji as its English name ("face with tears of joy"), which the
vocabulary does know. ``squeeze`` holds a letter repeated three or more times to two ("soooo" ->
"soo", "loooove" -> "loove"), so that every stretching of a word reads the same. Steps combine with "+",
applied left to right ("demojize+squeeze").
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable

from .errors import EmotionError

NONE, DEMOJIZE, SQUEEZE = "none", "demojize", "squeeze"
NORMALIZATIONS = (NONE, DEMOJIZE, SQUEEZE, f"{DEMOJIZE}+{SQUEEZE}")
STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # a letter three or more times in a row


def emoji_name(data: dict) -> str:
    """An emoji's English name as ``demojize`` writes it ("face with tears of joy")."""
    return data["en"].strip(":").replace("_", " ")


def demojize(text: str) -> str:
    if text.isascii():  # no emoji: skip the emoji package's per-character scan (most comments)
        return text
    import emoji

    return emoji.replace_emoji(text, replace=lambda _, data: f" {emoji_name(data)} ")


def emoji_table() -> dict:
    """What a browser needs to demojize exactly as Python does (the static Space's ``normalize.js``): every
    emoji's name, and which emoji are components (skin tones, hair), whose ZWJ rule differs."""
    import emoji
    from emoji.unicode_codes import STATUS

    return {"version": emoji.__version__,
            "names": {e: emoji_name(data) for e, data in emoji.EMOJI_DATA.items()},
            "components": [e for e, data in emoji.EMOJI_DATA.items() if data["status"] == STATUS["component"]]}


def squeeze(text: str) -> str:
    return STRETCHED.sub(r"\1\1", text)


def _step(name: str) -> Callable[[str], str]:
    if name == DEMOJIZE:
        if importlib.util.find_spec("emoji") is None:
            raise EmotionError("This checkpoint writes emoji as words and needs the emoji package: "
                               "`pip install -r requirements.txt`.")
        return demojize
    if name == SQUEEZE:
        return squeeze
    raise EmotionError(f"Unknown text normalization {name!r}; this version knows {', '.join(NORMALIZATIONS)}. "
                       "Update the project, or retrain the checkpoint.")


def normalizer(name: str) -> Callable[[str], str]:
    """The function a checkpoint's ``text_normalization`` names."""
    if name == NONE:
        return lambda text: text
    steps = [_step(part) for part in name.split("+")]
    if len(steps) == 1:
        return steps[0]

    def normalize(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return normalize
