"""Carry the model to another platform and its own labels: from a small labelled sample, re-tune the
thresholds of the labels of ours it covers, fit a head for a label of its own (or for one of ours
where a head serves better), nothing retrained, and keep the result as a profile.

Emotions rare on Reddit can be common elsewhere (anger in a third of tweets), so the thresholds tuned
on Reddit sit too high there. Each covered label's best threshold on the sample is shrunk toward the
checkpoint's, ``t = (n * t_sample + k * t_checkpoint) / (n + k)`` with ``n`` the label's positives in
the sample and ``k`` chosen by cross-validation on the sample (never below 10: a few positives cannot
move a threshold far). The F1 before and after is estimated by cross-validation too (the whole
procedure refitted on each fold), with bootstrap intervals: the sample that tunes the thresholds never
grades them. A re-tuned threshold that cross-validation cannot show to beat the checkpoint's is not
kept (``Rules``; docs/adapt.md has the study that chose them).

A head (``heads.Head``, fitted by ``heads.fit_head``) is a logistic regression on the model's features
(its logits and pooled embedding), class-balanced, deciding at 0.5; its regularisation is chosen by
cross-validation on the sample, and it is graded by cross-validation of that whole procedure. For a label
of ours, the profile keeps whichever of threshold and head grades better (ties: the threshold); a new
label has only a head, and is left out when that head is no better than calling every comment positive. A
sample drawn with known inclusion probabilities (``sampling``) carries a ``weight`` per comment, and
every count here is weighted by it, so the figures estimate the whole file's. Thresholds and heads are
graded on the same folds (``metrics.cv_folds``, drawn once per fit). The result is a ``profile.Profile``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from ..errors import EmotionError
from .heads import FOLDS, HEAD_POSITIVES, HEAD_THRESHOLD, fit_head, head_predictions
from .profile import MAX_HEADS, FeatureStamp, Profile, check_new_label
from .sampling import WEIGHT
from ..metrics import bootstrap_f1, confusion_counts, cv_folds, f1_from_counts, interval95
from ..files import TableError, read_table
from ..thresholds import Thresholds, cross_validate_strength, resolve, shrink, tune_per_class_raw

MIN_ROWS = 20  # fewer rows cannot tune, nor grade, anything
MIN_POSITIVES = 3  # a label with fewer positives keeps the checkpoint's threshold
FEW_POSITIVES = 10  # a label with fewer positives is tuned, with a warning
ENOUGH_ROWS = 100  # a sample with fewer rows (or a label with fewer than FEW_POSITIVES) is called small
GRADING_SEED = 1  # the folds that grade every option of a fit (thresholds and heads alike)


@dataclass(frozen=True)
class Rules:
    """How much a sample may change (docs/adapt.md, "Few labels"). ``RULES`` is what profiles use;
    ``scripts/heads_study.py`` compares it with ``BEFORE`` (the method until issue 35) and others."""

    # Shrinkage strengths k toward the checkpoint's threshold, chosen by CV; no 0 or 5: a label with n
    # positives moves at most n / (n + 10) of the way to the sample's best threshold.
    shrink: tuple[float, ...] = (10.0, 20.0, 50.0, 100.0, float("inf"))
    threshold_must_beat_checkpoint: bool = True  # else a re-tuned threshold is kept whatever CV says
    # k pulling a head's CV-tuned threshold toward HEAD_THRESHOLD: inf = always 0.5, 0 = CV's own threshold.
    head_threshold_prior: float = float("inf")
    head_must_beat_everything: bool = True  # a new label's head must beat "every comment is positive"


RULES = Rules()
BEFORE = Rules(shrink=(0.0, 5.0, 10.0, 20.0, 50.0, 100.0, float("inf")), threshold_must_beat_checkpoint=False,
               head_threshold_prior=0.0, head_must_beat_everything=False)
NOT_LABELS = {"text", WEIGHT, "id", "labels"}
# A weight is an inverse inclusion probability: at most the size of the file a sample was drawn from. Far
# larger ones (1e308) overflow the weighted counts into inf and nan.
MAX_WEIGHT = 1e9


class AdaptError(EmotionError, ValueError):
    """The labelled sample cannot be used; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Sample:
    """A labelled sample from the new platform: ``y_true`` (N, C) over the ``covered`` labels only (the
    model's, in its order, then the new ones); ``weights``: one per comment, or None (equal)."""

    texts: list[str]
    y_true: np.ndarray
    covered: list[str]
    name: str
    weights: np.ndarray | None = None
    new: tuple[str, ...] = ()


def read_labelled(path: Path) -> pd.DataFrame:
    """A labelled sample (.csv, .tsv, .jsonl or .parquet) as a frame; a clear error for anything else."""
    try:
        return read_table(path, ("csv", "tsv", "jsonl", "parquet"))
    except TableError as err:
        raise AdaptError(str(err)) from None


def read_sample(path: str | os.PathLike, labels: list[str], covered: list[str] | None = None) -> Sample:
    """A labelled file: a ``text`` column and either one 0/1 column per covered label or a ``labels``
    column of comma-separated names plus ``covered``, the labels the sample was labelled for (a label it
    does not cover is unknown there, not absent). A 0/1 column or a covered name that is not one of the
    model's ``labels`` is a new label. Rows whose label cells are all empty are unlabelled and skipped
    (a labelling session's download); an optional ``weight`` column weighs each comment."""
    path = Path(path)
    frame = read_labelled(path)
    if "text" not in frame.columns:
        raise AdaptError(f"{path.name} has no `text` column; its columns are: {', '.join(map(str, frame.columns))}.")
    for name in covered or []:
        why = check_new_label(name, labels)
        if why:
            raise AdaptError(why)
    if "labels" in frame.columns:
        if not covered:
            raise AdaptError("A `labels` column needs the labels the sample covers (--labels anger,joy,...): a "
                             "label nobody looked for is unknown in the sample, not absent.")
        names = [[n.strip() for n in str(cell).split(",") if n.strip()] for cell in frame["labels"].fillna("")]
        outside = sorted({n for row in names for n in row} - set(covered))
        if outside:
            raise AdaptError(f"The `labels` column names labels the sample does not cover: {', '.join(outside)}. "
                             f"Add them to the covered labels, or remove them (covered: {', '.join(covered)}).")
        values = pd.DataFrame([[int(name in row) for name in covered] for row in names], columns=covered,
                              index=frame.index).astype(str)
    else:
        values = _label_columns(frame, labels, covered, path.name)
    answered = values.ne("").any(axis=1).to_numpy()
    partial = values[answered].eq("").any(axis=1)
    if partial.any():
        raise AdaptError(f"Row {int(np.flatnonzero(partial)[0]) + 2} of {path.name} has some label cells empty and "
                         "others filled; give every label of a labelled row 0 or 1.")
    frame, values = frame[answered], values[answered]
    ours = [name for name in labels if name in values.columns]
    new = [name for name in values.columns if name not in labels]
    if len(new) > MAX_HEADS:
        raise AdaptError(f"{len(new)} new labels; a profile holds at most {MAX_HEADS}.")
    covered = ours + new
    y = values[covered].astype(int).to_numpy()
    texts = frame["text"].fillna("").astype(str).tolist()
    empty = sum(not t.strip() for t in texts)
    if empty:
        raise AdaptError(f"{empty} row(s) of {path.name} have an empty `text`; remove them and try again.")
    if len(texts) < MIN_ROWS:
        raise AdaptError(f"{path.name} has {len(texts)} labelled rows; at least {MIN_ROWS} labelled comments are "
                         "needed (about 100 give most of the gain).")
    return Sample(texts, y, covered, path.stem, read_weights(frame, path.name), tuple(new))


def label_cells(frame: pd.DataFrame, columns: list) -> pd.DataFrame:
    """Label cells as "0", "1" or "" (not answered), whatever a reader made of them (1.0, nan, None)."""
    return frame[columns].astype(str).apply(
        lambda col: col.str.strip().replace({"nan": "", "None": "", "1.0": "1", "0.0": "0"}))


def _label_columns(frame: pd.DataFrame, labels: list[str], covered: list[str] | None, name: str) -> pd.DataFrame:
    """The 0/1 label columns as text ("" where unanswered): those named in ``covered``, else every column
    named as one of ours and every other column that holds only 0, 1 or nothing (a new label)."""
    values = label_cells(frame, [c for c in frame.columns if c not in NOT_LABELS])
    binary = [c for c in values.columns if values[c].isin(["0", "1", ""]).all() and values[c].ne("").any()]
    if covered:
        missing = [c for c in covered if c not in values.columns]
        if missing:
            raise AdaptError(f"{name} has no column for: {', '.join(missing)}.")
        columns = list(covered)
    else:
        columns = [c for c in values.columns if c in labels or c in binary]
    if not columns:
        raise AdaptError(f"{name} has neither a `labels` column nor a 0/1 label column (one per label: the "
                         f"model's, e.g. {', '.join(labels[:3])}, or your own).")
    bad = [c for c in columns if c not in binary]
    if bad:
        raise AdaptError(f"Label columns must hold 0 or 1; these hold other values: {', '.join(map(str, bad))}.")
    named = [why for why in (check_new_label(str(c), labels) for c in columns) if why]
    if named:
        raise AdaptError(named[0])
    return values[columns].rename(columns=str)


def read_weights(frame: pd.DataFrame, name: str) -> np.ndarray | None:
    """The ``weight`` column of a labelled file, or None when it has none: the one reader of it, for
    ``adapt.py``, the Adapt tab and a labelling session continued from a download."""
    if WEIGHT not in frame.columns:
        return None
    weights = pd.to_numeric(frame[WEIGHT], errors="coerce").to_numpy(dtype=np.float64)
    if not (np.isfinite(weights).all() and (weights > 0).all() and (weights <= MAX_WEIGHT).all()):
        raise AdaptError(f"The `{WEIGHT}` column of {name} must hold positive numbers up to {MAX_WEIGHT:g} (a "
                         "comment's inverse inclusion probability, as `adapt.py --choose` writes it); remove it for "
                         "equal weights.")
    return weights


def _fit(probs: np.ndarray, y: np.ndarray, prior: np.ndarray, weights: np.ndarray | None = None,
         rules: Rules = RULES) -> np.ndarray:
    """The shrunk thresholds of one fit: labels with too few positives keep ``prior``."""
    folds = min(FOLDS, len(probs))
    cv = cross_validate_strength(probs, y, rules.shrink, folds=folds, prior=prior, weights=weights)
    strength = max(cv, key=lambda k: (cv[k], k))  # ties go to the stronger shrinkage
    support = y.sum(0)
    tuned = shrink(tune_per_class_raw(probs, y, weights=weights), support, prior, strength)
    return np.where(support >= MIN_POSITIVES, tuned, prior)


def out_of_sample_predictions(probs: np.ndarray, y: np.ndarray, prior: np.ndarray,
                              folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
                              weights: np.ndarray | None = None, rules: Rules = RULES) -> np.ndarray:
    """Each row's decisions from thresholds fitted without it (the whole procedure, per fold). ``folds``:
    (fit rows, held-out rows) pairs, those the heads are graded on (default: ``metrics.cv_folds``'s)."""
    pred = np.zeros_like(y, dtype=bool)
    for fit, held in folds if folds is not None else cv_folds(len(probs), FOLDS, GRADING_SEED):
        pred[held] = probs[held] >= _fit(probs[fit], y[fit], prior, None if weights is None else weights[fit], rules)
    return pred


def fit_profile(classifier, sample: Sample) -> Profile:
    """A profile for ``classifier`` (an ``EmotionClassifier`` without a profile) from a labelled sample: one
    forward pass gives the probabilities and, for a single model, the features its heads read. The profile's
    labels start from ``classifier.reference_thresholds``, the checkpoint's own."""
    labels = classifier.checkpoint.labels
    if classifier.members:
        features, probs = None, classifier.predict_probabilities(sample.texts)
    else:
        features = classifier.features(sample.texts)
        probs = expit(features[:, : len(labels)])
    return adapt(probs, sample, labels, classifier.reference_thresholds,
                 source=f"{classifier.name} ({classifier.backend})",
                 features=features, fitted_on=classifier.feature_stamp if features is not None else None)


def adapt(probs: np.ndarray, sample: Sample, labels: list[str], checkpoint: Thresholds | None, source: str = "",
          features: np.ndarray | None = None, fitted_on: FeatureStamp | None = None, rules: Rules = RULES) -> Profile:
    """A profile from the sample's probabilities (N, L over all ``labels``) and the checkpoint's thresholds
    (None: it has none, so 0.5 for every label, as ``thresholds.resolve`` answers). ``features``: the
    model's (N, L + H) features of the sample, for heads (``EmotionClassifier.features``); without them
    only thresholds are tuned. ``fitted_on``: the checkpoint the features are of (``Profile.features``)."""
    ours = [name for name in sample.covered if name in labels]
    if sample.new and features is None:
        raise AdaptError(f"New labels ({', '.join(sample.new)}) need the model's features for their heads; "
                         "an ensemble has none of its own: adapt on one of its members.")
    columns = [labels.index(name) for name in ours]
    y, w = sample.y_true.astype(bool), sample.weights
    current = resolve(None, checkpoint, labels)
    prior = current[columns]
    p = np.asarray(probs)[:, columns]
    n_ours = len(ours)
    tuned = _fit(p, y[:, :n_ours], prior, w, rules) if n_ours else prior  # a sample of new labels only tunes no threshold
    before = np.zeros_like(y)
    before[:, :n_ours] = p >= prior
    by_threshold = np.zeros_like(y)
    grading = cv_folds(len(y), FOLDS, GRADING_SEED)  # thresholds and heads are graded on the same rows
    if n_ours:
        by_threshold[:, :n_ours] = out_of_sample_predictions(p, y[:, :n_ours], prior, grading, w, rules)
    support = y.sum(0)
    by_head, fitted = np.zeros_like(y), {}
    for j, name in enumerate(sample.covered):
        if features is None:
            break
        if min(support[j], len(y) - support[j]) >= HEAD_POSITIVES:
            by_head[:, j] = head_predictions(features, y[:, j], grading, w, rules.head_threshold_prior)
            fitted[name] = fit_head(features, y[:, j], w, threshold_prior=rules.head_threshold_prior)
    counts = {key: f1_from_counts(*confusion_counts(pred, y, weights=w))
              for key, pred in (("before", before), ("threshold", by_threshold), ("head", by_head))}
    # What cross-validation cannot show to beat the checkpoint's threshold is not kept: a sample's noise
    # would otherwise move a threshold as far as 0.01 (issue 35).
    retuned = np.array([not rules.threshold_must_beat_checkpoint or counts["threshold"][j] > counts["before"][j]
                        for j in range(n_ours)], dtype=bool)
    tuned = np.where(retuned, tuned, prior)
    option = by_threshold.copy()  # a label of ours without a head: its threshold, re-tuned or the checkpoint's
    option[:, :n_ours] = np.where(retuned, by_threshold[:, :n_ours], before[:, :n_ours])
    f1_option = f1_from_counts(*confusion_counts(option, y, weights=w))
    share = (y * (1.0 if w is None else w[:, None])).sum(0) / (len(y) if w is None else w.sum())
    f1_everything = 2 * share / (1 + share)  # F1 of calling every comment positive
    served_by = []
    for j, name in enumerate(sample.covered):
        if name in labels:
            served_by.append("head" if name in fitted and counts["head"][j] > f1_option[j]
                             else "threshold" if retuned[j] else "checkpoint")
        else:
            useful = not rules.head_must_beat_everything or counts["head"][j] > f1_everything[j]
            served_by.append("head" if name in fitted and useful else "none")
    served = np.where(np.array(served_by) == "head", by_head, option)
    kept = np.array([s != "none" for s in served_by])
    warnings_ = _notes(sample, support, retuned, counts, f1_everything, fitted, served_by, rules)
    boot = dict(zip(("before", "threshold", "head", "served"),
                    bootstrap_f1(y, [before, by_threshold, by_head, served], sample_weights=w)))
    f1_served = f1_from_counts(*confusion_counts(served, y, weights=w))

    def band(key: str) -> list[str]:
        return [f"{lo:.2f}-{hi:.2f}" for lo, hi in zip(*interval95(boot[key]))]

    blank = ["" if name in sample.new else None for name in sample.covered]
    report = pd.DataFrame({"label": sample.covered,  # adapt_tab.REPORT_COLUMNS
                           "new": ["yes" if name in sample.new else "" for name in sample.covered],
                           "positives": support.astype(int),
                           "served_by": served_by,
                           "threshold_before": [*prior.round(4), *[np.nan] * len(sample.new)],
                           "threshold_after": [*[float(fitted[n].threshold) if served_by[j] == "head" else float(t)
                                                  for j, (n, t) in enumerate(zip(ours, tuned.round(4)))],
                                               *[fitted[n].threshold if n in fitted else np.nan for n in sample.new]],
                           "f1_before": [b if x is None else np.nan for b, x in zip(counts["before"].round(4), blank)],
                           "f1_before_95": [b if x is None else "" for b, x in zip(band("before"), blank)],
                           "f1_threshold_cv": [t if x is None else np.nan for t, x in zip(counts["threshold"].round(4), blank)],
                           "f1_threshold_95": [t if x is None else "" for t, x in zip(band("threshold"), blank)],
                           "f1_head_cv": [h if n in fitted else np.nan for h, n in zip(counts["head"].round(4), sample.covered)],
                           "f1_head_95": [h if n in fitted else "" for h, n in zip(band("head"), sample.covered)],
                           "f1_after_cv": f1_served.round(4),
                           "f1_after_95": band("served")})
    mine = np.arange(n_ours)

    def macro_interval(key: str, columns: np.ndarray, minus: str | None = None) -> list[float]:
        if not columns.size:
            return [None, None]
        samples = boot[key][:, columns].mean(1) - (boot[minus][:, columns].mean(1) if minus else 0)
        return [round(v, 4) for v in interval95(samples).tolist()]

    every = np.flatnonzero(kept)
    heads = {name: fitted[name] for name, by in zip(sample.covered, served_by) if by == "head"}
    per_class = {**dict(zip(labels, current.tolist())),
                 **{name: float(t) for name, t in zip(ours, tuned.round(4))},
                 **{name: head.threshold for name, head in heads.items()}}
    summary = {
        "small_sample": _small_sample(sample, support),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "checkpoint": source,
        "sample": {"rows": len(sample.texts), "positives": dict(zip(sample.covered, support.astype(int).tolist())),
                   "weighted": w is not None,
                   "texts_sha256": hashlib.sha256("\n".join(sample.texts).encode()).hexdigest()},
        "macro_f1_before": round(float(counts["before"][mine].mean()), 4) if n_ours else None,
        "macro_f1_before_95": macro_interval("before", mine),
        "macro_f1_after_cv": round(float(f1_served[mine].mean()), 4) if n_ours else None,
        "macro_f1_after_95": macro_interval("served", mine),
        "gain_95": macro_interval("served", mine, minus="before"),
        "new_labels": [name for name in sample.new if name in heads],
        "macro_f1_all_cv": round(float(f1_served[every].mean()), 4) if every.size else None,
        "macro_f1_all_95": macro_interval("served", every),
        "method": f"per covered label of ours, the sample's best-F1 threshold shrunk toward the checkpoint's by "
                  f"n/(n+k), k >= {min(rules.shrink):g} by {FOLDS}-fold CV on the sample, kept only where its CV F1 "
                  f"beats the checkpoint's threshold; per label with {HEAD_POSITIVES}+ positives, a balanced "
                  f"logistic head on the model's logits and pooled embedding, C by {FOLDS}-fold CV, deciding at "
                  f"{HEAD_THRESHOLD}; a label of ours keeps whichever grades better, a new label's head is kept "
                  f"only where it beats calling every comment positive. F1 by {FOLDS}-fold CV of the whole "
                  "procedure" + ("; every count weighted by the sample's `weight`" if w is not None else ""),
        "warnings": warnings_,
    }
    base = checkpoint.global_threshold if checkpoint is not None else 0.5
    summary |= {"covered": sample.covered, "labels": report.to_dict("records")}
    return Profile(sample.name, Thresholds(base, per_class, sample.name), heads, fitted_on if heads else None, summary)


def _more(n: int) -> int:
    """Positives to add before fitting again: enough for a head, and at least as many again as there are."""
    return max(HEAD_POSITIVES - n, n, 1)


def _notes(sample: Sample, support: np.ndarray, retuned: np.ndarray, counts: dict, f1_everything: np.ndarray,
           fitted: dict, served_by: list[str], rules: Rules) -> list[str]:
    """Per label, in plain words, what the sample was too small or too weak to change."""
    notes, floor = [], min(rules.shrink)
    for j, name in enumerate(sample.covered):
        n, rows = int(support[j]), len(sample.texts)
        if name in sample.new:
            if name not in fitted:
                need = (f"label at least {_more(n)} more comments that carry it" if n < HEAD_POSITIVES else
                        f"label at least {HEAD_POSITIVES - (rows - n)} more comments that do not carry it")
                notes.append(f"{name} (new): {n} positive(s) of {rows}; at least {HEAD_POSITIVES} positives and "
                             f"negatives are needed for a head, so it is left out: {need}")
            elif served_by[j] == "none":
                notes.append(f"{name} (new): its head's cross-validated F1 ({counts['head'][j]:.2f}) is no better "
                             f"than calling every comment {name} ({f1_everything[j]:.2f}), so it is left out: label "
                             f"about {_more(n)} more comments that carry it ({n} now) and fit again")
            continue
        if n < MIN_POSITIVES:
            notes.append(f"{name}: {n} positive(s), fewer than {MIN_POSITIVES}; kept the checkpoint's threshold")
        elif served_by[j] == "head":
            continue  # a head serves it: what became of its threshold is moot
        elif not retuned[j]:
            notes.append(f"{name}: re-tuning its threshold on {n} positives did not beat the checkpoint's in "
                         f"cross-validation (F1 {counts['threshold'][j]:.2f} against {counts['before'][j]:.2f}), so "
                         "it keeps the checkpoint's")
        elif n < FEW_POSITIVES:
            notes.append(f"{name}: only {n} positives; its threshold is uncertain" if floor == 0 else
                         f"{name}: only {n} positives, so its threshold moved at most {n}/{n + floor:g} of the way "
                         "from the checkpoint's toward the sample's best; label more comments that carry it")
    return notes


def _small_sample(sample: Sample, support: np.ndarray) -> str:
    """One plain sentence when the sample is too small to show much; empty when it is not."""
    few = [name for name, n in zip(sample.covered, support) if n < FEW_POSITIVES]
    if len(sample.texts) >= ENOUGH_ROWS and not few:
        return ""
    named = ", ".join(few[:6]) + (f" and {len(few) - 6} more" if len(few) > 6 else "")
    return (f"This sample is too small to show much: {len(sample.texts)} comments"
            + (f", and fewer than {FEW_POSITIVES} positives for {named}" if few else "")
            + ". Where cross-validation could not show a gain, the checkpoint's threshold stays, and a new label "
            "too weak to use is left out; every figure below is rough (see its interval). About "
            f"{ENOUGH_ROWS} comments, with {FEW_POSITIVES} or more positives per label, give most of the gain.")
