"""Knowledge distillation: a smaller student learns from a fine-tuned teacher's probabilities."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np

from ..serve.backend_choice import COMPARED, compared_figures
from ..serve import backends
from ..serve.backends import REFERENCE
from ..checkpoint import Checkpoint
from ..metrics import micro_f1_difference_interval
from ..serve.predict import EmotionClassifier

log = logging.getLogger(__name__)


def teacher_probabilities(
    teacher: str | os.PathLike, ids: Sequence[str], texts: Sequence[str], labels: Sequence[str], batch_size: int = 64,
) -> np.ndarray:
    """The teacher's probabilities (N, labels) for these comments, computed once per teacher weights and
    comment ids and cached beside the teacher (never committed): a resumed or repeated run reads them back."""
    # The reference (torch), not int8: the student should learn the teacher's exact probabilities.
    model = EmotionClassifier(teacher, batch_size=batch_size, backend=REFERENCE)
    if list(model.labels) != list(labels):
        raise ValueError(
            f"The teacher {teacher} predicts {len(model.labels)} labels ({', '.join(model.labels[:3])}, ...) "
            f"but the student is trained on {len(labels)} ({', '.join(list(labels)[:3])}, ...). "
            "Use a teacher fine-tuned on the same label set."
        )
    cache = model.checkpoint.derived_file("soft-targets", backends.get(REFERENCE).files_tag(model.checkpoint))
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as stored:
            if stored["ids"].tolist() == list(ids):
                log.info("Teacher probabilities read from %s", cache)
                return stored["probs"]
    probs = model.predict_probabilities(texts).astype(np.float32)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache.with_suffix(".tmp"), "wb") as out:
            np.savez(out, ids=np.asarray(list(ids)), probs=probs)
        os.replace(cache.with_suffix(".tmp"), cache)
    except OSError as err:  # a full or read-only disk costs the next run the scoring, nothing more
        log.warning("Could not cache the teacher's probabilities in %s: %s", cache, err)
    return probs


def blend(y_true: np.ndarray, probs: np.ndarray, weight: float) -> np.ndarray:
    """Training targets ``(1 - weight) * y_true + weight * teacher probabilities``, shape (N, labels).

    BCE is linear in its target, so BCE on this blend equals ``(1 - weight) * BCE(labels) +
    weight * BCE(teacher)``: the usual distillation loss, with no change to the trainer.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"The distillation weight must lie in [0, 1], got {weight}.")
    return ((1.0 - weight) * np.asarray(y_true, dtype=np.float32) + weight * probs).astype(np.float32)


def compare_to_teacher(
    student: str | os.PathLike, teacher: str | os.PathLike, ids: Sequence[str], y_true: np.ndarray, tolerance: float
) -> dict:
    """The student's dev F1 against its teacher's, from each one's stored dev probabilities and own
    tuned thresholds, on the figures that choose a backend (``backend_choice.COMPARED``).
    ``replaces_teacher`` when none is more than ``tolerance`` lower. Recorded in the student's checkpoint."""
    def figures(checkpoint: Checkpoint) -> tuple[dict, np.ndarray]:
        _, probs = checkpoint.probabilities("dev", ids)
        thresholds = checkpoint.thresholds()  # the reference's, like the stored probabilities
        return (compared_figures(probs, y_true, thresholds.global_threshold, checkpoint.shrink_strength),
                probs >= thresholds.global_threshold)

    student, teacher_checkpoint = Checkpoint.open(student), Checkpoint.open(teacher)
    (mine, student_pred), (theirs, teacher_pred) = figures(student), figures(teacher_checkpoint)
    table = {name: {"student": mine[name], "teacher": theirs[name], "difference": round(mine[name] - theirs[name], 5)}
             for name in COMPARED}
    result = {
        "teacher": str(teacher),
        "teacher_weights_sha256": teacher_checkpoint.fingerprint,
        "split": "dev",
        "comments": len(ids),
        "rule": f"the student may replace its teacher when none of its dev F1s is more than {tolerance} lower",
        "tolerance": tolerance,
        "figures": table,
        # How well this split can tell the two apart at all.
        "micro_f1_difference_95ci": [round(v, 4) for v in
                                     micro_f1_difference_interval(y_true, student_pred, teacher_pred)],
        "replaces_teacher": all(f["difference"] >= -tolerance for f in table.values()),
    }
    student.save_distillation(result)
    return result


def describe(result: dict) -> str:
    verdict = "may replace" if result["replaces_teacher"] else "falls short of"
    lines = [f"student vs teacher {result['teacher']} on dev: {verdict} the teacher ({result['rule']})"]
    lines += [f"  {name:22s} student {f['student']:.4f}  teacher {f['teacher']:.4f}  {f['difference']:+.4f}"
              for name, f in result["figures"].items()]
    low, high = result["micro_f1_difference_95ci"]
    lines.append(f"  micro F1 difference, 95% paired-bootstrap interval over the comments: [{low:+.4f}, {high:+.4f}]")
    return "\n".join(lines)
