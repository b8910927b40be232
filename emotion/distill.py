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


def compare_to_teacher(
    student: str | os.PathLike, teacher: str | os.PathLike, ids: Sequence[str], y_true: np.ndarray, tolerance: float
) -> dict:
    """The student's dev F1 against its teacher's, from each one's stored dev probabilities and own
    tuned thresholds, on the figures that choose a backend (``backend_choice.COMPARED``).
    ``replaces_teacher`` when none is more than ``tolerance`` lower. Written to ``distillation.json``
    in the student's folder."""
    from . import checkpoint as ckpt
    from .backend_choice import COMPARED, compared_figures, shrink_strength
    from .labels import labels_from_config
    from .metrics import micro_f1_difference_interval
    from .thresholds import Thresholds
    from transformers import AutoConfig

    def figures(folder: Path) -> tuple[dict, np.ndarray]:
        labels = labels_from_config(AutoConfig.from_pretrained(folder))
        stored_ids, probs = ckpt.load_probabilities(folder / ckpt.probabilities_file("dev"), labels)
        row = {comment: i for i, comment in enumerate(stored_ids)}
        missing = [comment for comment in ids if comment not in row]
        if missing:
            raise ckpt.CheckpointError(f"{folder} has no stored dev probabilities for {len(missing)} of the dev "
                                       f"comments (e.g. id {missing[0]}); re-evaluate it with --eval_only.")
        thresholds = Thresholds.load(folder / ckpt.THRESHOLDS, labels)
        probs = probs[[row[c] for c in ids]]
        return (compared_figures(probs, y_true, thresholds.global_threshold, shrink_strength(folder)),
                probs >= thresholds.global_threshold)

    (mine, student_pred), (theirs, teacher_pred) = figures(Path(student)), figures(Path(teacher))
    table = {name: {"student": mine[name], "teacher": theirs[name], "difference": round(mine[name] - theirs[name], 5)}
             for name in COMPARED}
    result = {
        "teacher": str(teacher),
        "teacher_weights_sha256": ckpt.weights_fingerprint(teacher),
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
    ckpt.write_json(Path(student) / DISTILLATION, result)
    return result


def compare_on_dev(
    student: str | os.PathLike, teacher: str | os.PathLike, data_dir: str | os.PathLike | None = None,
    max_samples: int | None = None, tolerance: float | None = None,
) -> dict:
    """``compare_to_teacher`` on the dev split (or its first ``max_samples`` comments); prints the result."""
    from .backends import F1_TOLERANCE
    from .data import load_split, multi_hot
    from .labels import LABELS

    dev = load_split("dev", data_dir)
    if max_samples:
        dev = dev.select(range(min(max_samples, len(dev))))
    result = compare_to_teacher(student, teacher, dev["id"], multi_hot(dev["labels"], len(LABELS)),
                                F1_TOLERANCE if tolerance is None else tolerance)
    print(f"[distill] {describe(result)}", flush=True)
    return result


def describe(result: dict) -> str:
    verdict = "may replace" if result["replaces_teacher"] else "falls short of"
    lines = [f"student vs teacher {result['teacher']} on dev: {verdict} the teacher ({result['rule']})"]
    lines += [f"  {name:22s} student {f['student']:.4f}  teacher {f['teacher']:.4f}  {f['difference']:+.4f}"
              for name, f in result["figures"].items()]
    low, high = result["micro_f1_difference_95ci"]
    lines.append(f"  micro F1 difference, 95% paired-bootstrap interval over the comments: [{low:+.4f}, {high:+.4f}]")
    return "\n".join(lines)
