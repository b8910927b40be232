"""Evaluate a saved checkpoint: dev/test probabilities, thresholds tuned on dev, metrics tables.

Used at the end of training and by ``train_model.py --eval_only``. Thresholds are tuned on dev
only; test is scored once with them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import checkpoint as ckpt
from .card import write_model_card
from .data import DataError, load_split, multi_hot
from .metrics import compute_metrics, per_class_table
from .predict import EmotionClassifier
from .thresholds import Thresholds, tune

POLICIES = ("global_0.5", "global_tuned", "per_class_tuned")
SUMMARY = ("micro_f1", "macro_f1", "weighted_f1", "micro_precision", "micro_recall")



def policy_thresholds(thresholds: Thresholds, labels: list[str]) -> dict[str, float | np.ndarray]:
    return {
        "global_0.5": 0.5,
        "global_tuned": thresholds.global_threshold,
        "per_class_tuned": thresholds.array(labels),
    }


def score_policies(probs: np.ndarray, y_true: np.ndarray, thresholds: Thresholds, labels: list[str]) -> dict:
    return {name: compute_metrics(probs, y_true, t) for name, t in policy_thresholds(thresholds, labels).items()}


def results_table(metrics: dict[str, dict[str, dict[str, float]]]) -> pd.DataFrame:
    """One row per split and threshold policy, the headline metrics as columns."""
    rows = [{"split": split, "policy": policy, **values} for split, by_policy in metrics.items()
            for policy, values in by_policy.items()]
    return pd.DataFrame(rows)


def evaluate_checkpoint(
    folder: str | os.PathLike, data_dir: str | os.PathLike | None = None,
    max_eval_samples: int | None = None, batch_size: int = 64, device: str | None = None,
) -> dict:
    """Write probabilities, thresholds.json, metrics.json, per_class.csv and training_results.csv
    into ``folder`` and return the metrics."""
    folder = Path(folder)
    classifier = EmotionClassifier(folder, device=device, batch_size=batch_size, backend="torch")
    labels = classifier.labels
    probs, gold = {}, {}
    fingerprint = ckpt.weights_fingerprint(folder)
    for split in ("dev", "test"):
        data = load_split(split, data_dir)
        if max_eval_samples:
            data = data.select(range(min(max_eval_samples, len(data))))
        probs[split] = classifier.predict_probabilities(data["text"])
        gold[split] = multi_hot(data["labels"], len(labels))
        ckpt.save_probabilities(folder / ckpt.probabilities_file(split), data["id"], probs[split], labels, fingerprint)

    report = tune(probs["dev"], gold["dev"], labels)
    report.thresholds.save(folder / ckpt.THRESHOLDS)
    ckpt.write_json(folder / ckpt.THRESHOLD_TUNING, report.to_dict())
    metrics = {split: score_policies(probs[split], gold[split], report.thresholds, labels) for split in probs}
    ckpt.write_json(folder / ckpt.METRICS, metrics)
    per_class_table(probs["test"], gold["test"], labels, report.thresholds.array(labels)).round(4).to_csv(
        folder / ckpt.PER_CLASS, index=False
    )
    results_table(metrics).round(4).to_csv(folder / ckpt.RESULTS, index=False)
    try:
        train_counts = multi_hot(load_split("train", data_dir)["labels"], len(labels)).sum(0)
    except DataError:
        train_counts = None
    write_model_card(folder, train_counts)
    return metrics


def format_summary(metrics: dict) -> str:
    table = results_table(metrics)[["split", "policy", *SUMMARY]]
    return table.to_string(index=False, float_format=lambda v: f"{v:.4f}")
