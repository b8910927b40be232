"""The files the project writes: whole or not at all (``replace_atomically``), and CSV that is safe to
open in a spreadsheet and reads back as it was.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets; comments from the web start that way (19 of GoEmotions' do). As OWASP
advises, such a text cell is written with a leading apostrophe, which spreadsheets show as text. The
escape is reversible: a cell that already starts with apostrophes before such a character gets one
more, and ``restore`` takes exactly one away, so every CSV this project writes reads back unchanged
through ``read_csv``. Numeric columns are written as numbers (a negative number is not a formula).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def replace_atomically(path: Path, write, suffix: str = "") -> None:
    """Write through a temporary sibling and rename: readers (an app serving this folder, another
    worker building the same file) see the old file or the new one, never half of one."""
    path = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix, dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_json(path: str | os.PathLike, data: object) -> None:
    replace_atomically(Path(path), lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str) + "\n"))


def _is_escaped_form(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_START)


def escape_cell(value):
    """``value`` as a spreadsheet shows it as text (strings only; other values pass through)."""
    if isinstance(value, str) and _is_escaped_form(value):
        return "'" + value
    return value


def restore_cell(value):
    """The inverse of ``escape_cell``."""
    if isinstance(value, str) and value.startswith("'") and _is_escaped_form(value):
        return value[1:]
    return value


def _map_text(frame: pd.DataFrame, cell) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(cell)
    out.columns = [cell(c) for c in out.columns]
    return out


def escape(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names are safe in a spreadsheet."""
    return _map_text(frame, escape_cell)


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a CSV that ``write_csv`` wrote, as it was before the escape."""
    return _map_text(frame, restore_cell)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, **options) -> None:
    """``frame.to_csv`` with formula cells escaped (``options`` as pandas takes them; no index). Every
    text cell is quoted: pandas leaves a bare carriage return unquoted, which splits the row on reading."""
    escape(frame).to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC, **options)


def read_csv(source, **options) -> pd.DataFrame:
    """``pd.read_csv`` of text cells, restoring what ``write_csv`` escaped."""
    options = {"dtype": str, "keep_default_na": False, **options}
    if options.get("chunksize"):
        return (restore(chunk) for chunk in pd.read_csv(source, **options))
    return restore(pd.read_csv(source, **options))
