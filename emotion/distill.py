"""Knowledge distillation: a smaller student learns from a fine-tuned teacher's probabilities."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DISTILLATION = "distillation.json"


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


# Dev F1 figures a student is held to, as (policy, metric) in metrics.json. Each model's thresholds
# were tuned on its own dev probabilities, so the comparison is like for like.
COMPARED = (("global_tuned", "micro_f1"), ("global_tuned", "macro_f1"), ("per_class_tuned", "macro_f1"))


def compare_to_teacher(student: str | os.PathLike, teacher: str | os.PathLike, tolerance: float) -> dict:
    """The student's dev F1 against its teacher's; ``replaces_teacher`` when none is more than
    ``tolerance`` lower. Written to ``distillation.json`` in the student's folder."""
    from . import checkpoint as ckpt

    dev = {name: ckpt.read_json(Path(folder) / ckpt.METRICS)["dev"] for name, folder in
           (("student", student), ("teacher", teacher))}
    figures = {f"{metric} ({policy})": {"student": round(dev["student"][policy][metric], 5),
                                        "teacher": round(dev["teacher"][policy][metric], 5),
                                        "difference": round(dev["student"][policy][metric]
                                                            - dev["teacher"][policy][metric], 5)}
               for policy, metric in COMPARED}
    result = {
        "teacher": str(teacher),
        "teacher_weights_sha256": ckpt.weights_fingerprint(teacher),
        "split": "dev",
        "tolerance": tolerance,
        "figures": figures,
        "replaces_teacher": all(f["difference"] >= -tolerance for f in figures.values()),
    }
    ckpt.write_json(Path(student) / DISTILLATION, result)
    return result


def describe(result: dict) -> str:
    verdict = "may replace" if result["replaces_teacher"] else "falls short of"
    lines = [f"student vs teacher {result['teacher']} on dev: {verdict} the teacher "
             f"(no F1 more than {result['tolerance']} lower)"]
    lines += [f"  {name:28s} student {f['student']:.4f}  teacher {f['teacher']:.4f}  {f['difference']:+.4f}"
              for name, f in result["figures"].items()]
    return "\n".join(lines)
