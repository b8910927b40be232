"""Knowledge distillation: a smaller student learns from a fine-tuned teacher's probabilities."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


def soft_targets(
    teacher: str | os.PathLike, texts: Sequence[str], y_true: np.ndarray, labels: Sequence[str],
    weight: float, batch_size: int = 64,
) -> np.ndarray:
    """Training targets ``(1 - weight) * y_true + weight * teacher probabilities``, shape (N, labels).

    BCE is linear in its target, so BCE on this blend equals ``(1 - weight) * BCE(labels) +
    weight * BCE(teacher)``: the usual distillation loss, with no change to the trainer.
    """
    from .predict import EmotionClassifier

    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"The distillation weight must lie in [0, 1], got {weight}.")
    # torch, not int8: the student should learn the teacher's exact probabilities.
    model = EmotionClassifier(teacher, batch_size=batch_size, backend="torch")
    if list(model.labels) != list(labels):
        raise ValueError(
            f"The teacher {teacher} predicts {len(model.labels)} labels ({', '.join(model.labels[:3])}, ...) "
            f"but the student is trained on {len(labels)} ({', '.join(list(labels)[:3])}, ...). "
            "Use a teacher fine-tuned on the same label set."
        )
    y_true = np.asarray(y_true, dtype=np.float32)
    probs = model.predict_probabilities(texts)
    return ((1.0 - weight) * y_true + weight * probs).astype(np.float32)
