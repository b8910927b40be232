"""Which comments of an unlabelled file to label: a sample that covers the file, with known weights.

The file's comments are grouped by the label the model finds most probable (a stratum per label), and
each stratum gets a share of the sample proportional to the square root of its size, at least one
comment: rare strata (the emotions a team most wants to learn) are drawn more often than their share,
common ones less. Within a stratum the draw is uniform without replacement, so each comment's
inclusion probability is known, ``n_h / N_h``, and its ``weight`` is the inverse: weighted counts
estimate the whole file's (``adapt`` weighs every count by it). The sample comes in random order, so
labelling can stop at any point and the answered part is still spread over the strata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmotionError
from ..files import TableError, read_table

WEIGHT = "weight"  # the column of each chosen comment's inverse inclusion probability (adapt reads it)
FORMATS = ("csv", "tsv", "jsonl", "parquet", "txt")


class SamplingError(EmotionError, ValueError):
    """The unlabelled file or the request cannot be used; the message says why and how to fix it."""


@dataclass(frozen=True)
class Choice:
    rows: np.ndarray  # indices into the file, in the order to label them
    weights: np.ndarray  # one per chosen row: its stratum's size over its draws
    strata: np.ndarray  # each chosen row's stratum (the model's top label)


def allocate(sizes: np.ndarray, n: int) -> np.ndarray:
    """Draws per stratum: about ``n * sqrt(N_h) / sum(sqrt(N))``, at least one from each non-empty stratum
    (while ``n`` allows), never more than its size; they sum to ``min(n, sum(sizes))``."""
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(min(n, sizes.sum()))
    draws = np.zeros_like(sizes)
    present = np.flatnonzero(sizes > 0)
    if n >= len(present):
        draws[present] = 1
    else:  # fewer draws than strata: the largest strata get one each
        draws[present[np.argsort(-sizes[present], kind="stable")[:n]]] = 1
    while draws.sum() < n:
        room = sizes - draws
        share = np.sqrt(sizes) * (room > 0)
        target = share / share.sum() * n
        gap = np.where(room > 0, target - draws, -np.inf)
        draws[int(np.argmax(gap))] += 1
    return draws


def choose(probs: np.ndarray, n: int, seed: int = 0) -> Choice:
    """``n`` rows of a file whose probabilities (N, L) the model gave, stratified by its top label."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or not len(probs):
        raise ValueError("choose needs the probabilities of at least one comment, (N, labels).")
    rng = np.random.default_rng(seed)
    top = probs.argmax(1)
    sizes = np.bincount(top, minlength=probs.shape[1])
    draws = allocate(sizes, n)
    rows, weights, strata = [], [], []
    for stratum in np.flatnonzero(draws):
        members = np.flatnonzero(top == stratum)
        picked = rng.choice(members, draws[stratum], replace=False)
        rows.append(picked)
        weights.append(np.full(len(picked), sizes[stratum] / draws[stratum]))
        strata.append(np.full(len(picked), stratum))
    rows_, weights_, strata_ = (np.concatenate(x) for x in (rows, weights, strata))
    order = rng.permutation(len(rows_))
    return Choice(rows_[order], weights_[order].round(4), strata_[order])


def read_unlabelled(path: str | Path, max_rows: int | None = None) -> pd.DataFrame:
    """An unlabelled file of comments (a ``text`` column, or .txt with one a line), as a frame."""
    path = Path(path)
    try:
        frame = read_table(path, FORMATS)
    except TableError as err:
        raise SamplingError(str(err)) from None
    if "text" not in frame.columns:
        raise SamplingError(f"{path.name} has no `text` column; its columns are: {', '.join(map(str, frame.columns))}.")
    frame = frame[frame["text"].fillna("").astype(str).str.strip().ne("")].reset_index(drop=True)
    if frame.empty:
        raise SamplingError(f"{path.name} has no comments with text.")
    if max_rows is not None and len(frame) > max_rows:
        raise SamplingError(f"{path.name} has {len(frame):,} comments; the limit here is {max_rows:,}. Choose from a "
                            "part of it, or run `python adapt.py --choose N FILE` on your own machine.")
    return frame


def to_label(frame: pd.DataFrame, probs: np.ndarray, n: int, labels: list[str], seed: int = 0) -> pd.DataFrame:
    """``n`` rows of ``frame`` chosen by ``choose``, in labelling order: the input's columns, ``weight`` and
    an empty column per label to fill with 0 or 1."""
    if n < 1:
        raise SamplingError(f"Choose at least one comment, not {n}.")
    clash = [name for name in [WEIGHT, *labels] if name in frame.columns]
    if clash:
        raise SamplingError(f"The file already has columns named {', '.join(clash)}; rename them first.")
    chosen = choose(probs, n, seed)
    out = frame.iloc[chosen.rows].reset_index(drop=True).copy()
    out[WEIGHT] = chosen.weights
    for name in labels:
        out[name] = ""
    return out
