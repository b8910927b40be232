"""Score large files in chunks: CSV / JSONL / parquet in, the same format out, memory flat.

Output rows keep every input column and add ``emotions`` (labels at or above their threshold) and one
``prob_<label>`` column per label. The output is written to a temporary file and renamed at the end,
so an interrupted run leaves nothing half-written and re-running is safe.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmotionError
from .predict import EmotionClassifier, labels_above
from ..files import TableError, check_not_input, check_readable, read_table, table_format, write_csv

INPUTS = ("csv", "tsv", "jsonl", "jsonl.zst", "parquet")
OUTPUTS = ("csv", "jsonl", "parquet")


class ScoringError(EmotionError, ValueError):
    """The input cannot be scored; the message says why and how to fix it."""


class ChunkWriter:
    """Appends scored chunks to one output file of the given format."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt, self._parquet, self._first = path, fmt, None, True

    def write(self, frame: pd.DataFrame) -> None:
        if self.fmt == "csv":
            write_csv(frame, self.path, mode="w" if self._first else "a", header=self._first)
        elif self.fmt == "jsonl":
            frame.to_json(self.path, orient="records", lines=True, force_ascii=False,
                          mode="w" if self._first else "a")
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            self._parquet.write_table(table)
        self._first = False

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def check_paths(source: str | os.PathLike, target: str | os.PathLike) -> tuple[Path, Path]:
    """Refuse, before any model is loaded, an input that is no readable file of a known format and an
    output that cannot be written or is the input itself."""
    source, target = Path(source), Path(target)
    try:
        check_readable(source)
        table_format(source, INPUTS)
        table_format(target, OUTPUTS)
        check_not_input(source, target)
    except TableError as err:
        raise ScoringError(f"{err} (with --engine ray, give a folder of shards)" if source.is_dir() else str(err)) from None
    folder = target.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ScoringError(f"Cannot write {target}: the folder {folder} does not exist or is not writable. "
                           "Create it, or choose another output path.")
    return source, target


EMOTIONS = "emotions"  # the column of the labels at or above their thresholds


def prob_column(label: str) -> str:
    """The column of ``label``'s probability, in score.py's output and the app's batch download."""
    return f"prob_{label}"


def without_answers(frame: pd.DataFrame, answers: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` less the columns named like ``answers`` (an earlier run's, as in a scored file scored
    again), so that no name stands twice, and the names taken out."""
    taken = [c for c in frame.columns if c in set(answers)]
    return frame.drop(columns=taken), taken


def score_frame(classifier: EmotionClassifier, frame: pd.DataFrame, text_column: str,
                thresholds: np.ndarray) -> pd.DataFrame:
    texts = frame[text_column].fillna("").astype(str).tolist()
    probs = classifier.predict_probabilities(texts)
    out = frame.reset_index(drop=True).copy()
    out[EMOTIONS] = [", ".join(labels_above(p, thresholds, classifier.labels)) for p in probs]
    for j, name in enumerate(classifier.labels):
        out[prob_column(name)] = probs[:, j].round(5)
    return out


def score_file(
    classifier: EmotionClassifier, source: str | os.PathLike, target: str | os.PathLike,
    text_column: str = "text", chunk_size: int = 2048, threshold: float | str | None = None, progress=None,
) -> int:
    """Score every row of ``source`` into ``target`` (csv, jsonl or parquet, by its extension); returns the
    number of rows."""
    source, target = check_paths(source, target)
    thresholds = classifier.threshold_array(threshold)
    partial = target.with_name(f".{target.name}.partial")
    writer, rows = ChunkWriter(partial, table_format(target, OUTPUTS)), 0
    try:
        for chunk in read_table(source, INPUTS, chunk_size):
            if text_column not in chunk.columns:
                raise ScoringError(f"{source} has no {text_column!r} column; its columns are: "
                                   f"{', '.join(map(str, chunk.columns))}. Pass --text_column NAME.")
            writer.write(score_frame(classifier, chunk, text_column, thresholds))
            rows += len(chunk)
            if progress is not None:
                progress(len(chunk))
        writer.close()
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    if rows == 0:
        partial.unlink(missing_ok=True)
        raise ScoringError(f"{source} has no rows.")
    partial.replace(target)
    return rows
