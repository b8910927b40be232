"""Multi-label losses on logits: plain BCE, BCE with per-label positive weights, focal BCE."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

LOSSES = ("bce", "weighted_bce", "focal")


def positive_weights(y_true: np.ndarray, cap: float = 30.0) -> torch.Tensor:
    """sqrt(negatives / positives) per label, capped: rare labels count more without the full
    inverse-frequency weight, which makes predictions on rare labels wildly over-confident."""
    import torch

    y_true = np.asarray(y_true, dtype=np.float64)
    pos = y_true.sum(0)
    neg = len(y_true) - pos
    return torch.tensor(np.clip(np.sqrt(neg / np.maximum(pos, 1.0)), 1.0, cap), dtype=torch.float32)


def multilabel_loss(
    logits: torch.Tensor, targets: torch.Tensor, kind: str = "bce",
    pos_weight: torch.Tensor | None = None, gamma: float = 2.0,
) -> torch.Tensor:
    import torch.nn.functional as F

    targets = targets.to(logits.dtype)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, targets)
    if kind == "weighted_bce":
        if pos_weight is None:
            raise ValueError("weighted_bce needs pos_weight (see positive_weights).")
        return F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight.to(logits.device))
    if kind == "focal":
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        p_true = (-bce).exp()  # the probability given to the correct side of each label
        return ((1.0 - p_true) ** gamma * bce).mean()
    raise ValueError(f"Unknown loss {kind!r}; choose one of {', '.join(LOSSES)}.")
