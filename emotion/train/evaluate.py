"""Evaluate a saved checkpoint, at the end of training and for ``train_model.py --eval_only``.

``evaluate_checkpoint`` writes what every checkpoint needs: dev/test probabilities, thresholds tuned
on dev only, metrics (test scored once with them) and the model card. ``finish`` then runs the
optional steps (the backend choice, a student's comparison with its teacher); a failing one is a
warning that names what to rerun, never a lost model.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from ..serve import backend_choice
from . import distill
from ..serve.backends import F1_TOLERANCE, REFERENCE
from .card import write_model_card
from ..checkpoint import Checkpoint
from ..data import DataError, label_counts, load_split, multi_hot
from ..errors import EmotionError
from ..metrics import SUMMARY_NAMES, compute_metrics, per_class_table
from ..serve.predict import EmotionClassifier
from ..thresholds import Thresholds, policy_thresholds, tune

log = logging.getLogger(__name__)


def score_policies(probs: np.ndarray, y_true: np.ndarray, thresholds: Thresholds, labels: list[str]) -> dict:
    return {name: compute_metrics(probs, y_true, t) for name, t in policy_thresholds(thresholds, labels).items()}


def results_table(metrics: dict[str, dict[str, dict[str, float]]]) -> pd.DataFrame:
    """One row per split and threshold policy, the headline metrics as columns."""
    rows = [{"split": split, "policy": policy, **values} for split, by_policy in metrics.items()
            for policy, values in by_policy.items()]
    return pd.DataFrame(rows)


def evaluate_checkpoint(
    folder: str | os.PathLike | Checkpoint, data_dir: str | os.PathLike | None = None,
    max_eval_samples: int | None = None, batch_size: int = 64, device: str | None = None,
) -> dict:
    """Write probabilities, thresholds, metrics, the per-class and results tables and the model card
    into the checkpoint, and return the metrics."""
    checkpoint = Checkpoint.open(folder)
    classifier = EmotionClassifier(checkpoint, device=device, batch_size=batch_size, backend=REFERENCE)
    labels = checkpoint.labels
    probs, gold = {}, {}
    for split in ("dev", "test"):
        data = load_split(split, data_dir, max_eval_samples)
        probs[split] = classifier.predict_probabilities(data["text"])
        gold[split] = multi_hot(data["labels"], len(labels))
        checkpoint.save_probabilities(split, data["id"], probs[split])

    report = tune(probs["dev"], gold["dev"], labels)
    checkpoint.save_tuning(report)
    metrics = {split: score_policies(probs[split], gold[split], report.thresholds, labels) for split in probs}
    per_class = per_class_table(probs["test"], gold["test"], labels, report.thresholds.array(labels))
    checkpoint.save_evaluation(metrics, per_class.round(4), results_table(metrics).round(4))
    try:
        train_counts = label_counts("train", data_dir, len(labels))
    except DataError:
        train_counts = None
    write_model_card(checkpoint, train_counts)
    return metrics


def finish(
    folder: str | os.PathLike, data_dir: str | os.PathLike | None = None, max_samples: int | None = None,
    choose_backend: bool = True, compare_teacher: bool = True,
) -> list[str]:
    """The optional steps after evaluation, on the dev split (or its first ``max_samples`` comments):
    the backend choice, and a student's comparison with its teacher. Returns a warning for each that failed."""

    checkpoint = Checkpoint.open(folder)
    data = f" --data_dir {data_dir}" if data_dir else ""
    steps = []
    if choose_backend and not checkpoint.members:  # an ensemble's members have their own backends
        steps.append(("Choosing the default backend", lambda dev, y: backend_choice.describe(
            backend_choice.choose_backend(checkpoint, dev["text"], y)), " and serves on the torch backend",
            f"python scripts/choose_backend.py --checkpoint {folder}{data}"))
    if compare_teacher and checkpoint.teacher:
        steps.append(("Comparing the student with its teacher", lambda dev, y: distill.describe(
            distill.compare_to_teacher(checkpoint, checkpoint.teacher, dev["id"], y, F1_TOLERANCE)), "",
            f"python train_model.py --eval_only {folder}{data}"))
    warnings, dev = [], None
    for what, step, meanwhile, rerun in steps:
        try:
            dev = dev if dev is not None else load_split("dev", data_dir, max_samples)
            log.info("%s", step(dev, multi_hot(dev["labels"], len(checkpoint.labels))))
        except (EmotionError, ImportError, OSError) as err:
            # The model is already saved: an optional step costs a warning, never the model.
            warnings.append(f"{what} failed: {str(err).rstrip('.')}. {folder} is complete{meanwhile}; rerun this step "
                            f"with `{rerun}`.")
            log.warning("%s", warnings[-1])
    return warnings


def format_summary(metrics: dict) -> str:
    table = results_table(metrics)[["split", "policy", *SUMMARY_NAMES]]
    return table.to_string(index=False, float_format=lambda v: f"{v:.4f}")


def chance_warning(metrics: dict, y_dev: np.ndarray) -> str | None:
    """A warning when the dev macro F1 (per-class thresholds) is under twice what predicting every label
    for every comment scores (2p / (1 + p) per label): such a model is a smoke test, not a usable one."""
    prevalence = np.asarray(y_dev, dtype=np.float64).mean(0)
    trivial = float(np.mean(2 * prevalence / (1 + prevalence)))
    macro = metrics.get("dev", {}).get("per_class_tuned", {}).get("macro_f1")
    if macro is None or macro >= 2 * trivial:
        return None
    return (f"This model is near chance: dev macro F1 {macro:.4f}, where predicting every label for every comment "
            f"scores {trivial:.4f}. It is fine as a smoke test, not for use: train on the whole train split for the "
            "preset's epochs (drop --max_train_samples and --num_train_epochs).")
