"""Error analysis and threshold-dependent tables on arrays; no model needed.

Inputs are ``probs`` (N, L), multi-hot ``y_true`` (N, L) and thresholds (a scalar or one per label).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve

from ..metrics import binarize, check_shapes, confusion_counts, f1_from_counts

OUTCOMES = ("exact", "partial", "missed", "spurious", "wrong", "nothing")
OUTCOME_HELP = {
    "exact": "predicted set equals the gold set",
    "partial": "some gold labels found, some missed, some extra",
    "missed": "every prediction is gold, but a gold label was missed",
    "spurious": "every gold label found, plus extra labels",
    "wrong": "predictions share nothing with the gold labels",
    "nothing": "no label reached its threshold",
}
SWEEP_GRID = np.round(np.arange(0.02, 0.981, 0.02), 2)


def outcomes(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """One of OUTCOMES per example."""
    y_true, y_pred = y_true.astype(bool), y_pred.astype(bool)
    hits = (y_true & y_pred).any(1)
    missed = (y_true & ~y_pred).any(1)
    extra = (~y_true & y_pred).any(1)
    none = ~y_pred.any(1)
    out = np.select(
        [none, ~missed & ~extra, hits & missed & extra, hits & missed, hits & extra],
        ["nothing", "exact", "partial", "missed", "spurious"],
        default="wrong",
    )
    return out.astype(object)


def example_loss(probs: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """Mean binary cross-entropy per example: how wrong the model was, threshold-free."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-7, 1 - 1e-7)
    return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)).mean(1)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """(L, L) comment counts: row A, column B counts the comments whose gold label A was missed while
    B was predicted instead (B not gold). A comment with several misses counts in several cells."""
    missed = (y_true.astype(bool) & ~y_pred.astype(bool)).astype(int)
    spurious = (~y_true.astype(bool) & y_pred.astype(bool)).astype(int)
    return missed.T @ spurious


def matrix_pairs(counts: np.ndarray, label_names: Sequence[str]) -> pd.DataFrame:
    """The non-zero cells of a confusion matrix as (gold, predicted_instead, count), most first."""
    gold, pred = np.nonzero(counts)
    frame = pd.DataFrame({
        "gold": [label_names[i] for i in gold], "predicted_instead": [label_names[j] for j in pred],
        "count": counts[gold, pred].astype(int),
    })
    return frame.sort_values(["count", "gold", "predicted_instead"], ascending=[False, True, True], ignore_index=True)


def threshold_sweep(probs: np.ndarray, y_true: np.ndarray, grid: np.ndarray = SWEEP_GRID) -> pd.DataFrame:
    """Micro / macro F1, micro precision and recall for one global threshold at each grid value."""
    probs, y_true = check_shapes(probs, y_true)
    rows = []
    for t in grid:
        tp, fp, fn = confusion_counts(probs >= t, y_true)
        rows.append({"threshold": float(t), "micro_f1": float(f1_from_counts(tp.sum(), fp.sum(), fn.sum())),
                     "macro_f1": f1_from_counts(tp, fp, fn).mean(),
                     "micro_precision": tp.sum() / max(tp.sum() + fp.sum(), 1),
                     "micro_recall": tp.sum() / max(tp.sum() + fn.sum(), 1)})
    return pd.DataFrame(rows)


def pr_curve(probs: np.ndarray, y_true: np.ndarray, label: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Precision, recall and average precision: micro-averaged over all labels, or for one label."""
    probs, y_true = check_shapes(probs, y_true)
    if label is None:
        scores, gold = probs.ravel(), y_true.ravel()
    else:
        scores, gold = probs[:, label], y_true[:, label]
    if gold.sum() == 0:
        return np.array([1.0]), np.array([0.0]), 0.0
    precision, recall, _ = precision_recall_curve(gold, scores)
    return precision, recall, float(average_precision_score(gold, scores))


def reliability(probs: np.ndarray, y_true: np.ndarray, bins: int = 10) -> tuple[pd.DataFrame, float]:
    """Calibration over every (comment, label) pair: mean confidence vs observed frequency per
    probability bin, and the expected calibration error (bin-weighted |gap|)."""
    probs, y_true = check_shapes(probs, y_true)
    table = _bins(probs.ravel(), y_true.ravel(), bins)
    return table, _ece(table)


def label_ece(probs: np.ndarray, y_true: np.ndarray, bins: int = 10) -> float:
    """The mean of each label's own ECE: the pooled one is dominated by the easy near-zero cells."""
    probs, y_true = check_shapes(probs, y_true)
    return float(np.mean([_ece(_bins(probs[:, j], y_true[:, j], bins)) for j in range(probs.shape[1])]))


def _bins(p: np.ndarray, y: np.ndarray, bins: int) -> pd.DataFrame:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        rows.append({"bin_low": edges[b], "bin_high": edges[b + 1], "count": n,
                     "confidence": float(p[mask].mean()) if n else np.nan,
                     "frequency": float(y[mask].mean()) if n else np.nan})
    return pd.DataFrame(rows)


def _ece(table: pd.DataFrame) -> float:
    filled = table[table["count"] > 0]
    return float((filled["count"] * (filled["confidence"] - filled["frequency"]).abs()).sum()
                 / max(table["count"].sum(), 1))


def labels_per_comment(y_true: np.ndarray, y_pred: np.ndarray) -> pd.DataFrame:
    """How many comments carry 0, 1, 2, ... labels, gold vs predicted."""
    true_n, pred_n = y_true.sum(1).astype(int), y_pred.sum(1).astype(int)
    top = int(max(true_n.max(initial=0), pred_n.max(initial=0)))
    return pd.DataFrame({
        "labels": np.arange(top + 1),
        "true": np.bincount(true_n, minlength=top + 1),
        "predicted": np.bincount(pred_n, minlength=top + 1),
    })


def cooccurrence(multi_hot: np.ndarray) -> np.ndarray:
    """(L, L) counts of comments carrying both labels; the diagonal is each label's count."""
    m = multi_hot.astype(int)
    return m.T @ m


def frequency_vs_f1(train_counts: np.ndarray, f1: np.ndarray) -> float:
    """Pearson correlation of log training frequency with per-class F1."""
    x = np.log10(np.maximum(np.asarray(train_counts, dtype=float), 1))
    if np.std(x) == 0 or np.std(f1) == 0:
        return float("nan")
    return float(np.corrcoef(x, f1)[0, 1])


def error_table(
    ids: Sequence[str], texts: Sequence[str], probs: np.ndarray, y_true: np.ndarray,
    thresholds, label_names: Sequence[str],
) -> pd.DataFrame:
    """One row per example: gold and predicted labels, outcome, loss, top probability; worst first."""
    y_pred = binarize(probs, thresholds)
    names = np.asarray(label_names, dtype=object)

    def joined(matrix: np.ndarray) -> list[str]:
        return [", ".join(names[row.astype(bool)]) for row in matrix]

    frame = pd.DataFrame({
        "id": list(ids), "text": list(texts), "gold": joined(y_true), "predicted": joined(y_pred),
        "outcome": outcomes(y_true, y_pred), "loss": example_loss(probs, y_true).round(4),
        "max_prob": probs.max(1).astype(np.float64).round(3),  # float32 would print 0.593999981880188
    })
    return frame.sort_values("loss", ascending=False, kind="stable", ignore_index=False)
