"""What the app's handlers share: the checkpoint and the test set, each loaded once, lazily."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import checkpoint as ckpt
from ..data import DataError, load_split, multi_hot
from ..predict import EmotionClassifier
from ..thresholds import Thresholds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TestSet:
    """The test split joined by comment id with the checkpoint's probabilities."""

    ids: list[str]
    texts: list[str]
    y_true: np.ndarray  # (N, L) multi-hot
    probs: np.ndarray  # (N, L)
    train_counts: np.ndarray | None  # (L,) positives per label in train, when train could be read


class DataUnavailable(RuntimeError):
    """The test set cannot be shown; the message says what is missing and how to provide it."""


def data_hint(data_dir: str | None) -> str:
    where = f"from {data_dir}" if data_dir else "(no --data_dir or GOEMOTIONS_DIR given, and the Hub did not answer)"
    return (f"The GoEmotions test set could not be loaded {where}. Start the app with the data folder, e.g. "
            "`python app.py --data_dir ../shared/data/goemotions`; the Predict tab works without it.")


class AppContext:
    def __init__(
        self, checkpoint: str | os.PathLike, data_dir: str | None = None, device: str | None = None,
        backend: str = "auto",
    ):
        self.checkpoint = Path(checkpoint)
        self.data_dir = data_dir
        self.device = device
        self.backend = backend
        self._lock = threading.Lock()
        self._test: TestSet | None = None
        self._test_error: str | None = None
        self._memo: dict = {}

    def load(self) -> None:
        """Load the model and thresholds now (about a second): a damaged checkpoint then stops the
        start with a clear message instead of failing on the first click."""
        _ = self.classifier

    @cached_property
    def classifier(self) -> EmotionClassifier:
        return EmotionClassifier(self.checkpoint, device=self.device, backend=self.backend)

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    @property
    def thresholds(self) -> Thresholds | None:
        """What the model's live answers use (tuned on the running backend's dev probabilities)."""
        return self.classifier.thresholds

    @property
    def test_thresholds(self) -> Thresholds | None:
        """What the analysis tabs use: tuned on torch's dev probabilities, like the stored test ones."""
        return self.classifier.torch_thresholds

    @cached_property
    def metadata(self) -> dict:
        out = {}
        for name in (ckpt.METRICS, ckpt.TRAINING_CONFIG, ckpt.INFERENCE):
            path = self.checkpoint / name
            out[name] = ckpt.read_json(path) if path.is_file() else {}
        return out

    def memo(self, key, make):
        """Compute once per app: results that depend only on the test set and ``key``."""
        if key not in self._memo:
            if len(self._memo) > 64:  # slider positions are many; keep memory bounded
                self._memo.clear()
            self._memo[key] = make()
        return self._memo[key]

    def threshold_values(self, policy: str, value: float, tuned: Thresholds | None) -> np.ndarray:
        """One threshold per label for a UI policy: 'per-class' (``tuned``) or 'global' (the slider)."""
        if policy == "per-class" and tuned is not None:
            return tuned.array(self.labels)
        return np.full(len(self.labels), float(value))

    def test_set(self, progress=None) -> TestSet:
        """Load once; later calls return the same object or raise the same DataUnavailable."""
        with self._lock:
            if self._test is None and self._test_error is None:
                try:
                    self._test = self._load_test(progress)
                except DataError as err:
                    self._test_error = f"{err}\n\n{data_hint(self.data_dir)}"
            if self._test_error:
                raise DataUnavailable(self._test_error)
            return self._test

    def _load_test(self, progress) -> TestSet:
        test = load_split("test", self.data_dir)
        ids, texts = [str(i) for i in test["id"]], list(test["text"])
        probs = self._stored_probabilities(ids, texts, progress)
        try:
            train_counts = multi_hot(load_split("train", self.data_dir)["labels"], len(self.labels)).sum(0)
        except DataError:
            train_counts = None
        return TestSet(ids, texts, multi_hot(test["labels"], len(self.labels)), probs, train_counts)

    def _stored_probabilities(self, ids: list[str], texts: list[str], progress) -> np.ndarray:
        path = self.checkpoint / ckpt.probabilities_file("test")
        fingerprint = ckpt.weights_fingerprint(self.checkpoint)
        try:
            stored_ids, probs = ckpt.load_probabilities(path, self.labels, fingerprint)
            row = {cid: i for i, cid in enumerate(stored_ids)}
            if all(cid in row for cid in ids):
                return probs[[row[cid] for cid in ids]]
            reason = "it lacks some test ids"
        except (ckpt.CheckpointError, FileNotFoundError) as err:
            reason = str(err)
        log.warning("Recomputing test probabilities (%s); caching them in %s", reason, path)
        probs = self._compute(texts, progress)
        try:
            ckpt.save_probabilities(path, ids, probs, self.labels, fingerprint)
        except OSError as err:  # a read-only checkpoint still works, just without the cache
            log.warning("Could not cache probabilities in %s: %s", path, err)
        return probs

    def _compute(self, texts: list[str], progress, chunk: int = 256) -> np.ndarray:
        from tqdm.auto import tqdm

        # Stored probabilities are torch's, whatever backend answers live: the analysis tabs pair
        # them with torch's thresholds, and training and scripts read the same file.
        classifier = self.classifier
        if classifier.backend != "torch":
            classifier = EmotionClassifier(self.checkpoint, device=self.device, backend="torch")
        parts = []
        with tqdm(total=len(texts), desc="Scoring the test set", unit="comment") as bar:
            for start in range(0, len(texts), chunk):
                parts.append(classifier.predict_probabilities(texts[start : start + chunk]))
                bar.update(len(parts[-1]))
                if progress is not None:
                    progress(bar.n / len(texts), desc="Scoring the test set once (cached afterwards)")
        return np.vstack(parts) if parts else np.zeros((0, len(self.labels)), dtype=np.float32)
