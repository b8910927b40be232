"""Labelling sessions: the comments a person labels in the app, kept on the server as they answer.

A session is a folder: ``items.jsonl`` (the comments to label, in order, with their weights),
``meta.json`` (its name, labels and size) and ``answers.jsonl``, to which every answer is appended
and flushed as it is given, so nothing is lost to a page reload or a server restart; the last answer
for a comment counts. Sessions live under a folder per visitor, named by a hash of a key that only
the visitor's browser holds, so a visitor lists and opens only their own. Each visitor keeps at most
``MAX_SESSIONS`` sessions of at most ``MAX_ITEMS`` comments, and a session is deleted on request.

Keys cost nothing to make, so per-visitor caps bound nothing on their own: ``StoreLimits`` bounds all
visitors' sessions together (bytes and sessions, refused in words once reached) and deletes sessions
nobody has opened or answered for ``idle_days``. The browser keeps its key encrypted with
``Store.browser_secret``, which outlives the process, so a restart or a redeploy on the same folder
finds every visitor's sessions again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .fit import Sample, read_weights
from ..errors import EmotionError
from ..files import replace_atomically, write_csv, write_json
from .sampling import WEIGHT

MAX_SESSIONS = 20  # per visitor: the oldest is not dropped silently; the visitor deletes one
MAX_ITEMS = 1_000  # comments in one session
MAX_LOG_BYTES = 2_000_000  # an answers file larger than this is compacted to the last answer of each comment
KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
SESSION = re.compile(r"[0-9a-f]{32}")  # a session's folder, and a visitor's (a hash of the key)
SECRET_ENV = "EMOTION_LABELLING_SECRET"
SECRET_FILE = "browser-secret"  # beside the visitors' folders, so it moves and persists with them
log = logging.getLogger(__name__)


class LabellingError(EmotionError, ValueError):
    """A labelling request cannot be served; the message says why and what to do."""


def default_root() -> Path:
    """Where sessions are kept: $EMOTION_LABELLING_DIR, else the user's cache."""
    found = os.environ.get("EMOTION_LABELLING_DIR")
    return Path(found) if found else Path.home() / ".cache" / "emotion" / "labelling"


@dataclass(frozen=True)
class StoreLimits:
    """Bounds on every visitor's sessions together (docs/deploy.md). A session holds at most about 2 MB of
    comments (the upload limit) and its answers stay under ``MAX_LOG_BYTES`` (compacted), so the folder
    stays under ``max_bytes`` plus ``MAX_LOG_BYTES`` per session."""

    max_bytes: int = 1_000_000_000  # all sessions' files; checked when a session is created
    max_sessions: int = 500  # all visitors' sessions
    idle_days: float = 30.0  # a session nobody opened or answered for this long is deleted
    per_visitor: int = MAX_SESSIONS

    ENV = {"max_bytes": ("EMOTION_LABELLING_MAX_MB", 1_000_000), "max_sessions": ("EMOTION_LABELLING_MAX_SESSIONS", 1),
           "idle_days": ("EMOTION_LABELLING_IDLE_DAYS", 1)}

    @classmethod
    def from_env(cls, environ=os.environ) -> StoreLimits:
        """The defaults, or what the operator set in the environment (a Space has no command line)."""
        given = {}
        for field, (name, unit) in cls.ENV.items():
            text = environ.get(name, "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                value = float("nan")
            if not (value > 0 and value < 1e12):
                raise LabellingError(f"{name} must be a positive number, not {text[:40]!r}.")
            given[field] = value if field == "idle_days" else max(int(value * unit), 1)
        return cls(**given)


@dataclass(frozen=True)
class Item:
    index: int
    text: str
    chosen: list[str] | None  # None: not answered yet


_LOCKS: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
_LOCKS_LOCK = threading.Lock()


def _folder_lock(folder: Path) -> threading.Lock:
    """One lock per session folder in this process, however many ``Session`` objects (one a request) open it."""
    with _LOCKS_LOCK:
        lock = _LOCKS.get(str(folder))
        if lock is None:
            lock = _LOCKS[str(folder)] = threading.Lock()
        return lock


class Session:
    """One labelling session on disk; see the module docstring."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = _folder_lock(folder)  # held while appending and compacting: no answer lost between them
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
        try:
            with self._lock:
                with open(path, "a+b") as out:  # after a line torn by a crash, a line of its own
                    torn = out.tell() > 0 and (out.seek(-1, os.SEEK_END), out.read(1))[1] != b"\n"
                    out.write(b"\n" + line if torn else line)
                    out.flush()
                    os.fsync(out.fileno())
                answers[index] = labels
                if path.stat().st_size > MAX_LOG_BYTES:  # answers changed back and forth: keep the last of each
                    # From the file, not this request's copy: it holds answers that other requests appended.
                    self._write_answers(self._read_answers())
        except OSError as err:
            log.warning("labelling answer not saved in %s: %s", self.folder.name, err)
            raise LabellingError("This answer could not be saved on the server (its disk may be full, or the "
                                 "session was deleted); try again later, and download your answers.") from None

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
        weights = read_weights(self.items, self.name)  # adapt.py's rule: a session stored before it is checked too
        weights = None if weights is None else weights[rows]
        return Sample([str(self.items["text"][i]) for i in rows], y, covered, self.name, weights,
                      tuple(n for n in covered if n not in model_labels))


_CREATE = threading.Lock()  # counting what is stored and adding a session are one step


class Store:
    """Every visitor's sessions under ``root``, within ``limits``."""

    def __init__(self, root: str | os.PathLike | None = None, limits: StoreLimits | None = None) -> None:
        self.root = Path(root) if root else default_root()
        self.limits = limits or StoreLimits.from_env()

    def browser_secret(self) -> str:
        """What the page encrypts its stored key with. Gradio draws a new one at every start unless given one,
        and then no page could read its key after a restart: so $EMOTION_LABELLING_SECRET, else one made once
        and kept beside the sessions (mode 0600), so it lasts exactly as long as they do. Gradio sends it to
        the page with its configuration: it keeps other sites from reading the key, and the key's own secrecy
        is the browser's (a folder named by a hash of it is all the server keeps)."""
        given = os.environ.get(SECRET_ENV, "").strip()
        if given:
            return given
        path = self.root / SECRET_FILE
        try:
            if found := path.read_text().strip():
                return found
        except FileNotFoundError:
            pass
        except OSError as err:
            raise LabellingError(f"Cannot read {path}: {err.strerror or err}. Set {SECRET_ENV}, or make the "
                                 "labelling folder ($EMOTION_LABELLING_DIR) readable.") from None
        made = secrets.token_urlsafe(32)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = self.root / f".{SECRET_FILE}-{uuid.uuid4().hex}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(made)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)  # whole, and only if no other process made one first
            except FileExistsError:
                if not (made := path.read_text().strip()):  # an empty file: none was ever written whole
                    os.replace(tmp, path)
                    return self.browser_secret()
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as err:
            log.warning("labelling keys will not survive a restart: cannot keep a secret in %s (%s); set %s",
                        self.root, err.strerror or err, SECRET_ENV)
        return made

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
        try:
            os.utime(folder / "meta.json")  # in use: not idle (see ``sweep``)
        except OSError:
            pass
        return Session(folder)

    def _all_sessions(self):
        """Every session folder of every visitor, with its size in bytes and when it was last used."""
        for visitor in self.root.iterdir() if self.root.is_dir() else ():
            if not (SESSION.fullmatch(visitor.name) and visitor.is_dir()):
                continue
            try:
                folders = list(visitor.iterdir())
            except OSError:
                continue  # deleted meanwhile
            for folder in folders:
                if not SESSION.fullmatch(folder.name):
                    continue
                size, used = 0, 0.0
                try:
                    for path in folder.iterdir():
                        stat = path.stat()
                        size, used = size + stat.st_size, max(used, stat.st_mtime)
                except OSError:
                    continue  # deleted meanwhile
                yield folder, size, used

    def sweep(self, now: float | None = None) -> int:
        """Delete the sessions nobody has opened or answered for ``limits.idle_days`` (and the visitors'
        folders left empty); returns how many were deleted."""
        cutoff = (now or time.time()) - self.limits.idle_days * 86_400
        old = [folder for folder, _, used in self._all_sessions() if used < cutoff]
        for folder in old:
            shutil.rmtree(folder, ignore_errors=True)
            try:
                folder.parent.rmdir()  # only when empty
            except OSError:
                pass
        if old:
            log.info("deleted %d labelling sessions idle for %g days", len(old), self.limits.idle_days)
        return len(old)

    def usage(self) -> tuple[int, int]:
        """(sessions, bytes) stored for all visitors together."""
        found = [size for _, size, _ in self._all_sessions()]
        return len(found), sum(found)

    def _check_room(self, adding: int) -> None:
        """Refuse a new session of ``adding`` bytes when every visitor's together would pass the limits."""
        limits = self.limits
        count, used = self.usage()
        if count >= limits.max_sessions or used + adding > limits.max_bytes:
            raise LabellingError(
                f"This server's labelling storage is full ({count:,} sessions, {used / 1e6:,.0f} MB; its limits are "
                f"{limits.max_sessions:,} sessions and {limits.max_bytes / 1e6:,.0f} MB for all visitors), so no new "
                f"session can start now. Your sessions are kept; sessions unused for {limits.idle_days:g} days are "
                "deleted. Try again later" + (", or label a smaller file." if count < limits.max_sessions else "."))

    def create(self, key: str, name: str, items: pd.DataFrame, labels: list[str],
               answers: dict[int, list[str]] | None = None) -> Session:
        """A new session of ``items`` (a ``text`` column, optionally ``weight``) to label with ``labels``."""
        if not labels:
            raise LabellingError("Name at least one label to label the comments with.")
        if len(items) > MAX_ITEMS:
            raise LabellingError(f"A labelling session holds at most {MAX_ITEMS:,} comments; choose fewer.")
        visitor = self._visitor(key)
        columns = ["text", *([WEIGHT] if WEIGHT in items.columns else [])]
        kept = items[columns].reset_index(drop=True)
        lines = kept.to_json(orient="records", lines=True, force_ascii=False)
        with _CREATE:
            if len(self.sessions(key)) >= self.limits.per_visitor:
                raise LabellingError(f"You have {self.limits.per_visitor} labelling sessions; download and delete one "
                                     "first.")
            self.sweep()
            self._check_room(len(lines.encode()))
            folder = visitor / uuid.uuid4().hex
            try:
                folder.mkdir(parents=True)
                replace_atomically(folder / "items.jsonl", lambda tmp: tmp.write_text(lines, encoding="utf-8"),
                                   suffix=".jsonl")
                write_json(folder / "meta.json",
                           {"name": name[:80], "labels": labels, "rows": len(kept), "created": time.time()})
                session = Session(folder)
                if answers:
                    session._write_answers({i: [n for n in chosen if n in labels] for i, chosen in answers.items()
                                            if 0 <= i < len(kept)})
            except OSError as err:
                shutil.rmtree(folder, ignore_errors=True)
                log.warning("labelling session not created: %s", err)
                raise LabellingError("The session could not be stored on this server (its disk may be full); "
                                     "try again later.") from None
        return session

    def delete(self, key: str, session: str) -> None:
        shutil.rmtree(self.open(key, session).folder)
