"""Score large files in chunks: CSV / JSONL / parquet in, the same format out, memory flat.

Output rows keep every input column and add ``emotions`` (labels at or above their threshold) and one
``prob_<label>`` column per label. The output is written to a temporary file and renamed at the end,
so an interrupted run leaves nothing half-written and re-running is safe.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import EmotionError
from .predict import EmotionClassifier, labels_above
from .files import read_csv, write_csv

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet", ".jsonl.zst": "jsonl.zst"}


class ScoringError(EmotionError, ValueError):
    """The input cannot be scored; the message says why and how to fix it."""


def format_suffix(path: Path) -> str:
    """The extension that names ``path``'s format (``.jsonl.zst`` included)."""
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    raise ScoringError(f"{path}: use a .csv, .jsonl, .jsonl.zst or .parquet file.")


def file_format(path: Path) -> str:
    """csv, jsonl, parquet, or jsonl.zst (read only: the public Reddit dumps' format)."""
    return FORMATS[format_suffix(path)]


def read_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    fmt = file_format(path)
    if fmt == "csv":
        yield from read_csv(path, chunksize=chunk_size)
    elif fmt == "jsonl":
        yield from pd.read_json(path, lines=True, chunksize=chunk_size, dtype=False)
    elif fmt == "jsonl.zst":
        import zstandard

        # The dumps are compressed with a long window; max_window_size reads them.
        with zstandard.open(path, "rt", encoding="utf-8",
                            dctx=zstandard.ZstdDecompressor(max_window_size=2**31)) as stream:
            yield from pd.read_json(stream, lines=True, chunksize=chunk_size, dtype=False)
    else:
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
            yield batch.to_pandas()


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
    output that cannot be written."""
    source, target = Path(source), Path(target)
    if source.is_dir():
        raise ScoringError(f"{source} is a folder; give a file (or --engine ray for a folder of shards).")
    if not source.is_file():
        raise ScoringError(f"{source} does not exist.")
    file_format(source)
    if source.stat().st_size == 0:
        raise ScoringError(f"{source} is empty.")
    if file_format(target) == "jsonl.zst":
        raise ScoringError(f"{target}: write .csv, .jsonl or .parquet.")
    folder = target.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ScoringError(f"Cannot write {target}: the folder {folder} does not exist or is not writable. "
                           "Create it, or choose another output path.")
    return source, target


def readable(source: Path, chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """``chunks``, with a reader's error turned into one line that names the file and the fix."""
    fmt = file_format(source)
    try:
        yield from chunks
    except UnicodeDecodeError as err:
        raise ScoringError(f"{source} is not UTF-8 text (byte {err.start}); save it as UTF-8 and try again.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as err:
        if isinstance(err, ScoringError):
            raise
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ScoringError(f"{source} is not a readable {fmt} file ({first}); check its format and extension.") from None


def score_frame(classifier: EmotionClassifier, frame: pd.DataFrame, text_column: str,
                thresholds: np.ndarray) -> pd.DataFrame:
    texts = frame[text_column].fillna("").astype(str).tolist()
    probs = classifier.predict_probabilities(texts)
    out = frame.reset_index(drop=True).copy()
    out["emotions"] = [", ".join(labels_above(p, thresholds, classifier.labels)) for p in probs]
    for j, name in enumerate(classifier.labels):
        out[f"prob_{name}"] = probs[:, j].round(5)
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
    writer, rows = ChunkWriter(partial, file_format(target)), 0
    try:
        for chunk in readable(source, read_chunks(source, chunk_size)):
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
