"""Two models side by side on one labelled set, from stored probabilities (no model run): per-label F1 of
each, the difference with a paired bootstrap 95% interval, and the comments where they disagree.

"Paired": both models are scored on the same resampled comments in each bootstrap round, so the
interval of the difference reflects how far this test set can tell them apart, not how noisy each
figure is alone. A label whose interval excludes zero is flagged; with 28 labels, about one in twenty
flags is expected by chance alone when the two models do not differ.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..checkpoint import DEFAULT_CHECKPOINT, Checkpoint
from ..errors import EmotionError
from ..metrics import bootstrap_counts, confusion_counts, f1_from_counts, interval95
from ..profiles.profile import Profile

RESAMPLES = 2000
log = logging.getLogger(__name__)


class CompareError(EmotionError, ValueError):
    """The two models cannot be compared; the message says why."""


@dataclass(frozen=True)
class Side:
    """One model's answers on the set: ``probs`` (N, L) and the thresholds (L,) that decide them."""

    name: str
    probs: np.ndarray
    thresholds: np.ndarray
    checkpoint: Checkpoint | None = None
    notes: tuple[str, ...] = ()  # what of a profile the comparison leaves out, in words

    @property
    def pred(self) -> np.ndarray:
        return np.asarray(self.probs) >= np.asarray(self.thresholds)[None, :]

    @classmethod
    def of(cls, checkpoint: Checkpoint, ids: Sequence[str], profile=None, name: str | None = None,
           probs: np.ndarray | None = None) -> "Side":
        """The one way a side is built: ``checkpoint``'s stored test probabilities for ``ids`` (the reference
        backend's: a comparison runs no model), or ``probs`` already read for them, decided by ``profile``'s
        thresholds when given (``profile_side``: its notes say what of it is left out), else by the checkpoint's
        own tuned ones (0.5 for every label where it has none)."""
        if probs is None:
            _, probs = checkpoint.probabilities("test", list(ids))
        if profile is not None:
            return profile_side(name or "profile", probs, profile, checkpoint)
        tuned = checkpoint.thresholds()  # the reference backend's, like the stored probabilities
        labels = checkpoint.labels
        thresholds = tuned.array(labels) if tuned is not None else np.full(len(labels), 0.5)
        return cls(name or checkpoint.name, probs, thresholds, checkpoint)


def side_checkpoint(spec: str | os.PathLike, checkpoint: str | os.PathLike | None) -> Checkpoint:
    """The checkpoint a side answers with: the folder itself, or a profile's ``checkpoint`` (default: the shipped one)."""
    if Path(spec).suffix.lower() == ".json":
        return Checkpoint.open(checkpoint or DEFAULT_CHECKPOINT)
    return Checkpoint.open(spec)


def load_side(spec: str | os.PathLike, checkpoint: str | os.PathLike | None, ids: Sequence[str]) -> Side:
    """A checkpoint folder (its stored test probabilities, its own tuned thresholds), or a profile (.json)
    over ``checkpoint`` (default: the shipped model). A profile's heads need a model run, so a profile is
    compared on its thresholds alone, with a warning when it has heads."""
    spec, folder = Path(spec), side_checkpoint(spec, checkpoint)
    if spec.suffix.lower() == ".json":
        profile = Profile.load(spec, folder.labels)
        side = Side.of(folder, ids, profile, profile.name or spec.stem)
        for note in side.notes:
            log.warning("%s: %s", spec.name, note)
        return side
    return Side.of(folder, ids)


def profile_side(name: str, probs: np.ndarray, profile: Profile, checkpoint: Checkpoint) -> Side:
    """A profile over ``checkpoint``'s stored probabilities, on the labels the test set has gold for (the
    checkpoint's). Its own labels have none, and its heads need a model run: the side's notes say what is left out."""
    labels = checkpoint.labels
    served = profile.labels(labels)
    notes = []
    if len(served) > len(labels):
        notes.append(f"its own labels ({', '.join(served[len(labels):])}) have no gold labels in the test set, so the "
                     f"{len(labels)} labels it shares with the model are compared")
    ours = [n for n in labels if n in profile.heads]
    if ours:
        notes.append(f"its heads for {', '.join(ours)} need a model run, so those labels are compared on their "
                     "thresholds alone")
    return Side(name, probs, profile.thresholds.array(served)[: len(labels)], checkpoint, tuple(notes))


def check_pair(a: Side, b: Side) -> None:
    if a.checkpoint.labels != b.checkpoint.labels:
        raise CompareError(f"{a.name} and {b.name} have different labels; only models of the same labels compare.")
    if a.name == b.name:
        raise CompareError(f"Both sides are {a.name}; give two different models or profiles.")


def differences(y_true: np.ndarray, a: Side, b: Side, labels: Sequence[str], resamples: int = RESAMPLES,
                seed: int = 0) -> pd.DataFrame:
    """One row each for micro F1, macro F1 and every label: F1 of A and of B, B - A, its paired 95%
    bootstrap interval, and whether the interval excludes zero."""
    y = np.asarray(y_true, dtype=bool)
    (ta, fa, na), (tb, fb, nb) = bootstrap_counts(y, [a.pred, b.pred], resamples, seed)
    point = [confusion_counts(side.pred, y) for side in (a, b)]

    def rows(name: str, f1_a, f1_b, boot_a, boot_b) -> dict:
        low, high = interval95(boot_b - boot_a)
        return {"label": name, a.name: round(float(f1_a), 4), b.name: round(float(f1_b), 4),
                "difference": round(float(f1_b - f1_a), 4), "low": round(float(low), 4), "high": round(float(high), 4),
                "significant": bool(low > 0 or high < 0)}

    micro = [f1_from_counts(*(c.sum() for c in counts)) for counts in point]
    per_label = [f1_from_counts(*counts) for counts in point]
    boot_labels = [f1_from_counts(ta, fa, na), f1_from_counts(tb, fb, nb)]
    out = [rows("micro F1", *micro, f1_from_counts(ta.sum(1), fa.sum(1), na.sum(1)),
                f1_from_counts(tb.sum(1), fb.sum(1), nb.sum(1))),
           rows("macro F1", per_label[0].mean(), per_label[1].mean(), boot_labels[0].mean(1), boot_labels[1].mean(1))]
    out += [rows(name, per_label[0][j], per_label[1][j], boot_labels[0][:, j], boot_labels[1][:, j])
            for j, name in enumerate(labels)]
    return pd.DataFrame(out)


def disagreements(y_true: np.ndarray, a: Side, b: Side, labels: Sequence[str]) -> pd.DataFrame:
    """The comments where A and B decide differently, worst first: most labels in dispute, then the largest
    gap in probability over them. ``winner`` says who got more of the disputed labels right."""
    y = np.asarray(y_true, dtype=bool)
    pa, pb = a.pred, b.pred
    differ = pa != pb
    rows = np.flatnonzero(differ.any(1))
    gap = (np.abs(np.asarray(a.probs) - np.asarray(b.probs)) * differ).sum(1)
    right_a = ((pa == y) & differ).sum(1)
    right_b = ((pb == y) & differ).sum(1)

    def names(matrix: np.ndarray, i: int) -> str:
        return ", ".join(labels[j] for j in np.flatnonzero(matrix[i]))

    table = pd.DataFrame({
        "row": rows, "disputed": differ[rows].sum(1), "gap": gap[rows].round(3),
        "gold": [names(y, i) for i in rows], a.name: [names(pa, i) for i in rows], b.name: [names(pb, i) for i in rows],
        "winner": np.where(right_a[rows] > right_b[rows], a.name, np.where(right_b[rows] > right_a[rows], b.name, "tie")),
    })
    return table.sort_values(["disputed", "gap"], ascending=False, kind="stable").reset_index(drop=True)
