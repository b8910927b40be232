"""Heads: a logistic regression per label on features the model already computes, nothing retrained.

A head reads the model's ``features``: its logits (one per label) then its pooled embedding (what
its classifier reads), both from the one forward pass every prediction makes. It serves a label of
ours better than a re-tuned threshold when the platform's notion of the label differs from Reddit's,
and it learns a label the model never saw from about a hundred labelled comments (SetFit's idea, on
features already tuned to emotion, with no training loop).

Heads are fitted by ``adapt`` (regularisation and threshold chosen by cross-validation on the
sample); their weights are folded back to the raw features, so applying a head is one dot product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

DIGITS = 5  # decimals a head's weights keep in a profile: far below the features' own noise


@dataclass(frozen=True)
class Head:
    """``p = sigmoid(features @ weights + intercept)``; decides at ``threshold``."""

    weights: np.ndarray  # (features,)
    intercept: float
    threshold: float
    strength: float  # the C it was fitted with

    def probability(self, features: np.ndarray) -> np.ndarray:
        return expit(np.asarray(features, dtype=np.float64) @ self.weights + self.intercept)

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
