"""Reading what people paste or upload: limits, encodings, columns, with messages instead of errors."""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import EmotionError


@dataclass(frozen=True)
class Limits:
    max_chars: int = 5_000  # one comment; the model reads ~128 tokens, roughly 500 characters
    max_rows: int = 1_000  # one batch
    max_upload_bytes: int = 2_000_000

    def describe(self) -> str:
        return (f"Up to {self.max_rows:,} comments a batch, uploads up to {self.max_upload_bytes // 1_000_000} MB "
                f"(.csv with a `text` column, or .txt with one comment a line).")


class InputError(EmotionError, ValueError):
    """Input the app cannot use; the message is shown to the person as is."""


_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(text: str | None, limits: Limits) -> tuple[str, list[str]]:
    """Strip control and zero-width characters; cap the length. Returns the text and notices."""
    notices = []
    text = text or ""
    cleaned = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _INVISIBLE)
    if cleaned != text:
        notices.append("Removed invisible control or formatting characters.")
    cleaned = cleaned.strip()
    if not cleaned:
        raise InputError("Type or paste a comment first: the text is empty.")
    if len(cleaned) > limits.max_chars:
        notices.append(f"The text is {len(cleaned):,} characters; only the first {limits.max_chars:,} are used.")
        cleaned = cleaned[: limits.max_chars]
    return cleaned, notices


def lines_to_texts(lines: str | None) -> list[str]:
    return [line.strip() for line in (lines or "").splitlines() if line.strip()]


def read_upload(path: str | os.PathLike, limits: Limits) -> list[str]:
    """Comments from an uploaded .csv (a ``text`` column) or .txt (one a line)."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name} is empty.")
    if size > limits.max_upload_bytes:
        raise InputError(f"{path.name} is {size / 1e6:.1f} MB; the limit is {limits.max_upload_bytes / 1e6:.0f} MB.")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path.name} looks like a binary file; upload a UTF-8 .csv or .txt.")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{path.name} is not UTF-8 text (byte {err.start}); save it as UTF-8 and upload again.") from err
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return lines_to_texts(content)
    if suffix != ".csv":
        raise InputError(f"{path.name}: upload a .csv or .txt file, not {suffix or 'a file without extension'}.")
    try:
        frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error, pd.errors.EmptyDataError) as err:
        raise InputError(f"{path.name} is not a readable CSV: {err}") from err
    columns = {c.strip().lower(): c for c in frame.columns}
    if "text" not in columns:
        raise InputError(f"{path.name} has no `text` column; its columns are: {', '.join(map(str, frame.columns))}.")
    return [t.strip() for t in frame[columns["text"]] if t.strip()]


def check_batch(texts: list[str], limits: Limits) -> list[str]:
    if not texts:
        raise InputError("No comments found: paste one comment a line, or upload a .csv / .txt file.")
    if len(texts) > limits.max_rows:
        raise InputError(f"{len(texts):,} comments is over the limit of {limits.max_rows:,} a batch; split the file.")
    return [t[: limits.max_chars] for t in texts]
