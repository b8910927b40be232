"""The files the project writes: whole or not at all (``replace_atomically``), and CSV that is safe to
open in a spreadsheet and reads back as it was.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets; comments from the web start that way (19 of GoEmotions' do). As OWASP
advises, such a text cell is written with a leading apostrophe, which spreadsheets show as text. The
escape is reversible: a cell that already starts with apostrophes before such a character gets one
more, and ``restore`` takes exactly one away, so every CSV this project writes reads back unchanged
through ``read_csv``. A number is no formula: numeric columns, and text cells that are a plain number
such as ``-0.5`` (CSV cells are read as text), are written as they are, so a spreadsheet or pandas reads
them as numbers again.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from .errors import EmotionError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, signed or not: a spreadsheet reads it as the number, never as a formula.
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def replace_atomically(path: Path, write, suffix: str = "") -> None:
    """Write through a temporary sibling and rename: readers (an app serving this folder, another
    worker building the same file) see the old file or the new one, never half of one."""
    path, tmp = Path(path), None
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix, dir=path.parent)
        os.close(handle)
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:  # name the file asked for, never the hidden temporary one
        hidden = err.filename is None or Path(err.filename).name.startswith(f".{path.stem}-")
        if hidden or str(err.filename) == str(path.parent):
            raise OSError(err.errno, err.strerror, str(path)) from None
        raise
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_json(path: str | os.PathLike, data: object) -> None:
    replace_atomically(Path(path), lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str) + "\n"))


def _is_escaped_form(text: str) -> bool:
    """A formula, or a formula or number behind apostrophes (which gets one more, so that ``restore``
    gives it back as it was)."""
    bare = text.lstrip("'")
    return bare.startswith(FORMULA_START) and (bare != text or not NUMBER.fullmatch(text))


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
    for i in range(out.shape[1]):  # by position: a name may be there twice
        column = out.iloc[:, i]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out.isetitem(i, column.map(cell))
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


# The one reader of a user's table: every format the project takes, by the file's extension.
TABLES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".jsonl.zst": "jsonl.zst", ".parquet": "parquet", ".txt": "txt"}


class TableError(EmotionError, ValueError):
    """A table cannot be read; the message names the file (never its folder) and the fix."""


def table_suffix(path: Path, allowed: tuple[str, ...] | None = None) -> str:
    """The extension that names ``path``'s format (``.jsonl.zst`` included), among ``allowed`` formats."""
    name = path.name.lower()
    kinds = allowed or tuple(TABLES.values())
    suffix = next((s for s in sorted(TABLES, key=len, reverse=True) if name.endswith(s)), "")
    if TABLES.get(suffix) not in kinds:
        listed = [s for s, kind in TABLES.items() if kind in kinds]
        choices = " or ".join([", ".join(listed[:-1]), listed[-1]] if len(listed) > 1 else listed)
        raise TableError(f"{path.name}: use a {choices} file, not {suffix or Path(name).suffix or 'one without an extension'}.")
    return suffix


def table_format(path: Path, allowed: tuple[str, ...] | None = None) -> str:
    return TABLES[table_suffix(path, allowed)]


def check_readable(path: Path) -> None:
    """A file that exists, is no folder, is not empty and, for a text format, holds no NUL byte."""
    if path.is_dir():
        raise TableError(f"{path.name} is a folder; give a file.")
    if not path.is_file():
        raise TableError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise TableError(f"{path.name} is empty.")
    if not path.name.lower().endswith((".parquet", ".zst")):  # compressed formats hold NUL bytes
        with path.open("rb") as stream:
            if b"\x00" in stream.read(4096):
                raise TableError(f"{path.name} looks like a binary file; save it as UTF-8 text and try again.")


def check_not_input(source: Path, target: Path) -> None:
    """Refuse an output that is the input (the same path however spelt, a link to it, or a hard link):
    writing it would replace the file being read."""
    same = source.resolve() == target.resolve()
    if not same and target.exists():
        try:
            same = os.path.samefile(source, target)
        except OSError:
            same = False
    if same:
        raise TableError(f"The output {target.name} is the input file; give another output path, or the input "
                         "would be replaced.")


def read_table(path: str | os.PathLike, allowed: tuple[str, ...] | None = None, chunk_size: int | None = None):
    """A user's table: one frame, or an iterator of frames of ``chunk_size`` rows (memory stays flat).
    ``allowed``: the formats this use takes. CSV and TSV cells are text (escaped formulas restored); a .txt
    file is one ``text`` cell a line; JSONL and parquet keep their own types."""
    path = Path(path)
    check_readable(path)
    fmt = table_format(path, allowed)
    chunks = _chunks(path, fmt, chunk_size or 0)
    return _named_errors(path, fmt, chunks) if chunk_size else _whole(path, fmt, chunks)


def _whole(path: Path, fmt: str, chunks) -> pd.DataFrame:
    frames = list(_named_errors(path, fmt, chunks))
    return pd.concat(frames, ignore_index=True) if len(frames) != 1 else frames[0]


def _named_errors(path: Path, fmt: str, chunks):
    try:
        yield from chunks
    except UnicodeDecodeError as err:
        raise TableError(f"{path.name} is not UTF-8 text (byte {err.start}); save it as UTF-8 and try again.") from None
    except TableError:
        raise
    except ImportError as err:
        raise TableError(f"Reading {path.name} needs the package {err.name}: `pip install -r requirements-scale.txt`.") from None
    except Exception as err:  # noqa: BLE001 - pandas, pyarrow and zstandard raise many types for a bad file
        first = (str(err).replace(str(path), path.name).splitlines() or [type(err).__name__])[0]
        raise TableError(f"{path.name} is not a readable {fmt} file ({first}); check its format and extension.") from None


def _chunks(path: Path, fmt: str, size: int):
    """Frames of ``size`` rows (0: the whole file in one)."""
    if fmt == "txt":
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
        step = size or max(len(lines), 1)
        for start in range(0, max(len(lines), 1), step):
            yield pd.DataFrame({"text": lines[start:start + step]}, dtype=str)
    elif fmt in ("csv", "tsv"):
        options = {"sep": "\t" if fmt == "tsv" else ",", "encoding": "utf-8-sig"}
        if size:
            yield from read_csv(path, chunksize=size, **options)
        else:
            yield read_csv(path, **options)
    elif fmt in ("jsonl", "jsonl.zst"):
        stream = path.open("r", encoding="utf-8-sig") if fmt == "jsonl" else _zst(path)
        with stream:
            if size:
                yield from pd.read_json(stream, lines=True, chunksize=size, dtype=False)
            else:
                yield pd.read_json(stream, lines=True, dtype=False)
    else:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        if size:
            for batch in parquet.iter_batches(batch_size=size):
                yield batch.to_pandas()
        else:
            yield parquet.read().to_pandas()


def _zst(path: Path):
    import zstandard  # an optional package (requirements-scale.txt): the public dumps' format

    # The dumps are compressed with a long window; max_window_size reads them.
    return zstandard.open(path, "rt", encoding="utf-8", dctx=zstandard.ZstdDecompressor(max_window_size=2**31))
