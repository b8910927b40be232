"""What the app's handlers share: the checkpoint and the test set, each loaded once, lazily."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..serve.backends import REFERENCE, is_reference, torch_available
from ..checkpoint import Checkpoint
from ..data import DataError, LabelledSet, label_counts, load_split, load_test_set
from ..profiles.labelling import Store
from ..serve.predict import EmotionClassifier
from ..analysis.similar import Embedder, IndexBuild, IndexBuildError
from ..thresholds import Thresholds, resolve

log = logging.getLogger(__name__)
RETRY_S = 5.0  # a test set that could not be loaded (a missing data folder) is looked for again after this long


@dataclass(frozen=True)
class Split:
    """A split as read from the data folder (never stored elsewhere): similar comments, the audit's texts."""

    ids: list[str]
    texts: list[str]
    labels: list[list[int]]


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


class Model:
    """The checkpoint, the classifier that answers live, and the thresholds each surface uses."""

    def __init__(self, checkpoint: Checkpoint, device: str | None, backend: str, profile: str | None) -> None:
        self.checkpoint, self.device, self.backend, self.profile = checkpoint, device, backend, profile

    @cached_property
    def classifier(self) -> EmotionClassifier:
        return EmotionClassifier(self.checkpoint, device=self.device, backend=self.backend, profile=self.profile)

    @property
    def labels(self) -> list[str]:
        """The model's labels (a profile's new labels are on ``classifier.labels``)."""
        return self.checkpoint.labels

    @property
    def plain(self) -> EmotionClassifier:
        """The classifier with the checkpoint's own thresholds: what a profile is fitted on."""
        return self.classifier.without_profile()

    @property
    def thresholds(self) -> Thresholds | None:
        """What the live answers use (``Thresholds.source`` says whose)."""
        return self.classifier.thresholds

    @property
    def test_thresholds(self) -> Thresholds | None:
        """What the analysis tabs use: tuned on torch's dev probabilities, like the stored test ones."""
        return self.classifier.torch_thresholds

    def thresholds_at(self, setting: str | float) -> np.ndarray:
        """What the analysis tabs use at a setting ("per_class", "global" or a number): one threshold per label,
        by ``thresholds.resolve`` from ``test_thresholds``."""
        return resolve(setting, self.test_thresholds, self.labels)

    def score(self, texts: list[str], classifier: EmotionClassifier | None = None) -> np.ndarray:
        """Probabilities of each comment scored on its own: int8 graphs scale activations per batch,
        so a comment gets the same answer here whether it came alone or in a batch. ``classifier``: a
        visitor's (``with_profile``), else the app's."""
        classifier = classifier or self.classifier
        if not texts:
            return np.zeros((0, len(classifier.labels)), dtype=np.float32)
        return np.vstack([classifier.predict_probabilities([text]) for text in texts])

    @cached_property
    def audit(self):
        """The checkpoint's label-quality audit and what it says of itself, or (None, why there is none)."""
        return self.checkpoint.audit()


class Data:
    """The data folder's splits, each read once, and the test set joined with the stored probabilities;
    results that depend only on the test set are memoised here."""

    def __init__(self, model: Model, data_dir: str | None) -> None:
        self.model, self.data_dir = model, data_dir
        self._lock = threading.Lock()
        self._test: TestSet | None = None
        self._test_error: str | None = None
        self._failed_at = 0.0  # time.monotonic() of the last failed load
        self._memo: dict = {}
        self._splits: dict[str, Split] = {}  # read once each; not part of the bounded memo

    def memo(self, key, make):
        """Compute once per app: results that depend only on the test set and ``key``."""
        if key not in self._memo:
            if len(self._memo) > 64:  # slider positions are many; keep memory bounded
                self._memo.clear()
            self._memo[key] = make()
        return self._memo[key]

    @property
    def train_set(self) -> Split:
        return self.split("train")

    def split(self, name: str) -> Split:
        """A split's ids, texts and label ids from the data folder, read once."""
        if name not in self._splits:
            try:
                data = load_split(name, self.data_dir)
            except DataError as err:
                raise DataUnavailable(f"{err}\n\n{data_hint(self.data_dir).replace('test set', name + ' split')}") from None
            self._splits[name] = Split([str(i) for i in data["id"]], list(data["text"]), [list(x) for x in data["labels"]])
        return self._splits[name]

    @property
    def loaded(self) -> bool:
        """Whether the test set is loaded (a view shown without it is computed again next time)."""
        return self._test is not None

    def test_set(self, progress=None) -> TestSet:
        """Load once; later calls return the same object. A failed load raises DataUnavailable, and is tried
        again at most every ``RETRY_S`` seconds: a data folder that comes back is found without a restart."""
        with self._lock:
            if self._test is None and (self._test_error is None or time.monotonic() - self._failed_at >= RETRY_S):
                try:
                    self._test, self._test_error = self._load_test(progress), None
                except DataError as err:
                    self._test_error, self._failed_at = f"{err}\n\n{data_hint(self.data_dir)}", time.monotonic()
            if self._test is None:
                raise DataUnavailable(self._test_error)
            return self._test

    def _load_test(self, progress) -> TestSet:
        test = load_test_set(self.data_dir, self.model.checkpoint,
                             fallback=lambda found, why: self._recompute(found, why, progress))
        try:
            train_counts = label_counts("train", self.data_dir, len(self.model.labels))
        except DataError:
            train_counts = None
        return TestSet(test.ids, test.texts, test.y_true, test.probs, train_counts)

    def _recompute(self, test: LabelledSet, reason: str, progress) -> np.ndarray:
        """The test probabilities when the stored ones cannot be read (``reason``): computed once and cached."""
        checkpoint = self.model.checkpoint
        if not torch_available():
            raise DataError(f"{reason} Recomputing them needs PyTorch (`pip install -r requirements-train.txt`).")
        log.warning("Recomputing test probabilities (%s); caching them in %s", reason, checkpoint.path)
        probs = self._compute(test.texts, progress)
        try:
            checkpoint.save_probabilities("test", test.ids, probs)
        except OSError as err:  # a read-only checkpoint still works, just without the cache
            log.warning("Could not cache the test probabilities in %s: %s", checkpoint.path, err)
        return probs

    def _compute(self, texts: list[str], progress, chunk: int = 256) -> np.ndarray:
        from tqdm.auto import tqdm

        # Stored probabilities are torch's, whatever backend answers live: the analysis tabs pair
        # them with torch's thresholds, and training and scripts read the same file.
        classifier = self.model.classifier
        if not is_reference(classifier.backend):
            classifier = EmotionClassifier(self.model.checkpoint, device=self.model.device, backend=REFERENCE)
        parts = []
        with tqdm(total=len(texts), desc="Scoring the test set", unit="comment") as bar:
            for start in range(0, len(texts), chunk):
                parts.append(classifier.predict_probabilities(texts[start : start + chunk]))
                bar.update(len(parts[-1]))
                if progress is not None:
                    progress(bar.n / len(texts), desc="Scoring the test set once (cached afterwards)")
        return np.vstack(parts) if parts else np.zeros((0, len(self.model.labels)), dtype=np.float32)


class Neighbours:
    """The similar-comments index of the training comments, built once in a child process."""

    def __init__(self, model: Model, data: Data) -> None:
        self.model, self.data = model, data
        self._lock = threading.Lock()
        self._build: IndexBuild | None = None  # once the train split is read

    def index(self):
        """The index of the training comments, or None while a child process builds it (once, minutes on
        two cores; ``status()`` says how far). Raises DataUnavailable when there is no train split
        (asked again on the next call, so a data folder that comes back is found) or the build failed."""
        with self._lock:
            if self._build is None:
                self._build = IndexBuild(self.model.classifier, self.model.backend, self.data.data_dir,
                                         self.data.train_set.ids)
            try:
                return self._build.poll()
            except IndexBuildError as err:
                raise DataUnavailable(str(err)) from None

    def status(self) -> str:
        return self._build.status() if self._build is not None else ""

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder(self.model.classifier)


class AppContext:
    """What the app's handlers share, one object per job: ``model`` (the checkpoint, the live classifier,
    thresholds), ``data`` (the splits and the test set) and ``neighbours`` (the index of training comments)."""

    def __init__(
        self, checkpoint: str | os.PathLike, data_dir: str | None = None, device: str | None = None,
        backend: str = "auto", profile: str | None = None, index_at_start: bool = False,
    ):
        self.model = Model(Checkpoint.open(checkpoint), device, backend, profile)
        self.data = Data(self.model, data_dir)
        self.neighbours = Neighbours(self.model, self.data)
        self.labelling = Store()  # labelling sessions, under $EMOTION_LABELLING_DIR or the user's cache
        self.index_at_start = index_at_start  # build the index in the background at start-up, not on first use

    def load(self) -> None:
        """Load the model and thresholds now (about a second): a damaged checkpoint then stops the
        start with a clear message instead of failing on the first click. The test set loads in the
        background, so the page is up at once and the test-set tabs seldom wait for it."""
        _ = self.model.classifier
        threading.Thread(target=self._preload, name="test-set", daemon=True).start()

    def _preload(self) -> None:
        try:
            self.data.test_set()
            if self.index_at_start:
                self.neighbours.index()
        except DataUnavailable:
            pass  # the test-set tabs say what is missing when opened
