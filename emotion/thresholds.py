"""Decision thresholds: one global value and one per class, tuned on dev only.

Per-class tuning overfits classes with few dev positives (grief, pride, relief, nervousness have
a handful each), so each class's best threshold is shrunk toward the global one by its support:
``t = (n * t_class + k * t_global) / (n + k)``. The prior strength ``k`` is chosen by K-fold
cross-validation inside dev, so the choice is measured on comments the thresholds never saw.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import EmotionError
from .files import write_json
from .metrics import check_shapes, confusion_counts, cv_folds, f1_from_counts

GRID = np.round(np.arange(0.01, 0.991, 0.01), 2)
MAX_NAME = 80  # characters of a profile's name kept: it is echoed in every answer
EXPECTED = '{"global": 0.3, "per_class": {"admiration": 0.35, ...}}'
SHRINK_STRENGTHS = (0.0, 5.0, 10.0, 20.0, 50.0, 100.0, float("inf"))  # inf = always the global


class ThresholdError(EmotionError, ValueError):
    """Thresholds are malformed, do not match the model's labels, or a threshold choice is invalid."""


# The threshold choices, in one vocabulary: the tuned per-class thresholds, the tuned global one, or a number.
PER_CLASS, GLOBAL = "per_class", "global"
ThresholdChoice = float | str | None
# metrics.json's policies (its keys stay as published) and the choice each one stands for.
POLICIES: dict[str, ThresholdChoice] = {"global_0.5": 0.5, "global_tuned": GLOBAL, "per_class_tuned": PER_CLASS}
POLICY_NAMES = {"global_0.5": "global 0.5", "global_tuned": "global, tuned on dev",
                "per_class_tuned": "per-class, tuned on dev"}


# Where a set of thresholds comes from: the checkpoint's thresholds.json (tuned on torch's dev answers),
# the backend choice's own (tuned on that backend's dev answers), or a profile's (adapt).
CHECKPOINT, BACKEND, PROFILE = "checkpoint", "backend", "profile"


@dataclass(frozen=True)
class Thresholds:
    global_threshold: float
    per_class: dict[str, float]
    name: str = ""  # the name of the profile they belong to; empty for a checkpoint's own thresholds
    origin: str = field(default=CHECKPOINT, compare=False)  # CHECKPOINT, BACKEND or PROFILE
    backend: str = field(default="", compare=False)  # with BACKEND: whose dev answers they were tuned on

    def from_origin(self, origin: str, backend: str = "") -> "Thresholds":
        return replace(self, origin=origin, backend=backend)

    @property
    def source(self) -> str:
        """Where these thresholds come from, in the words every surface uses."""
        if self.origin == PROFILE:
            return f"profile {self.name}" if self.name else "a profile"
        if self.origin == BACKEND:
            # Plain words for a visitor: which model's dev scores tuned them, not "onnx-int8's dev answers".
            return f"the checkpoint's, re-tuned on dev for the {self.backend} copy of the model that answers here"
        return "the checkpoint's, tuned on dev"

    def labels(self, model_labels: Sequence[str]) -> list[str]:
        """The labels these thresholds answer: the model's, then any others (a profile's new ones)."""
        return [*model_labels, *(name for name in self.per_class if name not in model_labels)]

    def array(self, label_names: Sequence[str]) -> np.ndarray:
        missing = [n for n in label_names if n not in self.per_class]
        if missing or len(self.per_class) != len(label_names):
            extra = sorted(set(self.per_class) - set(label_names))
            raise ThresholdError(
                f"Per-class thresholds do not match the model's labels (missing: {missing or 'none'}, "
                f"unknown: {extra or 'none'}). Re-tune them with `python train_model.py --eval_only CHECKPOINT`."
            )
        return np.array([self.per_class[n] for n in label_names], dtype=np.float64)

    def to_dict(self) -> dict:
        out = {"global": round(float(self.global_threshold), 4),
               "per_class": {k: round(float(v), 4) for k, v in self.per_class.items()}}
        return {**out, "name": self.name} if self.name else out

    def save(self, path: str | os.PathLike) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike, label_names: Sequence[str] | None = None) -> "Thresholds":
        return cls.from_dict(read_file(path), label_names, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, label_names: Sequence[str] | None = None, source: str = "thresholds") -> "Thresholds":
        """``source`` names where ``raw`` came from, for the error messages. ``label_names``: the labels they
        must hold, exactly (a profile checks its own new labels)."""
        try:
            # The name is echoed in every answer: a long one is cut, not carried.
            thresholds = cls(float(raw["global"]), {str(k): float(v) for k, v in raw["per_class"].items()},
                             str(raw.get("name") or "")[:MAX_NAME])
        except KeyError as err:
            raise ThresholdError(not_valid(source, f"it has no {err.args[0]!r}")) from err
        except RecursionError:  # a value nested thousands deep
            raise ThresholdError(not_valid(source, "it is nested too deep")) from None
        except (ValueError, TypeError, AttributeError, ArithmeticError) as err:  # OverflowError: a 400-digit number
            raise ThresholdError(not_valid(source, err)) from err
        values = [thresholds.global_threshold, *thresholds.per_class.values()]
        if not all(0.0 <= v <= 1.0 for v in values):
            raise ThresholdError(f"{source}: thresholds must lie in [0, 1].")
        if label_names is not None:
            try:
                thresholds.array(label_names)
            except ThresholdError as err:
                raise ThresholdError(f"{source}: {err}") from err
        return thresholds


def not_valid(source, why) -> str:
    """How a thresholds (or profile) file is refused, whatever is wrong with it: the words every command and the
    app use."""
    return f"{source} is not a valid thresholds file ({why}); expected {EXPECTED}."


def read_file(path: str | os.PathLike, max_bytes: int | None = None) -> dict:
    """A thresholds or profile file's JSON; unreadable, nested too deep or over ``max_bytes``: a ``ThresholdError``
    (a profile file is refused before it is read whole)."""
    path = Path(path)
    try:
        if max_bytes is not None and path.is_file() and path.stat().st_size > max_bytes:
            raise ValueError(f"it is {path.stat().st_size / 1e6:.0f} MB; a profile is at most {max_bytes / 1e6:.0f} MB")
        return json.loads(path.read_text())
    except RecursionError:  # a value nested thousands deep
        raise ThresholdError(not_valid(path, "it is nested too deep")) from None
    except (OSError, ValueError) as err:
        raise ThresholdError(not_valid(path, err)) from err


def describe(choice: ThresholdChoice, tuned: Thresholds | None) -> str:
    """Which thresholds a choice applies, in words: the API's answers, score.py's first line and the
    app all say it this way."""
    if isinstance(choice, (int, float, np.floating)) and not isinstance(choice, bool):
        return f"{float(choice):g} for every label"
    if tuned is None:
        return "0.5 for every label (the checkpoint has no tuned thresholds)"
    if choice == GLOBAL:
        return f"{tuned.source}: one global value, {tuned.global_threshold:.2f}"
    return f"{tuned.source}, one per label"


def resolve(choice: ThresholdChoice, tuned: Thresholds | None, label_names: Sequence[str]) -> np.ndarray:
    """The one place a threshold choice becomes one value per label.

    ``None`` or ``"per_class"``: the tuned per-class thresholds (``None`` falls back to 0.5 when there
    are none); ``"global"``: the tuned global threshold; a number in [0, 1]: that value for every label.
    """
    count = len(label_names)
    if isinstance(choice, (int, float, np.floating)) and not isinstance(choice, bool):
        if not 0.0 <= choice <= 1.0:
            raise ThresholdError(f"threshold must lie in [0, 1], got {choice}.")
        return np.full(count, float(choice))
    if choice not in (None, PER_CLASS, GLOBAL):
        raise ThresholdError(f"threshold must be a number, '{GLOBAL}' or '{PER_CLASS}'; got {choice!r}.")
    if tuned is None:
        if choice is not None:
            raise ThresholdError("this checkpoint has no tuned thresholds; pass a number instead.")
        return np.full(count, 0.5)
    if choice == GLOBAL:
        return np.full(count, tuned.global_threshold)
    return tuned.array(label_names)


def policy_thresholds(tuned: Thresholds, label_names: Sequence[str]) -> dict[str, np.ndarray]:
    """One threshold array per metrics.json policy."""
    return {policy: resolve(choice, tuned, label_names) for policy, choice in POLICIES.items()}


def _grid_counts(probs: np.ndarray, y_true: np.ndarray, grid: np.ndarray = GRID,
                 weights: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Per-class tp, fp, fn for every threshold in the grid: each (G, L)."""
    return confusion_counts(probs[None, :, :] >= grid[:, None, None], y_true[None], axis=1, weights=weights)


def tune_global(probs: np.ndarray, y_true: np.ndarray, grid: np.ndarray = GRID) -> float:
    """The single threshold with the best micro F1."""
    probs, y_true = check_shapes(probs, y_true, min_labels=1)
    tp, fp, fn = _grid_counts(probs, y_true, grid)
    micro = f1_from_counts(tp.sum(1), fp.sum(1), fn.sum(1))
    return float(grid[int(np.argmax(micro))])


def tune_per_class_raw(probs: np.ndarray, y_true: np.ndarray, grid: np.ndarray = GRID,
                       weights: np.ndarray | None = None) -> np.ndarray:
    """Each class's own F1-maximising threshold (no shrinkage); ``weights``: one per comment."""
    probs, y_true = check_shapes(probs, y_true, min_labels=1)
    return grid[np.argmax(f1_from_counts(*_grid_counts(probs, y_true, grid, weights)), axis=0)]


def shrink(raw: np.ndarray, support: np.ndarray, prior: float | np.ndarray, strength: float) -> np.ndarray:
    """Each class's threshold pulled toward ``prior`` (the global one, or one per class) by its support."""
    if np.isinf(strength):
        return np.broadcast_to(np.asarray(prior, dtype=float), np.shape(raw)).copy()
    support = np.asarray(support, dtype=float)
    return (support * raw + strength * np.asarray(prior, dtype=float)) / np.maximum(support + strength, 1e-12)


def cross_validate_strength(
    probs: np.ndarray, y_true: np.ndarray, strengths: Sequence[float] = SHRINK_STRENGTHS,
    folds: int = 5, seed: int = 0, prior: np.ndarray | None = None, weights: np.ndarray | None = None,
) -> dict[float, float]:
    """Held-out macro F1 of each shrinkage strength, by K-fold cross-validation within dev.
    ``prior``: the thresholds to shrink toward (default: the global one tuned on each fold);
    ``weights``: one per comment (a weighted sample's)."""
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    probs, y_true = check_shapes(probs, y_true, min_labels=1)
    tp = np.zeros((len(strengths), probs.shape[1]))
    fp, fn = tp.copy(), tp.copy()
    for fit, held in cv_folds(len(probs), folds, seed):
        g = tune_global(probs[fit], y_true[fit]) if prior is None else prior
        raw = tune_per_class_raw(probs[fit], y_true[fit], weights=None if w is None else w[fit])
        support = y_true[fit].sum(0)
        for s, strength in enumerate(strengths):
            counts = confusion_counts(probs[held] >= shrink(raw, support, g, strength), y_true[held],
                                      weights=None if w is None else w[held])
            for total, count in zip((tp, fp, fn), counts):
                total[s] += count
    # Pool counts over folds: folds hold too few positives of rare classes for a per-fold F1.
    return {float(strength): float(f1_from_counts(tp[s], fp[s], fn[s]).mean()) for s, strength in enumerate(strengths)}


@dataclass(frozen=True)
class TuningReport:
    thresholds: Thresholds
    strength: float
    cv_macro_f1: dict[float, float]

    def to_dict(self) -> dict:
        return {
            "chosen_strength": "inf" if np.isinf(self.strength) else self.strength,
            "rule": "t_class = (n*t_raw + k*t_global) / (n + k), n = dev positives; k chosen by 5-fold CV on dev",
            "cv_macro_f1_by_strength": {("inf" if np.isinf(k) else str(k)): round(v, 4)
                                        for k, v in self.cv_macro_f1.items()},
        }


def tune(probs: np.ndarray, y_true: np.ndarray, label_names: Sequence[str], folds: int = 5) -> TuningReport:
    """Tune the global threshold and shrunk per-class thresholds on (dev) probabilities."""
    probs, y_true = check_shapes(probs, y_true, min_labels=1)
    cv = cross_validate_strength(probs, y_true, folds=folds)
    strength = max(cv, key=lambda k: (cv[k], k))  # ties go to the stronger shrinkage
    return TuningReport(tune_at_strength(probs, y_true, label_names, strength), strength, cv)


def tune_at_strength(probs: np.ndarray, y_true: np.ndarray, label_names: Sequence[str], strength: float) -> Thresholds:
    """The global threshold and per-class thresholds shrunk toward it with a given prior strength."""
    probs, y_true = check_shapes(probs, y_true, min_labels=1)
    g = tune_global(probs, y_true)
    per_class = shrink(tune_per_class_raw(probs, y_true), y_true.sum(0), g, strength)
    return Thresholds(g, {name: float(round(t, 4)) for name, t in zip(label_names, per_class)})
