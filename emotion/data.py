"""Load GoEmotions (simplified) splits as ``datasets.Dataset`` with ``id``, ``text``, ``labels``.

Sources, in order: an explicit folder (argument or ``GOEMOTIONS_DIR``), then the Hugging Face Hub.
The folder may hold the release's TSV layout (``train.tsv``: text, comma-separated label ids,
comment id; no header) or the Hub's columns saved as CSV, JSONL or parquet.
"""

from __future__ import annotations

import csv
import os
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from datasets import Dataset

from .checkpoint import Checkpoint, CheckpointError
from .errors import EmotionError
from .labels import NUM_LABELS
from .files import TableError, read_table

HUB_DATASET = "google-research-datasets/go_emotions"
HUB_CONFIG = "simplified"
ENV_DIR = "GOEMOTIONS_DIR"
# The Hub calls the dev split "validation"; files may use either name.
_SPLIT_NAMES = {"train": ("train",), "dev": ("dev", "validation"), "test": ("test",)}
_FORMATS = ("tsv", "csv", "jsonl", "parquet")
COLUMNS = ("text", "labels", "id")
LOCAL_HINT = (
    "Point at a local copy with --data_dir PATH or the environment variable GOEMOTIONS_DIR "
    "(e.g. --data_dir ../shared/data/goemotions)."
)


class DataError(EmotionError, ValueError):
    """The data could not be loaded; the message says what was wrong and how to fix it."""


def normalize_split(split: str) -> str:
    for name, aliases in _SPLIT_NAMES.items():
        if split in aliases:
            return name
    raise DataError(f"Unknown split {split!r}: use one of train, dev (or validation), test.")


def find_split_file(data_dir: str | os.PathLike, split: str) -> Path:
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise DataError(f"Data folder {folder} does not exist. {LOCAL_HINT}")
    for name in _SPLIT_NAMES[normalize_split(split)]:
        for ext in _FORMATS:
            path = folder / f"{name}.{ext}"
            if path.is_file():
                return path
    expected = ", ".join(f"{n}.{{{','.join(_FORMATS)}}}" for n in _SPLIT_NAMES[normalize_split(split)])
    raise DataError(f"No file for split {split!r} in {folder}: expected one of {expected}.")


def _parse_label_ids(value: object, where: str) -> list[int]:
    if isinstance(value, (list, tuple, np.ndarray)):
        ids = [int(v) for v in value]
    else:
        # TSV gives "3,10"; a CSV saved from the Hub gives "[3, 10]".
        ids = [int(v) for v in re.findall(r"-?\d+", str(value))]
    if not ids:
        raise DataError(f"{where}: no label ids; every comment carries at least one label.")
    bad = [i for i in ids if not 0 <= i < NUM_LABELS]
    if bad:
        raise DataError(f"{where}: label id {bad[0]} is out of range 0..{NUM_LABELS - 1}.")
    return ids


def _read_table(path: Path) -> pd.DataFrame:
    ext = path.suffix.lstrip(".")
    try:
        if ext == "tsv":
            # No quote processing: texts hold quotes exactly as released.
            frame = pd.read_csv(
                path, sep="\t", header=None, quoting=csv.QUOTE_NONE, dtype=str,
                keep_default_na=False, encoding="utf-8",
            )
            if frame.shape[1] != 3:
                raise DataError(
                    f"{path}: expected 3 tab-separated columns (text, label ids, comment id), "
                    f"found {frame.shape[1]}."
                )
            frame.columns = list(COLUMNS)
            return frame
        return read_table(path, ("csv", "jsonl", "parquet"))
    except TableError as err:
        raise DataError(f"{err} ({path})") from None
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{path} is empty.") from err
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as err:
        if isinstance(err, DataError):
            raise
        raise DataError(f"Could not read {path} as {ext.upper()}: {err}") from err


def read_split_file(path: str | os.PathLike) -> Dataset:
    """Read one split file into a Dataset with ``id`` (str), ``text`` (str), ``labels`` (list[int])."""
    path = Path(path)
    frame = _read_table(path)
    if frame.empty:
        raise DataError(f"{path} has no rows.")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}. "
            "Expected the Hub's columns: text, labels, id."
        )
    labels = [
        _parse_label_ids(value, f"{path} row {row + 1}") for row, value in enumerate(frame["labels"])
    ]
    return Dataset.from_dict(
        {"id": frame["id"].astype(str).tolist(), "text": frame["text"].astype(str).tolist(), "labels": labels}
    )


def hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _load_from_hub(split: str) -> Dataset:
    offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")
    # Probe first: without a network the Hub client can retry for a long time.
    if not offline and not hub_reachable():
        raise DataError(f"No data folder given and the Hugging Face Hub is not reachable. {LOCAL_HINT}")
    from datasets import load_dataset

    hub_split = "validation" if split == "dev" else split
    try:
        data = load_dataset(HUB_DATASET, HUB_CONFIG, split=hub_split)
    except Exception as err:  # the Hub client raises many types; all mean "not available"
        raise DataError(f"Could not load {HUB_DATASET} ({HUB_CONFIG}) from the Hub: {err}. {LOCAL_HINT}") from err
    return data.select_columns(list(COLUMNS))


def load_split(split: str, data_dir: str | os.PathLike | None = None, first: int | None = None) -> Dataset:
    """Load one GoEmotions split (``train``, ``dev``/``validation`` or ``test``), or its first ``first`` rows."""
    split = normalize_split(split)
    data_dir = data_dir or os.environ.get(ENV_DIR)
    data = read_split_file(find_split_file(data_dir, split)) if data_dir else _load_from_hub(split)
    return data.select(range(min(first, len(data)))) if first else data


def multi_hot(label_lists: Sequence[Sequence[int]], num_labels: int = NUM_LABELS) -> np.ndarray:
    """(N, num_labels) float32 matrix with 1 where a comment carries a label."""
    out = np.zeros((len(label_lists), num_labels), dtype=np.float32)
    for row, ids in enumerate(label_lists):
        out[row, list(ids)] = 1.0
    return out


def label_counts(split: str, data_dir: str | os.PathLike | None, num_labels: int = NUM_LABELS) -> np.ndarray:
    """(num_labels,) comments carrying each label in a split (a model card's training counts)."""
    return multi_hot(load_split(split, data_dir)["labels"], num_labels).sum(0)


@dataclass(frozen=True)
class LabelledSet:
    """A labelled split as read from the data folder (never stored elsewhere), with a checkpoint's
    probabilities joined by comment id when asked (``load_test_set``)."""

    split: str
    ids: list[str]
    texts: list[str]
    label_ids: list[list[int]]  # each comment's label ids, as the data gives them
    y_true: np.ndarray  # (N, L) multi-hot
    probs: np.ndarray | None = None  # (N, L)
    stored: bool = False  # the probabilities are the checkpoint's stored ones (the reference backend's)


def labelled_split(split: str, data_dir: str | os.PathLike | None, num_labels: int = NUM_LABELS) -> LabelledSet:
    """A split's ids, texts and labels (ids and multi-hot), without probabilities."""
    data = load_split(split, data_dir)
    label_ids = [[int(i) for i in ids] for ids in data["labels"]]
    return LabelledSet(normalize_split(split), [str(i) for i in data["id"]], list(data["text"]), label_ids,
                       multi_hot(label_ids, num_labels))


def load_test_set(data_dir: str | os.PathLike | None, checkpoint: Checkpoint, split: str = "test",
                  fallback: Callable[[LabelledSet, str], np.ndarray] | None = None) -> LabelledSet:
    """The test split (or ``split``) with ``checkpoint``'s stored probabilities joined by comment id: what the
    analysis views, compare, the audit, the Space and the benchmarks read. Stored probabilities that are
    missing or of other weights raise CheckpointError, or, with ``fallback``, are computed by
    ``fallback(the split, why)`` (then ``stored`` is False)."""
    found = labelled_split(split, data_dir, len(checkpoint.labels))
    try:
        return replace(found, probs=checkpoint.probabilities(found.split, found.ids)[1], stored=True)
    except CheckpointError as err:
        if fallback is None:
            raise
        return replace(found, probs=fallback(found, str(err)))


def describe_source(data_dir: str | os.PathLike | None) -> str:
    data_dir = data_dir or os.environ.get(ENV_DIR)
    return str(data_dir) if data_dir else f"hub:{HUB_DATASET}/{HUB_CONFIG}"

