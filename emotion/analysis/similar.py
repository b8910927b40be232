"""Similar training comments, by the model's own pooled embedding (what its classifier head reads).

The embeddings of the training comments are built once per weights and backend and cached beside
the checkpoint (``Checkpoint.derived_file``; ids and vectors only, never texts: those are read from
the data folder at run time). A query is one forward pass and an exact cosine top-k over 43k x 384.

Building the index takes minutes on two cores, so ``IndexBuild`` runs it in a child process at the
lowest CPU priority: the server's own forward passes (and its tokenizer lock) are never held by it,
and the child writes its progress beside the cache after every chunk.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..serve.backends import BackendError, files_tag
from ..data import load_split
from ..errors import EmotionError
from ..files import replace_atomically, write_json
from ..logs import setup_logging
from ..serve.predict import EmotionClassifier

log = logging.getLogger(__name__)
KIND = "train-embeddings"  # the cache's kind (Checkpoint.derived_file)
CHUNK = 1024  # comments embedded between two progress reports
RETRY_AFTER_S = 60  # a failed build is tried again by a request no sooner than this


class Embedder:
    """Unit-length pooled embeddings of texts, as the classifier reads them."""

    def __init__(self, classifier: EmotionClassifier) -> None:
        self.classifier = classifier.members[0] if classifier.members else classifier
        try:
            self._run = self.classifier.output_runner("pooled")
        except BackendError as err:
            raise BackendError(f"{err} Use --backend torch for similar comments.") from err
        self.width = int(self.classifier.checkpoint.config["hidden_size"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = self.classifier.run_texts(self._run, texts, self.width, logits=False)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class Neighbour:
    index: int  # row in the training split
    similarity: float


class Index:
    """The training comments' embeddings (ids, unit vectors), cached per weights and backend."""

    def __init__(self, ids: list[str], vectors: np.ndarray) -> None:
        self.ids, self.vectors = ids, vectors.astype(np.float32)

    @classmethod
    def load(cls, path: Path, ids: Sequence[str]) -> Index | None:
        """The cached index in ``path`` when it holds exactly ``ids``, else None."""
        if not path.is_file():
            return None
        try:
            with np.load(path) as stored:
                if list(stored["ids"]) == list(ids):
                    return cls(list(ids), stored["vectors"])
        except (OSError, ValueError, KeyError) as err:  # a damaged cache is rebuilt, not fatal
            log.warning("The cached embeddings in %s cannot be read (%s); building them again", path, err)
            return None
        log.info("The cached embeddings in %s are of other comments; building them again", path)
        return None

    @classmethod
    def load_or_build(cls, classifier: EmotionClassifier, ids: Sequence[str], texts: Sequence[str],
                      embedder: Embedder | None = None, progress=None) -> Index:
        """The cached index, or one built here now (``progress(done, total)`` after each chunk)."""
        path = cache_file(classifier)
        found = cls.load(path, ids)
        if found is not None:
            return found
        log.info("Embedding %d training comments with %s (once; cached in %s)", len(texts), classifier.backend, path)
        embedder = embedder or Embedder(classifier)
        parts = []
        for start in range(0, len(texts), CHUNK):
            parts.append(embedder.embed(texts[start:start + CHUNK]))
            if progress is not None:
                progress(start + len(parts[-1]), len(texts))
        vectors = (np.vstack(parts) if parts else np.zeros((0, embedder.width))).astype(np.float16)
        replace_atomically(path, lambda tmp: np.savez(tmp, ids=np.asarray(ids), vectors=vectors), suffix=".npz")
        return cls(list(ids), vectors)

    def nearest(self, vector: np.ndarray, k: int) -> list[Neighbour]:
        # einsum's single-threaded loop, not BLAS: this product is bound by memory, and BLAS's threads,
        # woken right after ONNX Runtime's (the query's embedding), contended with them on two cores
        # (embed + search: 11 ms against 14-16 ms).
        similarity = np.einsum("ij,j->i", self.vectors, vector.astype(np.float32))
        k = min(k, len(similarity))
        top = np.argpartition(-similarity, k - 1)[:k] if k else np.array([], dtype=int)
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [Neighbour(int(i), float(similarity[i])) for i in top]


class IndexBuildError(EmotionError, RuntimeError):
    """The index of training comments could not be built; the message says why."""


def cache_file(classifier: EmotionClassifier) -> Path:
    """Where the index of ``classifier``'s embeddings of the training comments is cached: by its weights and
    its backend's graph (an int8 graph with other fp32 roles embeds differently)."""
    return classifier.checkpoint.derived_file(KIND, files_tag(classifier.checkpoint, classifier.backend))


def progress_file(cache: Path) -> Path:
    return cache.with_name(cache.stem + ".progress.json")


def build_in_child(checkpoint: str, backend: str, data_dir: str | None) -> None:
    """What the child process runs: embed the training split at the lowest priority, report progress
    after each chunk, cache the index atomically; a failure is written to the progress file."""
    setup_logging()
    os.nice(19)  # the server's requests come first; this only takes the cores they leave idle
    progress = None
    try:
        classifier = EmotionClassifier(checkpoint, backend=backend)
        progress = progress_file(cache_file(classifier))
        started = time.time()
        train = load_split("train", data_dir)
        Index.load_or_build(classifier, [str(i) for i in train["id"]], list(train["text"]), progress=lambda done, total:
                            write_json(progress, {"done": done, "total": total, "started": started}))
    except Exception as err:  # noqa: BLE001 - the parent reports it; a traceback helps no visitor
        log.error("Could not build the index of training comments: %s", err)
        if progress is not None:
            write_json(progress, {"error": str(err)})
        raise SystemExit(1) from None


class IndexBuild:
    """The training comments' index, built once in a child process at the lowest CPU priority.

    ``poll()`` returns the index once it is ready, None while it is being built (``status()`` says how
    far), and raises IndexBuildError when the build failed (tried again on a later poll, after a pause).
    """

    def __init__(self, classifier: EmotionClassifier, backend: str, data_dir: str | None, ids: Sequence[str]) -> None:
        self.path = cache_file(classifier)
        self.progress = progress_file(self.path)
        self._args = (str(classifier.checkpoint.path), backend, data_dir)
        self.ids = list(ids)
        self.index = Index.load(self.path, self.ids)
        self._process = None
        self._failed_at = 0.0

    def poll(self) -> Index | None:
        if self.index is not None:
            return self.index
        if self._process is not None and not self._process.is_alive():
            self._process.join()
            code, self._process = self._process.exitcode, None
            self.index = Index.load(self.path, self.ids)
            if self.index is not None:
                log.info("The index of training comments is ready (%s)", self.path)
                return self.index
            self._failed_at = time.monotonic()
            raise IndexBuildError(f"The index of training comments could not be built: {self._error() or f'exit code {code}'}. "
                                  f"It is tried again on a request after {RETRY_AFTER_S} s.")
        if self._process is None:
            if time.monotonic() - self._failed_at < RETRY_AFTER_S:
                raise IndexBuildError(f"The index of training comments could not be built: {self._error() or 'see the server log'}.")
            self._start()
        return None

    def _start(self) -> None:
        self.progress.unlink(missing_ok=True)
        # spawn, not fork: the server's threads (and ONNX Runtime's pool) must not be copied mid-flight.
        self._process = multiprocessing.get_context("spawn").Process(
            target=build_in_child, args=self._args, name="similar-index", daemon=True)
        self._process.start()
        log.info("Indexing %d training comments in a background process (pid %s, lowest priority)",
                 len(self.ids), self._process.pid)

    def _read(self) -> dict:
        try:
            return json.loads(self.progress.read_text())
        except (OSError, ValueError):
            return {}

    def _error(self) -> str:
        return str(self._read().get("error", ""))

    def status(self) -> str:
        """How far the build is, in words, with the time left when it can be told."""
        state = self._read()
        done, total = int(state.get("done", 0)), int(state.get("total", len(self.ids)) or 1)
        line = f"The {total:,} training comments are being indexed, once (cached afterwards): {done:,} done ({done / total:.0%})"
        if done:
            left = (time.time() - float(state.get("started", time.time()))) * (total - done) / done
            line += f", about {left / 60:.0f} min left" if left >= 60 else f", about {left:.0f} s left"
        else:
            line += ", starting"
        return line + ". Ask again then; predictions and explanations go on meanwhile."


def label_agreement(labels: Sequence[int], neighbour_labels: Sequence[Sequence[int]], weights: Sequence[float]) -> float:
    """How far the neighbours' labels agree with ``labels``: their similarity-weighted mean Jaccard
    overlap, 0 (no neighbour shares a label) to 1 (all carry exactly these). Low agreement on a gold
    label set flags a comment whose labels may be wrong, or that is unlike the training data."""
    mine = set(labels)
    if not neighbour_labels:
        return float("nan")
    overlap = [len(mine & set(n)) / max(len(mine | set(n)), 1) for n in neighbour_labels]
    w = np.clip(np.asarray(weights, dtype=np.float64), 1e-6, None)
    return float(np.average(overlap, weights=w))
