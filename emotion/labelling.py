"""Labelling sessions: the comments a person labels in the app, kept on the server as they answer.

A session is a folder: ``items.jsonl`` (the comments to label, in order, with their weights),
``meta.json`` (its name, labels and size) and ``answers.jsonl``, to which every answer is appended
and flushed as it is given, so nothing is lost to a page reload or a server restart; the last answer
for a comment counts. Sessions live under a folder per visitor, named by a hash of a key that only
the visitor's browser holds, so a visitor lists and opens only their own. Each visitor keeps at most
``MAX_SESSIONS`` sessions of at most ``MAX_ITEMS`` comments, and a session is deleted on request.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .adapt import Sample
from .errors import EmotionError
from .files import replace_atomically, write_csv, write_json
from .sampling import WEIGHT

MAX_SESSIONS = 20  # per visitor: the oldest is not dropped silently; the visitor deletes one
MAX_ITEMS = 1_000  # comments in one session
MAX_LOG_BYTES = 2_000_000  # an answers file larger than this is compacted to the last answer of each comment
KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
SESSION = re.compile(r"[0-9a-f]{32}")


class LabellingError(EmotionError, ValueError):
    """A labelling request cannot be served; the message says why and what to do."""


def default_root() -> Path:
    """Where sessions are kept: $EMOTION_LABELLING_DIR, else the user's cache."""
    found = os.environ.get("EMOTION_LABELLING_DIR")
    return Path(found) if found else Path.home() / ".cache" / "emotion" / "labelling"


@dataclass(frozen=True)
class Item:
    index: int
    text: str
    chosen: list[str] | None  # None: not answered yet


class Session:
    """One labelling session on disk; see the module docstring."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.meta = json.loads((folder / "meta.json").read_text())
            self.items = pd.read_json(folder / "items.jsonl", lines=True, dtype={"text": str})
        except (OSError, ValueError) as err:
            raise LabellingError(f"The labelling session {folder.name} cannot be read ({err}).") from None
        self.labels: list[str] = list(self.meta["labels"])
        self._answers: dict[int, list[str]] | None = None  # read once, then kept up to date by ``answer``

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def name(self) -> str:
        return self.meta["name"]

    def answers(self) -> dict[int, list[str]]:
        """Each answered comment's labels (read-only); the last answer for a comment counts."""
        if self._answers is None:
            self._answers = self._read_answers()
        return self._answers

    def _read_answers(self) -> dict[int, list[str]]:
        """The answers file, line by line; a torn last line (the server stopped while writing it) is skipped."""
        found: dict[int, list[str]] = {}
        path = self.folder / "answers.jsonl"
        if not path.is_file():
            return found
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
                found[int(entry["index"])] = [name for name in entry["labels"] if name in self.labels]
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def answer(self, index: int, chosen: list[str]) -> None:
        """Save one answer now (appended and flushed to disk before this returns)."""
        if not 0 <= index < len(self.items):
            raise LabellingError(f"There is no comment {index + 1} in this session of {len(self.items)}.")
        unknown = [name for name in chosen if name not in self.labels]
        if unknown:
            raise LabellingError(f"{', '.join(map(str, unknown[:3]))} are not labels of this session.")
        labels = sorted(set(chosen), key=self.labels.index)
        answers = self.answers()
        path = self.folder / "answers.jsonl"
        line = json.dumps({"index": index, "labels": labels, "at": time.time()}).encode() + b"\n"
        with open(path, "a+b") as out:  # after a line torn by a crash, a line of its own
            torn = out.tell() > 0 and (out.seek(-1, os.SEEK_END), out.read(1))[1] != b"\n"
            out.write(b"\n" + line if torn else line)
            out.flush()
            os.fsync(out.fileno())
        answers[index] = labels
        if path.stat().st_size > MAX_LOG_BYTES:  # answers changed back and forth: keep the last of each
            self._write_answers(answers)

    def _write_answers(self, answers: dict[int, list[str]]) -> None:
        lines = "".join(json.dumps({"index": i, "labels": chosen, "at": time.time()}) + "\n"
                        for i, chosen in sorted(answers.items()))
        replace_atomically(self.folder / "answers.jsonl", lambda tmp: Path(tmp).write_text(lines, encoding="utf-8"),
                           suffix=".jsonl")
        self._answers = dict(answers)

    def item(self, index: int) -> Item:
        index = int(min(max(index, 0), len(self.items) - 1))
        return Item(index, str(self.items["text"][index]), self.answers().get(index))

    def first_open(self) -> int:
        """The first comment not answered yet (the last one when all are)."""
        answered = self.answers()
        return next((i for i in range(len(self.items)) if i not in answered), len(self.items) - 1)

    def progress(self) -> tuple[int, int]:
        return len(self.answers()), len(self.items)

    def frame(self) -> pd.DataFrame:
        """Every comment with its weight and one column per label: 1 or 0 where answered, empty where not."""
        answered = self.answers()
        out = self.items.copy()
        for name in self.labels:
            out[name] = ["" if i not in answered else int(name in answered[i]) for i in range(len(out))]
        return out

    def save_csv(self, path: str | os.PathLike) -> Path:
        """The session as a CSV that adapt.py reads (and that opens safely in a spreadsheet)."""
        write_csv(self.frame(), path)
        return Path(path)

    def sample(self, model_labels: list[str]) -> Sample:
        """The answered comments as a labelled sample (weights kept): the model's labels in its order,
        then the new ones."""
        answered = self.answers()
        rows = sorted(answered)
        covered = [n for n in model_labels if n in self.labels] + [n for n in self.labels if n not in model_labels]
        y = np.array([[int(name in answered[i]) for name in covered] for i in rows], dtype=int).reshape(len(rows), -1)
        weights = self.items[WEIGHT].to_numpy(dtype=np.float64)[rows] if WEIGHT in self.items else None
        return Sample([str(self.items["text"][i]) for i in rows], y, covered, self.name, weights,
                      tuple(n for n in covered if n not in model_labels))


class Store:
    """Every visitor's sessions under ``root``."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root else default_root()

    def _visitor(self, key: str) -> Path:
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise LabellingError("This page has no valid labelling key; reload the page.")
        return self.root / hashlib.sha256(key.encode()).hexdigest()[:32]

    def sessions(self, key: str) -> list[Session]:
        """The visitor's sessions, newest first."""
        folder = self._visitor(key)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            if SESSION.fullmatch(path.name) and (path / "meta.json").is_file():
                try:
                    found.append(Session(path))
                except LabellingError:
                    continue
        return sorted(found, key=lambda s: s.meta.get("created", 0), reverse=True)

    def open(self, key: str, session: str) -> Session:
        if not isinstance(session, str) or not SESSION.fullmatch(session):
            raise LabellingError("Choose one of your labelling sessions first.")
        folder = self._visitor(key) / session
        if not (folder / "meta.json").is_file():
            raise LabellingError("That labelling session is not among yours (it was deleted, or the key changed).")
        return Session(folder)

    def create(self, key: str, name: str, items: pd.DataFrame, labels: list[str],
               answers: dict[int, list[str]] | None = None) -> Session:
        """A new session of ``items`` (a ``text`` column, optionally ``weight``) to label with ``labels``."""
        if not labels:
            raise LabellingError("Name at least one label to label the comments with.")
        if len(items) > MAX_ITEMS:
            raise LabellingError(f"A labelling session holds at most {MAX_ITEMS:,} comments; choose fewer.")
        if len(self.sessions(key)) >= MAX_SESSIONS:
            raise LabellingError(f"You have {MAX_SESSIONS} labelling sessions; download and delete one first.")
        folder = self._visitor(key) / uuid.uuid4().hex
        folder.mkdir(parents=True)
        columns = ["text", *([WEIGHT] if WEIGHT in items.columns else [])]
        kept = items[columns].reset_index(drop=True)
        replace_atomically(folder / "items.jsonl",
                           lambda tmp: kept.to_json(tmp, orient="records", lines=True, force_ascii=False), suffix=".jsonl")
        write_json(folder / "meta.json", {"name": name[:80], "labels": labels, "rows": len(kept), "created": time.time()})
        session = Session(folder)
        if answers:
            session._write_answers({i: [n for n in chosen if n in labels] for i, chosen in answers.items()
                                    if 0 <= i < len(kept)})
        return session

    def delete(self, key: str, session: str) -> None:
        shutil.rmtree(self.open(key, session).folder)
