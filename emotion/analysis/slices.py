"""Slices of a test set and their metrics: built-in slices computed from the text alone, and the
headline metrics of any set of rows with bootstrap intervals, next to the whole set's.

A slice found in the test set is not a random sample of anything: "questions" here are Reddit's
questions as GoEmotions sampled them. Its figures say how the model does on those comments; a slice
with fewer than ``MIN_ROWS`` comments is flagged as too small for a stable figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..metrics import bootstrap_counts, confusion_counts, f1_from_counts, interval95

MIN_ROWS = 100  # fewer comments give an interval too wide to rank a slice by
RESAMPLES = 500  # enough for an interval read to two decimals; a slice table recomputes in a blink

EMOJI = re.compile("[\U0001F300-\U0001FAFF\U00002600-\U000027BF\U0001F000-\U0001F2FF\u2B50\u2764]")
NEGATION = re.compile(r"\b(not|no|never|nothing|nobody|none|nor|neither|cannot|without)\b|n't\b", re.I)
# Ours, short and mild-to-strong; matched as whole words (so "class" is not "ass").
PROFANITY = re.compile(r"\b(fuck\w*|shit\w*|damn\w*|hell|ass|asshole\w*|bitch\w*|crap\w*|bastard\w*|dick\w*|"
                       r"piss\w*|wtf|stfu|bullshit)\b", re.I)
CAPS = re.compile(r"\b(?!NAME\b|RELIGION\b)[A-Z]{3,}\b")  # a shouted word; GoEmotions' [NAME] placeholders are not
LINK = re.compile(r"https?://|www\.|\b/?r/\w+|\.com\b", re.I)
SECOND_PERSON = re.compile(r"\b(you|your|yours|yourself|you're|youre|ya|u|ur)\b", re.I)


def word_count(text: str) -> int:
    return len(text.split())


# Each built-in slice: a name and a rule on one comment's text.
TEXT_SLICES: dict[str, Callable[[str], bool]] = {
    "short (1-5 words)": lambda t: word_count(t) <= 5,
    "medium (6-20 words)": lambda t: 6 <= word_count(t) <= 20,
    "long (21+ words)": lambda t: word_count(t) >= 21,
    "question": lambda t: "?" in t,
    "emoji": lambda t: bool(EMOJI.search(t)),
    "negation": lambda t: bool(NEGATION.search(t)),
    "profanity": lambda t: bool(PROFANITY.search(t)),
    "all-caps word": lambda t: bool(CAPS.search(t)),
    "link or subreddit": lambda t: bool(LINK.search(t)),
    "second person (you)": lambda t: bool(SECOND_PERSON.search(t)),
}
MISLABELLED = "likely mislabelled (label audit)"


def text_slices(texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Every built-in text slice as a boolean mask over ``texts``."""
    return {name: np.fromiter((rule(t) for t in texts), dtype=bool, count=len(texts)) for name, rule in TEXT_SLICES.items()}


def test_slices(checkpoint, ids: Sequence[str], texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The built-in slices of a test set: the text slices, and the comments the checkpoint's label audit
    flags as likely mislabelled (when it has an audit)."""
    found = text_slices(texts)
    audit, _ = checkpoint.audit() if checkpoint is not None else (None, "")
    if audit is not None:
        flagged = set(audit.comments.loc[(audit.comments["split"] == "test") & audit.comments["issue"], "id"].astype(str))
        found[MISLABELLED] = np.array([str(i) in flagged for i in ids])
    return found


def headline(y_true: np.ndarray, pred: np.ndarray, rows: np.ndarray | None = None, seed: int = 0) -> dict:
    """Micro and macro F1 of ``rows`` (a mask or indices; None: all), with 95% bootstrap intervals over
    its comments. Macro averages the labels that occur (gold or predicted) in the rows."""
    y, p = np.asarray(y_true, dtype=bool), np.asarray(pred, dtype=bool)
    if rows is not None:
        y, p = y[rows], p[rows]
    n = len(y)
    if n == 0:
        return {"comments": 0, "micro_f1": np.nan, "micro_95": (np.nan, np.nan), "macro_f1": np.nan,
                "macro_95": (np.nan, np.nan)}
    tp, fp, fn = confusion_counts(p, y)
    present = (tp + fp + fn) > 0
    micro = float(f1_from_counts(tp.sum(), fp.sum(), fn.sum()))
    macro = float(f1_from_counts(tp, fp, fn)[present].mean()) if present.any() else np.nan
    (btp, bfp, bfn), = bootstrap_counts(y, [p], RESAMPLES, seed)
    boot_micro = f1_from_counts(btp.sum(1), bfp.sum(1), bfn.sum(1))
    boot_macro = f1_from_counts(btp, bfp, bfn)[:, present].mean(1) if present.any() else np.full(RESAMPLES, np.nan)
    return {"comments": n, "micro_f1": micro, "micro_95": tuple(interval95(boot_micro)),
            "macro_f1": macro, "macro_95": tuple(interval95(boot_macro))}


def slice_table(y_true: np.ndarray, pred: np.ndarray, slices: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every slice's headline metrics with intervals, worst micro F1 first; the whole set is the first row
    of the reference column ``vs_all``."""
    whole = headline(y_true, pred)
    rows = []
    for name, mask in slices.items():
        found = headline(y_true, pred, mask)
        rows.append({"slice": name, "comments": found["comments"],
                     "share": found["comments"] / max(len(y_true), 1),
                     "micro_f1": found["micro_f1"], "micro_95": _band(found["micro_95"]),
                     "vs_all": found["micro_f1"] - whole["micro_f1"],
                     "macro_f1": found["macro_f1"], "macro_95": _band(found["macro_95"]),
                     "note": "" if found["comments"] >= MIN_ROWS else f"fewer than {MIN_ROWS} comments: not stable"})
    table = pd.DataFrame(rows).sort_values(["micro_f1"], kind="stable", na_position="last")
    top = pd.DataFrame([{"slice": "all test comments", "comments": whole["comments"], "share": 1.0,
                         "micro_f1": whole["micro_f1"], "micro_95": _band(whole["micro_95"]), "vs_all": 0.0,
                         "macro_f1": whole["macro_f1"], "macro_95": _band(whole["macro_95"]), "note": ""}])
    return pd.concat([top, table], ignore_index=True).round({"share": 3, "micro_f1": 4, "vs_all": 4, "macro_f1": 4})


def _band(interval: tuple[float, float]) -> str:
    low, high = interval
    return "" if np.isnan(low) else f"{low:.3f}-{high:.3f}"
