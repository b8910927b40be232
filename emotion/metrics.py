"""Multi-label metrics on arrays: ``probs`` (N, L) and multi-hot ``y_true`` (N, L) in, tables out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, hamming_loss, precision_recall_fscore_support

# The headline figures of a results table, with their short names.
SUMMARY_NAMES = {"micro_f1": "micro F1", "macro_f1": "macro F1", "weighted_f1": "weighted F1",
                 "micro_precision": "micro P", "micro_recall": "micro R"}
ThresholdValues = float | Sequence[float] | np.ndarray  # a scalar for every label, or one per label


def check_shapes(probs: np.ndarray, y_true: np.ndarray, min_labels: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``min_labels``: scikit-learn's multi-label averages need two columns; counting needs one."""
    probs, y_true = np.asarray(probs, dtype=np.float64), np.asarray(y_true)
    if probs.ndim != 2 or probs.shape != y_true.shape:
        raise ValueError(
            f"probs and y_true must both be (N, num_labels); got {probs.shape} and {y_true.shape}."
        )
    if probs.shape[1] < min_labels:
        raise ValueError(f"These metrics need at least {min_labels} labels; got {probs.shape[1]}.")
    return probs, y_true.astype(int)


def binarize(probs: np.ndarray, thresholds: ThresholdValues) -> np.ndarray:
    """Predict label j where probs[:, j] >= threshold j (a scalar applies to every label)."""
    probs = np.asarray(probs)
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim not in (0, 1) or (t.ndim == 1 and t.shape[0] != probs.shape[-1]):
        raise ValueError(f"thresholds must be a scalar or one per label ({probs.shape[-1]}); got shape {t.shape}.")
    return (probs >= t).astype(int)


def cv_folds(n: int, k: int = 5, seed: int = 0,
             strata: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The one way folds are drawn for cross-validation: ``k`` (fit rows, held-out rows) pairs over ``n`` rows,
    by a seeded permutation cut into ``k`` parts. ``strata`` (one class per row): stratified instead, each
    class spread over the folds (a head's rare positives; scikit-learn's ``StratifiedKFold``). Threshold
    tuning, heads and the grading of both draw from here, so equal arguments give equal rows."""
    if strata is not None:
        from sklearn.model_selection import StratifiedKFold

        return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(n), strata))
    everything = np.arange(n)
    return [(np.setdiff1d(everything, held), held)
            for held in np.array_split(np.random.default_rng(seed).permutation(n), k)]


def confusion_counts(pred: np.ndarray, gold: np.ndarray, axis: int = 0,
                     weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives and false negatives of boolean decisions, summed over ``axis``:
    the one place the project counts them (threshold tuning, sweeps, bootstrap intervals). ``weights``:
    one per comment (along ``axis``), e.g. inverse inclusion probabilities of a stratified sample."""
    pred, gold = np.asarray(pred, dtype=bool), np.asarray(gold, dtype=bool)
    if weights is None:
        return (pred & gold).sum(axis), (pred & ~gold).sum(axis), (~pred & gold).sum(axis)
    shape = [1] * np.broadcast(pred, gold).ndim
    shape[axis] = -1
    w = np.asarray(weights, dtype=np.float64).reshape(shape)
    return ((pred & gold) * w).sum(axis), ((pred & ~gold) * w).sum(axis), ((~pred & gold) * w).sum(axis)


def f1_from_counts(tp, fp, fn) -> np.ndarray:
    """F1 = 2tp / (2tp + fp + fn), 0 where a class has neither gold nor predicted positives."""
    tp, fp, fn = np.asarray(tp), np.asarray(fp), np.asarray(fn)
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros(np.shape(tp), dtype=float), where=denom > 0)


def compute_metrics(probs: np.ndarray, y_true: np.ndarray, thresholds: ThresholdValues = 0.5) -> dict[str, float]:
    """Micro / macro / weighted / samples F1, precision, recall, subset accuracy, hamming loss."""
    probs, y_true = check_shapes(probs, y_true)
    y_pred = binarize(probs, thresholds)
    out: dict[str, float] = {}
    for average in ("micro", "macro", "weighted", "samples"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        out[f"{average}_f1"] = float(f)
        out[f"{average}_precision"] = float(p)
        out[f"{average}_recall"] = float(r)
    out["subset_accuracy"] = float(accuracy_score(y_true, y_pred))
    out["hamming_loss"] = float(hamming_loss(y_true, y_pred))
    out["labels_per_comment_true"] = float(y_true.sum(1).mean())
    out["labels_per_comment_pred"] = float(y_pred.sum(1).mean())
    return out


def per_class_table(
    probs: np.ndarray, y_true: np.ndarray, label_names: Sequence[str], thresholds: ThresholdValues = 0.5
) -> pd.DataFrame:
    """One row per label: threshold, precision, recall, F1, support (gold positives), predicted count."""
    probs, y_true = check_shapes(probs, y_true)
    if len(label_names) != probs.shape[1]:
        raise ValueError(f"{len(label_names)} label names for {probs.shape[1]} probability columns.")
    y_pred = binarize(probs, thresholds)
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    return pd.DataFrame(
        {
            "label": list(label_names),
            "threshold": np.broadcast_to(np.asarray(thresholds, dtype=float), (probs.shape[1],)).round(4),
            "precision": p,
            "recall": r,
            "f1": f,
            "support": support.astype(int),
            "predicted": y_pred.sum(0).astype(int),
        }
    )


def interval95(samples: np.ndarray) -> np.ndarray:
    """The 95% percentile interval of bootstrap ``samples`` (resamples first): (2,) or (2, ...)."""
    return np.percentile(samples, [2.5, 97.5], axis=0)


def bootstrap_counts(y_true: np.ndarray, preds: list[np.ndarray], resamples: int = 2000, seed: int = 0,
                     sample_weights: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per-label (tp, fp, fn) of each set of decisions on the same resampled comments (paired): (resamples,
    L) each. The one bootstrap of the project: F1 per label, macro (row means) and micro (row sums) come
    from these. ``sample_weights``: one per comment (a weighted sample's inverse inclusion probabilities)."""
    y_true = np.asarray(y_true, dtype=bool)
    weights = np.random.default_rng(seed).multinomial(len(y_true), np.full(len(y_true), 1 / len(y_true)), resamples)
    # float32 sums counts exactly up to 2**24 and halves the matrix products' time against float64.
    weights = weights.astype(np.float32) if sample_weights is None else \
        weights * np.asarray(sample_weights, dtype=np.float64)[None, :]

    def counts(pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # each resample weighs each comment
        pred = np.asarray(pred, dtype=bool)
        per_comment = (pred & y_true, pred & ~y_true, ~pred & y_true)
        return tuple(weights @ c.astype(weights.dtype) for c in per_comment)

    return [counts(pred) for pred in preds]


def micro_f1_difference_interval(
    y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, resamples: int = 2000, seed: int = 0,
) -> tuple[float, float]:
    """95% paired-bootstrap interval of micro F1(a) - micro F1(b): both models are scored on the
    same resampled comments, so the interval reflects how much the split's sample can tell them apart."""
    (ta, fa, na), (tb, fb, nb) = bootstrap_counts(y_true, [pred_a, pred_b], resamples, seed)
    low, high = interval95(f1_from_counts(ta.sum(1), fa.sum(1), na.sum(1)) - f1_from_counts(tb.sum(1), fb.sum(1), nb.sum(1)))
    return float(low), float(high)


def bootstrap_f1(y_true: np.ndarray, preds: list[np.ndarray], resamples: int = 2000, seed: int = 0,
                 sample_weights: np.ndarray | None = None) -> list[np.ndarray]:
    """Per-label F1 of each set of decisions on the same resampled comments (paired): (resamples, L) each.
    Percentiles of a column give a label's 95% interval; of the row means, macro F1's."""
    return [f1_from_counts(*c) for c in bootstrap_counts(y_true, preds, resamples, seed, sample_weights)]
