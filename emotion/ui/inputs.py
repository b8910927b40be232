"""Reading what people paste or upload: limits, encodings, columns, with messages instead of errors."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import EmotionError
from ..files import TableError, read_table
from ..serve import windows
from ..serve.language import other_language


@dataclass(frozen=True)
class Limits:
    max_chars: int = 5_000  # one comment; the model reads ~128 tokens, roughly 500 characters
    max_rows: int = 1_000  # one batch
    max_upload_bytes: int = 2_000_000
    max_query: int = 200  # the Errors view's "Text contains" filter: a phrase, searched in every test comment

    def describe(self) -> str:
        return (f"Up to {self.max_rows:,} comments a batch, uploads up to {self.max_upload_bytes // 1_000_000} MB "
                f"(.csv with a `text` column, or .txt with one comment a line).")


class InputError(EmotionError, ValueError):
    """Input the app cannot use; the message is shown to the person as is."""


_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(text: str | None, limits: Limits) -> tuple[str, list[str]]:
    """Strip control and zero-width characters; cap the length. Returns the text and notices."""
    notices = []
    if text is not None and not isinstance(text, str):
        raise InputError(f"The text must be a string, not {type(text).__name__}.")
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


def read_comment(classifier, text: str | None, limits: Limits) -> tuple[str, list[str]]:
    """The cleaned comment and every notice about it: what was removed or cut, and what the model cannot read."""
    text, notices = clean_text(text, limits)
    return text, notices + reading_notices(classifier, text)


def reading_notices(classifier, text: str) -> list[str]:
    """What the person should know about how much of ``text`` the model can read."""
    tokens, unknown = classifier.count_tokens(text)
    notices = []
    if tokens > classifier.max_length:
        parts = len(windows.split(list(range(tokens)), classifier.max_length))
        notices.append(f"This comment has {tokens} tokens, more than the {classifier.max_length} the model reads at "
                       f"once: it was read whole, in {parts} overlapping parts whose answers were combined.")
    if unknown and unknown >= 0.3 * max(tokens - 2, 1):  # [CLS] and [SEP] are always known
        notices.append(f"The model cannot read {unknown} of this comment's {tokens - 2} word pieces (it was trained "
                       "on English Reddit comments), so this answer means little.")
    elif (found := other_language(text, getattr(classifier, "known_words", None))) is not None:
        notices.append(f"This comment looks like another language than English ({found[0]}, p = {found[1]:.2f}); "
                       "the model was trained on English Reddit comments only, so this answer means little.")
    return notices


def read_batch(lines: str | None, upload: str | os.PathLike | None, limits: Limits) -> tuple[list[str], pd.DataFrame, str]:
    """The comments to score, the input rows they come from (every column, in order), and a name
    for the results file.

    Pasted lines become a ``text`` column; an upload is a .csv (a ``text`` column) or .txt (one a line)."""
    pasted = [line for line in (lines or "").splitlines()]
    if upload and any(line.strip() for line in pasted):
        raise InputError("Both pasted lines and an uploaded file are given; clear one of them, then predict again.")
    if upload:
        (frame, column), name = read_upload(Path(upload), limits), Path(upload).stem
    else:
        while pasted and not pasted[-1].strip():  # a trailing newline is not an empty comment
            pasted.pop()
        frame, column, name = pd.DataFrame({"text": pasted}, dtype=str), "text", "pasted"
    texts = check_batch(frame[column].tolist(), limits)
    return texts, frame, f"{name}_emotions.csv"


def read_upload(path: Path, limits: Limits) -> tuple[pd.DataFrame, str]:
    """The file's rows and the name of its text column."""
    check_upload_size(path, limits)
    try:
        frame = read_table(path, ("csv", "txt"))
    except TableError as err:
        raise InputError(str(err)) from None
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "text" not in columns:
        raise InputError(f"{path.name} has no `text` column; its columns are: {', '.join(map(str, frame.columns))}.")
    return frame, columns["text"]


def check_upload_size(path: Path, limits: Limits) -> None:
    size = path.stat().st_size  # an empty file is the table reader's to refuse (files.check_readable)
    if size > limits.max_upload_bytes:
        raise InputError(f"{path.name} is {size / 1e6:.1f} MB; the limit is {limits.max_upload_bytes / 1e6:.0f} MB.")


def check_batch(texts, limits: Limits) -> list[str]:
    """The batch's texts, each cut to the limit; a None item is a blank one. Refuses what is not a list of
    strings, an empty batch, and a batch over the row or size limit."""
    if isinstance(texts, (str, bytes)) or not isinstance(texts, (list, tuple)):
        raise InputError(f"A batch is a list of texts, not {type(texts).__name__}; send one text to /predict.")
    wrong = [i for i, t in enumerate(texts) if t is not None and not isinstance(t, str)]
    if wrong:
        raise InputError(f"Every item of a batch must be a string; item {wrong[0]} is {type(texts[wrong[0]]).__name__}.")
    texts = ["" if t is None else t for t in texts]
    if len(texts) > limits.max_rows:
        raise InputError(f"{len(texts):,} comments is over the limit of {limits.max_rows:,} a batch; split the file.")
    size = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    if size > limits.max_upload_bytes:
        raise InputError(f"The batch is {size / 1e6:.1f} MB; the limit is {limits.max_upload_bytes / 1e6:.0f} MB. Split it.")
    if not any(t.strip() for t in texts):
        raise InputError("No comments found: paste one comment a line, or upload a .csv / .txt file.")
    return [t[: limits.max_chars] for t in texts]
