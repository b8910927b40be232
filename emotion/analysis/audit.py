"""Which labels in the data are likely wrong: cleanlab's multi-label label-quality audit.

cleanlab needs probabilities that did not see the comment's own label. On dev and test the model's
stored probabilities are out-of-sample already; on train they come from a 5-fold logistic regression
on the model's cached embeddings of the training comments (``similar.Index``). Results are keyed by
comment id and hold no text and no gold label: the data stay in the data folder.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from ..checkpoint import Audit
from ..data import labelled_split, load_test_set, multi_hot
from .similar import Index

log = logging.getLogger(__name__)
SOURCES = {"train": "5-fold logistic regression on the model's embeddings (out-of-sample)",
           "dev": "the model's own probabilities (it never trained on dev)",
           "test": "the model's own probabilities (it never trained on test)"}
WRONG, MISSING = "given, likely wrong", "missing, likely right"


def out_of_sample(vectors: np.ndarray, y_true: np.ndarray, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Probabilities of each label for each row from a logistic regression that never saw that row."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    out = np.zeros(y_true.shape, dtype=np.float32)
    for train, held in KFold(folds, shuffle=True, random_state=seed).split(vectors):
        for j in range(y_true.shape[1]):
            if y_true[train, j].min() == y_true[train, j].max():  # a label absent from the fold
                out[held, j] = y_true[train, j][0]
                continue
            model = LogisticRegression(C=1.0, max_iter=300).fit(vectors[train], y_true[train, j])
            out[held, j] = model.predict_proba(vectors[held])[:, 1]
    return out


def audit_split(split: str, ids: list[str], label_lists: list[list[int]], probs: np.ndarray,
                names: list[str]) -> Audit:
    """cleanlab's verdicts for one split. ``label_lists``: integer label ids (cleanlab sorts string
    classes, so names would scramble the columns)."""
    from cleanlab.multilabel_classification.dataset import rank_classes_by_multilabel_quality
    from cleanlab.multilabel_classification.filter import find_label_issues, find_multilabel_issues_per_class
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    probs = np.clip(probs.astype(np.float64), 1e-6, 1 - 1e-6)
    quality = get_label_quality_scores(label_lists, probs)
    issue = find_label_issues(label_lists, probs)
    per_class = np.asarray(find_multilabel_issues_per_class(label_lists, probs))  # (N, K): each label's verdict
    y = multi_hot(label_lists, len(names)).astype(bool)
    # The suspect label: of the labels cleanlab doubts for a comment, the one its probability contradicts most.
    doubt = np.where(per_class, np.abs(y - probs), -1.0)
    suspect = doubt.argmax(1)
    has = doubt.max(1) >= 0
    comments = pd.DataFrame({
        "id": ids, "split": split, "quality": quality.round(4), "issue": issue,
        "suspect": np.where(has, np.asarray(names, dtype=object)[suspect], ""),
        "suspect_kind": np.where(has, np.where(y[np.arange(len(ids)), suspect], WRONG, MISSING), ""),
    }).sort_values("quality", kind="stable", ignore_index=True)
    ranked = rank_classes_by_multilabel_quality(label_lists, probs, class_names=list(names))
    ranked.insert(0, "split", split)
    wrong, missing = (per_class & y).astype(np.int64), (per_class & ~y).astype(np.int64)
    counts = wrong.T @ missing  # (K, K): comments where label a looks wrong and b looks missing
    a, b = np.nonzero(counts)
    pairs = pd.DataFrame({"split": split, "given_likely_wrong": np.asarray(names)[a], "missing_likely_right": np.asarray(names)[b],
                          "comments": counts[a, b]}).sort_values("comments", ascending=False, kind="stable", ignore_index=True)
    return Audit(comments, ranked.rename(columns=str.lower).rename(columns=lambda c: c.replace(" ", "_")), pairs)


def combine(parts: list[Audit]) -> Audit:
    return Audit(*(pd.concat([getattr(p, name) for p in parts], ignore_index=True)
                   for name in ("comments", "labels", "pairs")))


def build(classifier, data_dir: str | None, splits: tuple[str, ...] = ("train", "dev", "test")) -> tuple[Audit, dict]:
    """The audit of ``splits`` for ``classifier``'s checkpoint, and how long each part took (seconds)."""
    parts, seconds = [], {}
    for split in splits:
        # Train has no stored probabilities (the model learnt it): it is judged out-of-sample below.
        data = (labelled_split(split, data_dir, len(classifier.labels)) if split == "train"
                else load_test_set(data_dir, classifier.checkpoint, split))
        ids, label_lists = data.ids, data.label_ids
        started = time.perf_counter()
        if split == "train":
            index = Index.load_or_build(classifier, ids, data.texts)
            seconds["train embeddings"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            probs = out_of_sample(index.vectors, data.y_true.astype(np.int64))
            seconds["train out-of-sample probabilities"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
        else:
            probs = data.probs
        log.info("Auditing the labels of %d %s comments", len(ids), split)
        parts.append(audit_split(split, ids, label_lists, probs, classifier.labels))
        seconds[f"{split} audit"] = round(time.perf_counter() - started, 1)
    return combine(parts), seconds
