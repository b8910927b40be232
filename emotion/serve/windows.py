"""Long comments are read whole: in overlapping windows of the model's length, whose answers are combined.

A model reads at most ``max_length`` tokens (128 for ours); a rant of 300 tokens used to be cut after
its first 128. Each window carries the comment's own [CLS] and [SEP]; consecutive windows share
``OVERLAP`` tokens so no sentence is read only cut in two. Every runner (the library, score.py, Ray,
the app) reads through ``run_batches``, and so through here.

How windows combine was chosen on dev comments joined into long ones (``scripts/long_comments.py``,
docs/inference.md): each label's logit is its highest over the windows (an emotion anywhere in the comment
is an emotion of the comment), except neutral's, which is its lowest (a comment is neutral only if every
part of it is); the pooled embedding a profile's heads read is the windows' mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

OVERLAP = 32
COMBINE = "max"  # "max" (neutral: min), "mean" or "first" (the old cut); see the module's docstring
NEUTRAL = "neutral"


def split(ids: list[int], max_length: int, overlap: int = OVERLAP) -> list[list[int]]:
    """A text's ids (with its special tokens at both ends) as windows of at most ``max_length`` ids, each
    with the same special tokens; the last window ends at the text's end."""
    if len(ids) <= max_length:
        return [ids]
    first, body, last = ids[:1], ids[1:-1], ids[-1:]
    size = max_length - 2
    step = max(size - overlap, 1)
    starts = list(range(0, len(body) - size, step)) + [len(body) - size]
    return [first + body[s:s + size] + last for s in starts]


def combine(outputs: np.ndarray, labels: int, neutral: int | None, rule: str = COMBINE) -> np.ndarray:
    """One row from a comment's window rows ``outputs`` (windows, width): the first ``labels`` columns are
    logits, combined by ``rule``; any further columns (the pooled embedding) are averaged."""
    if len(outputs) == 1 or rule == "first":
        return outputs[0]
    out = outputs.mean(axis=0)
    if rule == "max":
        out[:labels] = outputs[:, :labels].max(axis=0)
        if neutral is not None and neutral < labels:
            out[neutral] = outputs[:, neutral].min()
    elif rule != "mean":
        raise ValueError(f"Unknown way to combine windows {rule!r}: max, mean or first.")
    return out


def neutral_index(labels: Sequence[str]) -> int | None:
    return list(labels).index(NEUTRAL) if NEUTRAL in labels else None
