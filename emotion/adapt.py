"""Carry the model to another platform: re-tune the thresholds of the labels a small labelled sample
covers, nothing retrained, and keep the result as a threshold profile.

Emotions rare on Reddit can be common elsewhere (anger in a third of tweets), so the thresholds tuned
on Reddit sit too high there. Each covered label's best threshold on the sample is shrunk toward the
checkpoint's, ``t = (n * t_sample + k * t_checkpoint) / (n + k)`` with ``n`` the label's positives in
the sample and ``k`` chosen by cross-validation on the sample, as the checkpoint's own thresholds are
on dev. The F1 before and after is estimated by cross-validation too (the whole procedure refitted on
each fold), with bootstrap intervals: the sample that tunes the thresholds never grades them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import EmotionError
from .metrics import bootstrap_f1, confusion_counts, f1_from_counts
from .files import TableError, read_table, write_json
from .thresholds import Thresholds, cross_validate_strength, resolve, shrink, tune_per_class_raw

MIN_ROWS = 20  # fewer rows cannot tune, nor grade, anything
MIN_POSITIVES = 3  # a label with fewer positives keeps the checkpoint's threshold
FEW_POSITIVES = 10  # a label with fewer positives is tuned, with a warning
FOLDS = 5
READERS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}


class AdaptError(EmotionError, ValueError):
    """The labelled sample cannot be used; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Sample:
    """A labelled sample from the new platform: ``y_true`` (N, C) over the ``covered`` labels only."""

    texts: list[str]
    y_true: np.ndarray
    covered: list[str]
    name: str


def read_labelled(path: Path) -> pd.DataFrame:
    """A labelled sample (.csv, .tsv, .jsonl or .parquet) as a frame; a clear error for anything else."""
    try:
        return read_table(path, ("csv", "tsv", "jsonl", "parquet"))
    except TableError as err:
        raise AdaptError(str(err)) from None


def read_sample(path: str | os.PathLike, labels: list[str], covered: list[str] | None = None) -> Sample:
    """A labelled file: a ``text`` column and either one 0/1 column per covered label (named as our
    labels) or a ``labels`` column of comma-separated names plus ``covered``, the labels the sample
    was labelled for (a label it does not cover is unknown there, not absent)."""
    path = Path(path)
    frame = read_labelled(path)
    if "text" not in frame.columns:
        raise AdaptError(f"{path.name} has no `text` column; its columns are: {', '.join(map(str, frame.columns))}.")
    unknown = sorted(set(covered or []) - set(labels))
    if unknown:
        raise AdaptError(f"Unknown label names: {', '.join(unknown)}. The model's labels are: {', '.join(labels)}.")
    if "labels" in frame.columns:
        if not covered:
            raise AdaptError("A `labels` column needs the labels the sample covers (--labels anger,joy,...): a "
                             "label nobody looked for is unknown in the sample, not absent.")
        names = [[n.strip() for n in str(cell).split(",") if n.strip()] for cell in frame["labels"]]
        outside = sorted({n for row in names for n in row} - set(covered))
        if outside:
            raise AdaptError(f"The `labels` column names labels the sample does not cover: {', '.join(outside)}. "
                             f"Add them to the covered labels, or remove them (covered: {', '.join(covered)}).")
        y = np.array([[name in row for name in covered] for row in names], dtype=int).reshape(len(frame), len(covered))
    else:
        columns = [c for c in frame.columns if c in labels and (not covered or c in covered)]
        if not columns:
            raise AdaptError(f"{path.name} has neither a `labels` column nor a 0/1 column named as one of the "
                             f"model's labels ({', '.join(labels)}).")
        values = frame[columns].astype(str).apply(lambda col: col.str.strip())
        bad = [c for c in columns if not values[c].isin(["0", "1"]).all()]
        if bad:
            raise AdaptError(f"Label columns must hold 0 or 1; these hold other values: {', '.join(bad)}.")
        covered = [label for label in labels if label in columns]  # the model's order
        y = values[covered].astype(int).to_numpy()
    texts = frame["text"].astype(str).tolist()
    empty = sum(not t.strip() for t in texts)
    if empty:
        raise AdaptError(f"{empty} row(s) of {path.name} have an empty `text`; remove them and try again.")
    if len(texts) < MIN_ROWS:
        raise AdaptError(f"{path.name} has {len(texts)} rows; at least {MIN_ROWS} labelled comments are needed "
                         "(about 100 give most of the gain).")
    return Sample(texts, y, list(covered), path.stem)


def _fit(probs: np.ndarray, y: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The shrunk thresholds of one fit: labels with too few positives keep ``prior``."""
    folds = min(FOLDS, len(probs))
    cv = cross_validate_strength(probs, y, folds=folds, prior=prior)
    strength = max(cv, key=lambda k: (cv[k], k))  # ties go to the stronger shrinkage
    support = y.sum(0)
    tuned = shrink(tune_per_class_raw(probs, y), support, prior, strength)
    return np.where(support >= MIN_POSITIVES, tuned, prior)


def out_of_sample_predictions(probs: np.ndarray, y: np.ndarray, prior: np.ndarray, seed: int = 1) -> np.ndarray:
    """Each row's decisions from thresholds fitted without it (the whole procedure, per fold)."""
    order = np.random.default_rng(seed).permutation(len(probs))
    pred = np.zeros_like(y, dtype=bool)
    for held in np.array_split(order, FOLDS):
        fit = np.setdiff1d(order, held)
        pred[held] = probs[held] >= _fit(probs[fit], y[fit], prior)
    return pred


@dataclass(frozen=True)
class Profile:
    """Per-label thresholds tuned for a platform, what they came from and what they gained."""

    name: str
    thresholds: Thresholds  # every label: the covered ones re-tuned, the others the checkpoint's
    covered: list[str]
    report: pd.DataFrame  # per covered label: positives, thresholds and cross-validated F1 before / after
    summary: dict  # macro F1 before / after with 95% intervals, sample size and hash, warnings, date

    def to_dict(self) -> dict:
        return {**self.thresholds.to_dict(), "name": self.name,
                "profile": {**self.summary, "covered": self.covered, "labels": self.report.to_dict("records")}}

    def save(self, path: str | os.PathLike) -> Path:
        write_json(path, self.to_dict())
        return Path(path)


def adapt(probs: np.ndarray, sample: Sample, labels: list[str], checkpoint: Thresholds | None,
          source: str = "") -> Profile:
    """A profile from the sample's probabilities (N, L over all ``labels``) and the checkpoint's thresholds
    (None: it has none, so 0.5 for every label, as ``thresholds.resolve`` answers)."""
    columns = [labels.index(name) for name in sample.covered]
    p, y = np.asarray(probs)[:, columns], sample.y_true.astype(bool)
    current = resolve(None, checkpoint, labels)
    prior = current[columns]
    tuned = _fit(p, y, prior)
    before, after = p >= prior, out_of_sample_predictions(p, y, prior)
    f1_before, f1_after = (f1_from_counts(*confusion_counts(pred, y)) for pred in (before, after))
    boot_before, boot_after = bootstrap_f1(y, [before, after])

    def interval(samples: np.ndarray) -> np.ndarray:  # (2,) or (2, labels): the 95% bootstrap interval
        return np.percentile(samples, [2.5, 97.5], axis=0).round(4)

    support = y.sum(0)
    report = pd.DataFrame({"label": sample.covered,  # adapt_tab.REPORT_COLUMNS
                           "positives": support.astype(int),
                           "threshold_before": prior.round(4), "threshold_after": tuned.round(4),
                           "f1_before": f1_before.round(4),
                           "f1_before_95": [f"{lo:.2f}-{hi:.2f}" for lo, hi in zip(*interval(boot_before))],
                           "f1_after_cv": f1_after.round(4),
                           "f1_after_95": [f"{lo:.2f}-{hi:.2f}" for lo, hi in zip(*interval(boot_after))]})
    (low_b, high_b), (low_a, high_a) = interval(boot_before.mean(1)).tolist(), interval(boot_after.mean(1)).tolist()
    low_d, high_d = interval(boot_after.mean(1) - boot_before.mean(1)).tolist()
    warnings = [f"{name}: {n} positive(s), fewer than {MIN_POSITIVES}; kept the checkpoint's threshold"
                if n < MIN_POSITIVES else f"{name}: only {n} positives; its threshold is uncertain"
                for name, n in zip(sample.covered, support) if n < FEW_POSITIVES]
    per_class = {**dict(zip(labels, current.tolist())),
                 **{name: float(t) for name, t in zip(sample.covered, tuned.round(4))}}
    summary = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "checkpoint": source,
        "sample": {"rows": len(sample.texts), "positives": dict(zip(sample.covered, support.astype(int).tolist())),
                   "texts_sha256": hashlib.sha256("\n".join(sample.texts).encode()).hexdigest()},
        "macro_f1_before": round(float(f1_before.mean()), 4), "macro_f1_before_95": [round(low_b, 4), round(high_b, 4)],
        "macro_f1_after_cv": round(float(f1_after.mean()), 4), "macro_f1_after_95": [round(low_a, 4), round(high_a, 4)],
        "gain_95": [round(low_d, 4), round(high_d, 4)],
        "method": f"per covered label, the sample's best-F1 threshold shrunk toward the checkpoint's by n/(n+k), "
                  f"k by {FOLDS}-fold CV on the sample; F1 after by {FOLDS}-fold CV of the whole procedure",
        "warnings": warnings,
    }
    base = checkpoint.global_threshold if checkpoint is not None else 0.5
    return Profile(sample.name, Thresholds(base, per_class, sample.name), sample.covered,
                   report, summary)
