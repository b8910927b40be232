"""Heads: a logistic regression per label on features the model already computes, nothing retrained.

A head reads the model's ``features``: its logits (one per label) then its pooled embedding (what
its classifier reads), both from the one forward pass every prediction makes. It serves a label of
ours better than a re-tuned threshold when the platform's notion of the label differs from Reddit's,
and it learns a label the model never saw from about a hundred labelled comments (SetFit's idea, on
features already tuned to emotion, with no training loop).

A head is fitted here (``fit_head``: regularisation and threshold chosen by cross-validation on the
sample) and graded here (``head_predictions``), for ``fit.adapt``; its weights are folded back to the raw
features, so applying a head is one dot product. A profile (``profile.Profile``) holds its heads.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..metrics import confusion_counts, cv_folds, f1_from_counts
from ..thresholds import shrink, tune_per_class_raw

DIGITS = 5  # decimals a head's weights keep in a profile: far below the features' own noise
HEAD_POSITIVES = 5  # a label with fewer positives (or negatives) gets no head
STRENGTHS = (0.01, 0.1, 1.0)  # a head's C (inverse regularisation), chosen by CV per label
FOLDS = 5
HEAD_THRESHOLD = 0.5  # a class-balanced head weighs a miss and a false alarm alike there


@dataclass(frozen=True)
class Head:
    """``p = sigmoid(features @ weights + intercept)``; decides at ``threshold``."""

    weights: np.ndarray  # (features,)
    intercept: float
    threshold: float
    strength: float  # the C it was fitted with

    def probability(self, features: np.ndarray) -> np.ndarray:
        return expit(np.asarray(features, dtype=np.float64) @ self.weights + self.intercept)

    def __eq__(self, other: object) -> bool:
        """Equal when it answers alike: the same weights, intercept and threshold (its C is history)."""
        if not isinstance(other, Head):
            return NotImplemented
        return (self.intercept, self.threshold) == (other.intercept, other.threshold) and np.array_equal(
            self.weights, other.weights)

    def to_dict(self) -> dict:
        return {"weights": self.weights.tolist(), "intercept": self.intercept, "threshold": self.threshold,
                "C": self.strength}

    @classmethod
    def from_dict(cls, raw: dict, width: int) -> "Head":
        """A head as stored in a profile; ``width``: the number of features it must read."""
        weights = np.asarray(raw["weights"], dtype=np.float64)
        if weights.shape != (width,) or not np.isfinite(weights).all():
            raise ValueError(f"a head needs {width} finite weights, got {weights.size}")
        head = cls(weights, float(raw["intercept"]), float(raw["threshold"]), float(raw.get("C", 1.0)))
        if not (np.isfinite(head.intercept) and 0.0 <= head.threshold <= 1.0):
            raise ValueError("a head's intercept must be finite and its threshold in [0, 1]")
        return head


def rounded(head: Head) -> Head:
    """The head as a profile stores it, so what is fitted is what is read back."""
    return Head(head.weights.round(DIGITS), round(float(head.intercept), DIGITS), round(float(head.threshold), 4),
                head.strength)


def apply(heads: dict[str, Head], features: np.ndarray, labels: list[str], answers: list[str]) -> np.ndarray:
    """Probabilities (N, len(answers)) from ``features`` (N, L + H; the model's ``labels`` logits first):
    the model's own for its labels, a head's where one serves; ``answers`` are the model's labels then
    the new ones, each of which has a head."""
    features = np.asarray(features, dtype=np.float64)
    probs = np.empty((len(features), len(answers)), dtype=np.float32)
    probs[:, : len(labels)] = expit(features[:, : len(labels)])
    for j, name in enumerate(answers):
        if name in heads:
            probs[:, j] = heads[name].probability(features)
    return probs


def feature_width(checkpoint) -> int:
    """What a head on ``checkpoint`` (a ``Checkpoint``) reads: the model's logits, then its pooled embedding."""
    return len(checkpoint.labels) + int(checkpoint.config["hidden_size"])


def _logistic(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, strength: float) -> tuple[np.ndarray, float]:
    """Weights and intercept, on the raw features, of a balanced logistic regression fitted on standardised ones."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-8] = 1.0
    model = LogisticRegression(C=strength, class_weight="balanced", max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on tiny folds: cross-validation judges the result
        model.fit((x - mean) / scale, y, sample_weight=weights)
    w = model.coef_[0] / scale
    return w, float(model.intercept_[0] - w @ mean)


def _head_threshold(oof: np.ndarray, y: np.ndarray, weights: np.ndarray | None, prior: float) -> float:
    """The best-F1 threshold of out-of-fold probabilities, pulled toward HEAD_THRESHOLD by ``prior``."""
    if np.isinf(prior):
        return HEAD_THRESHOLD
    best = tune_per_class_raw(oof[:, None], y[:, None], weights=weights)
    return float(shrink(best, y[None].sum(1), HEAD_THRESHOLD, prior)[0])


def fit_head(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, seed: int = 0,
             threshold_prior: float = float("inf")) -> Head | None:
    """One label's head: C (and, with a finite ``threshold_prior``, its threshold: ``fit.Rules``) chosen by CV
    (the best F1 of out-of-fold probabilities), then refitted on every row. None when the label has too few
    positives or negatives to cross-validate. Its folds are stratified (``metrics.cv_folds`` with the label as
    strata), as many as the rarer class allows: a fold without a positive cannot fit a head."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=bool)
    k = int(min(FOLDS, y.sum(), (~y).sum()))
    if y.sum() < HEAD_POSITIVES or k < 2:
        return None
    splits = cv_folds(len(y), k, seed, strata=y)
    best = None
    for strength in STRENGTHS:
        oof = np.zeros(len(y))
        for train, held in splits:
            w, b = _logistic(x[train], y[train], None if weights is None else weights[train], strength)
            oof[held] = expit(x[held] @ w + b)
        threshold = _head_threshold(oof, y, weights, threshold_prior)
        f1 = float(f1_from_counts(*confusion_counts(oof >= threshold, y, weights=weights)))
        if best is None or f1 > best[0]:  # ties keep the stronger regularisation (the smaller C)
            best = (f1, strength, threshold)
    _, strength, threshold = best
    w, b = _logistic(x, y, weights, strength)
    return rounded(Head(w, b, threshold, strength))


def head_predictions(x: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]],
                     weights: np.ndarray | None = None, threshold_prior: float = float("inf")) -> np.ndarray:
    """Each row's decision by a head fitted (C and threshold chosen too) without it, on ``folds`` (fit rows,
    held-out rows; ``metrics.cv_folds``): ``fit.adapt`` grades thresholds and heads on the same ones. All
    False where a fold's rows leave too few positives for a head."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=bool)
    decisions = np.zeros(len(y), dtype=bool)
    for fit, held in folds:
        head = fit_head(x[fit], y[fit], None if weights is None else weights[fit], threshold_prior=threshold_prior)
        if head is not None:
            decisions[held] = head.probability(x[held]) >= head.threshold
    return decisions
