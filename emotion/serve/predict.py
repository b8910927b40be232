"""``EmotionClassifier``: load a checkpoint once, predict one comment or many."""

from __future__ import annotations

import copy
import os
import threading
import warnings
from itertools import chain
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit

from . import backends, windows
from ..profiles import heads
from ..profiles.profile import FeatureStamp, Profile
from .backends import BackendError, Runner
from ..checkpoint import DEFAULT_CHECKPOINT, DEFAULT_MAX_LENGTH, Checkpoint, CheckpointError
from ..errors import EmotionError
from ..text import normalizer
from ..thresholds import ThresholdChoice, ThresholdError, Thresholds, describe, resolve
from ..tokenizer import Tokenizer


@dataclass(frozen=True)
class Prediction:
    text: str
    probabilities: dict[str, float]  # every label, in the model's label order
    labels: list[str]  # labels at or above their threshold, most probable first
    top: list[tuple[str, float]]  # the k most probable labels


def labels_above(probs: np.ndarray, thresholds: np.ndarray, labels: Sequence[str]) -> list[str]:
    """Labels at or above their threshold, most probable first."""
    return [labels[i] for i in np.argsort(-probs, kind="stable") if probs[i] >= thresholds[i]]


GPU_DRIVERS = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")  # NVIDIA, AMD ROCm, WSL


def pick_device(device: str | None = None) -> str:
    """The device torch runs on: as asked, else CUDA when PyTorch sees a GPU, else the CPU. PyTorch is
    imported to ask only where a GPU driver is present: importing it takes seconds of an app's start."""
    if device or not backends.torch_available() or not any(map(os.path.exists, GPU_DRIVERS)):
        return str(device or "cpu")
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def length_sorted_batches(
    tokenizer, texts: Sequence[str], max_length: int, batch_size: int
) -> tuple[np.ndarray, Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """(owner of each window, its batches): every text cut into windows of at most ``max_length`` tokens
    (``windows.split``), and (positions, input_ids, attention_mask) batches of windows of similar length, so
    padding stays small; ``positions`` index the windows.

    The texts go through the Rust tokenizer in one call; each batch is padded with one masked
    numpy assignment.
    """
    pieces = [windows.split(one, max_length) for one in tokenizer.encode(texts)]
    owner = np.repeat(np.arange(len(pieces)), [len(p) for p in pieces])
    ids = [window for p in pieces for window in p]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    order = np.argsort(lengths, kind="stable")
    pad = tokenizer.pad_token_id or 0

    def batches() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for start in range(0, len(ids), batch_size):
            positions = order[start : start + batch_size]
            width = int(lengths[positions].max())
            mask = np.arange(width) < lengths[positions, None]
            input_ids = np.full(mask.shape, pad, dtype=np.int64)
            input_ids[mask] = np.fromiter(chain.from_iterable(ids[i] for i in positions), dtype=np.int64,
                                          count=int(lengths[positions].sum()))
            yield positions, input_ids, mask.astype(np.int64)

    return owner, batches()


def run_batches(
    run: Runner, tokenizer, texts: Sequence[str], width: int, max_length: int = DEFAULT_MAX_LENGTH,
    batch_size: int = 64, logits: int | None = None, neutral: int | None = None,
) -> np.ndarray:
    """``run``'s (N, width) outputs (logits, or pooled embeddings) in input order, batched by length. A text
    longer than ``max_length`` tokens is read in overlapping windows whose outputs combine
    (``windows.combine``): its first ``logits`` columns (default: all) as logits, the rest averaged."""
    texts = list(texts)
    out = np.zeros((len(texts), width), dtype=np.float32)
    if not texts:
        return out
    owner, batches = length_sorted_batches(tokenizer, texts, max_length, batch_size)
    read = np.zeros((len(owner), width), dtype=np.float32)
    for positions, input_ids, mask in batches:
        read[positions] = run(input_ids, mask)
    if len(owner) == len(texts):  # every text fit in one window
        return read
    bounds = np.searchsorted(owner, np.arange(len(texts) + 1))
    logits = width if logits is None else logits
    for i in range(len(texts)):
        out[i] = windows.combine(read[bounds[i]:bounds[i + 1]], logits, neutral)
    return out


def predict_probabilities(
    run: Runner, tokenizer, texts: Sequence[str], num_labels: int, max_length: int = DEFAULT_MAX_LENGTH,
    batch_size: int = 64, neutral: int | None = None,
) -> np.ndarray:
    """Sigmoid probabilities (N, num_labels) in input order, from any backend's runner."""
    return expit(run_batches(run, tokenizer, texts, num_labels, max_length, batch_size, neutral=neutral))


def _load_part(path: Path, what: str, load, **kwargs):
    """Load one part of a checkpoint; a damaged part raises CheckpointError naming its file."""
    try:
        return load(path, **kwargs)
    except EmotionError:
        raise
    except Exception as err:  # transformers and safetensors raise many types for a damaged file
        raise CheckpointError(
            f"Could not load {what} in {path}: {err}. Re-train the model, or restore the shipped one with "
            "`git checkout -- checkpoints/`."
        ) from err


class EmotionClassifier:
    """A checkpoint run by one backend, with the thresholds its answers use; loaded once.

    ``path``: a checkpoint folder (or a ``Checkpoint``). ``backend``: ``"auto"`` (the one chosen on dev
    and recorded in the checkpoint, else the reference, torch) or any registered one (``backends.names()``).
    ``threads``: ONNX Runtime's threads (default: the cores this process may use).
    ``profile``: a ``Profile`` (or the path of ``adapt.py``'s file) to answer with: its thresholds instead of
    the checkpoint's, its heads and new labels (``thresholds=`` is its old, deprecated name).
    ``self.profile`` is it (or None); ``self.reference_thresholds`` are the checkpoint's own tuned thresholds
    for this backend (``Checkpoint.thresholds(backend)``); ``self.thresholds`` are the ones its answers use
    (the profile's, else the reference); ``torch_thresholds`` go with the probabilities stored in the checkpoint.
    """

    def __init__(
        self, path: str | os.PathLike | Checkpoint = DEFAULT_CHECKPOINT, device: str | None = None, batch_size: int = 64,
        max_length: int | None = None, backend: str = backends.AUTO, threads: int | None = None,
        profile: str | os.PathLike | Profile | None = None, thresholds: str | os.PathLike | Thresholds | None = None,
    ) -> None:
        if thresholds is not None:
            warnings.warn("EmotionClassifier(thresholds=...) is deprecated and will be removed in the next release; "
                          "pass profile=... (a Profile or the path of adapt.py's file).", DeprecationWarning,
                          stacklevel=2)
            if profile is not None:
                raise ValueError("give profile=... alone: thresholds=... is its old name.")
            profile = thresholds
        self.profile: Profile | None = None
        self.checkpoint = Checkpoint.open(path)
        self.path = self.checkpoint.path
        if not 1 <= batch_size <= 1024:
            raise ValueError(f"batch_size must be between 1 and 1024, got {batch_size}.")
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model = None
        # The runners of this model's outputs ("logits"; "pooled" and "features" once asked), shared with its
        # ``with_profile`` copies, so a person's profile never loads a second session.
        self._outputs: dict[str, Runner] = {}
        self.labels: list[str] = self.checkpoint.labels  # with a profile's heads, its new labels follow
        # An ensemble answers with the mean of its members' probabilities, each member run as asked.
        self.members = [EmotionClassifier(m, device, batch_size, max_length, backend, threads)
                        for m in self.checkpoint.members]
        if self.members:
            first = self.members[0]
            self.tokenizer, self.normalize, self.max_length, self.device = (
                first.tokenizer, first.normalize, first.max_length, first.device)
            self.backend = "+".join(dict.fromkeys(m.backend for m in self.members))
            self.thresholds = self.reference_thresholds = self.torch_thresholds = self.checkpoint.thresholds()
            self._use_profile(profile)
            return
        self.checkpoint.check_weights()
        self.tokenizer = _load_part(self.path, "the tokenizer files", Tokenizer)
        self.normalize = normalizer(self.checkpoint.text_normalization)
        self.max_length = max_length or self.checkpoint.max_length
        backend = backends.check_backend(backend)
        self.device = pick_device(device)
        if backend == backends.AUTO:
            # ONNX Runtime is set up here for CPU; a GPU is faster with torch.
            backend = backends.default_backend(self.checkpoint) if self.device == "cpu" else backends.REFERENCE
        entry = backends.get(backend)
        if entry.cpu_only and self.device != "cpu":
            raise BackendError(f"The {backend} backend runs on the CPU; pass device='cpu' or use torch.")
        self.backend = backend
        self.reference_thresholds: Thresholds | None = self.checkpoint.thresholds(backend)
        self.thresholds: Thresholds | None = self.reference_thresholds
        self.torch_thresholds: Thresholds | None = (
            self.thresholds if entry.reference else self.checkpoint.thresholds())
        self._onnx, self._threads = None, threads
        self._outputs["logits"] = entry.load(self, threads)
        self._use_profile(profile)

    def load_graph(self, threads: int | None) -> Runner:
        """The runner of this backend's ONNX graph: the shipped file, a cached one, or one exported now."""
        self._onnx = backends.onnx_file(self.checkpoint, self.backend, lambda: self.model)
        return _load_part(self._onnx, f"the {self.backend} model", backends.onnx_runner, threads=threads)[0]

    def _use_profile(self, profile: str | os.PathLike | Profile | Thresholds | None) -> None:
        if profile is None:
            return
        model_labels = self.checkpoint.labels
        loaded = Profile.of(profile, model_labels)
        if loaded.heads:
            if self.members:
                raise ThresholdError(f"{self.path} is an ensemble; a profile with heads reads one model's features. "
                                     "Fit it on one of its members.")
            loaded.check_checkpoint(self.checkpoint)
        if not hasattr(self, "_own"):
            self._own = copy.copy(self)  # the checkpoint's own answers, on the same runners: what a profile fits on
        self.profile, self.thresholds = loaded, loaded.thresholds
        self.labels = loaded.labels(model_labels)

    def without_profile(self) -> "EmotionClassifier":
        """This classifier answering with the checkpoint's own thresholds (a profile fits on these)."""
        return getattr(self, "_own", self)

    def with_profile(self, profile: Profile | None) -> "EmotionClassifier":
        """This classifier answering with ``profile`` (a person's, in the app): the same loaded model and
        runners, its own thresholds, heads and labels."""
        if profile is None:
            return self
        twin = copy.copy(self.without_profile())
        twin._use_profile(profile)
        return twin

    @property
    def heads(self) -> dict:
        """The profile's heads (label -> ``heads.Head``); none without a profile."""
        return self.profile.heads if self.profile is not None else {}

    @property
    def feature_stamp(self) -> FeatureStamp:
        """Whose features a head fitted on this model's reads (``Profile.features``)."""
        return FeatureStamp.of(self.checkpoint)

    @property
    def feature_width(self) -> int:
        """What a head reads: the model's logits, then its pooled embedding."""
        return heads.feature_width(self.checkpoint)

    def describe_thresholds(self, threshold: ThresholdChoice = None) -> str:
        """Which thresholds ``predict(..., threshold)`` applies, in words (``thresholds.describe``)."""
        return describe(threshold, self.thresholds)

    @property
    def model(self):
        """The PyTorch model, loaded on first use (the ONNX backends need it only to export)."""
        if self.members:
            raise BackendError(f"{self.path} is an ensemble: it has no model of its own, only its members'.")
        if self._model is None:
            import torch
            from transformers import AutoModelForSequenceClassification

            # Weights may be stored in half precision to keep the checkpoint small; compute in fp32.
            model = _load_part(self.path, self.checkpoint.weights_file.name,
                               AutoModelForSequenceClassification.from_pretrained, dtype=torch.float32)
            self._model = model.to(self.device).eval()
        return self._model

    @property
    def name(self) -> str:
        return self.checkpoint.name

    def predict_probabilities(self, texts: Sequence[str], together: bool = False) -> np.ndarray:
        """Sigmoid probabilities (N, labels). ``together``: in one forward pass, however many texts: the
        int8 graph scales activations per batch, so texts compared with each other share one."""
        if self.members:
            return np.mean([m.predict_probabilities(texts, together) for m in self.members], axis=0, dtype=np.float32)
        if self.heads:  # the same one forward pass, read a little further
            return heads.apply(self.heads, self.features(texts, together), self.checkpoint.labels, self.labels)
        return expit(self.run_texts(self._run, texts, len(self.labels), max(len(texts), 1) if together else None))

    @property
    def _run(self) -> Runner:
        return self._outputs["logits"]

    def features(self, texts: Sequence[str], together: bool = False) -> np.ndarray:
        """What heads read, (N, labels + hidden): the model's logits, then its pooled embedding."""
        return self.run_texts(self.output_runner("features"), texts, self.feature_width,
                              max(len(texts), 1) if together else None)

    def run_texts(self, run: Runner, texts: Sequence[str], width: int, batch_size: int | None = None,
                  logits: bool = True) -> np.ndarray:
        """``run``'s (N, width) outputs for ``texts`` as this model reads them (normalised; a long one in
        windows), batched by length; ``run`` is this model's runner or another output of it (``output_runner``).
        ``logits``: the outputs start with the labels' logits (the logits and features runners, not pooled)."""
        labels = self.checkpoint.labels
        # The Rust tokenizer is not safe to reconfigure from several threads (the app serves
        # requests on a thread pool), and two cores gain nothing from parallel forward passes.
        with self._lock:
            return run_batches(run, self.tokenizer, list(map(self.normalize, texts)), width, self.max_length,
                               batch_size or self.batch_size, len(labels) if logits else 0,
                               windows.neutral_index(labels))

    def output_runner(self, output: str) -> Runner:
        """A runner of ``"pooled"`` (the pooled embedding the classifier reads) or ``"features"`` (logits, then
        pooled, from one pass), made once. On ONNX both come from one session with the classifier's own
        runner, so one thread pool serves all three."""
        if self.members:
            raise BackendError(f"{self.path} is an ensemble: it has no embedding of its own, only its members'.")
        with self._lock:
            if output not in self._outputs:
                self._outputs.update(self._output_runners())
            return self._outputs[output]

    def _output_runners(self) -> dict[str, Runner]:
        if backends.get(self.backend).pooled_by_model:
            return backends.torch_outputs(self.model)
        if self._onnx is None:
            raise BackendError(f"{self.path} on {self.backend} has no ONNX graph of its own.")
        logits, pooled, both = backends.onnx_runner(backends.with_output(self._onnx, backends.POOLER), self._threads,
                                                    outputs=2)
        return {"logits": logits, "pooled": pooled, "features": both}

    def count_pieces(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text as the model reads it (normalised, no special tokens, not truncated)."""
        if self.members:
            return self.members[0].count_pieces(texts)
        with self._lock:
            return [len(ids) - self.tokenizer.special_tokens for ids in self.tokenizer.encode(list(map(self.normalize, texts)))]

    def known_words(self, text: str) -> tuple[int, int]:
        """(words, words the model's vocabulary holds whole) in ``text``: how English it reads to the model."""
        return self.tokenizer.known_words(self.normalize(text))

    def count_tokens(self, text: str) -> tuple[int, int]:
        """(tokens, unknown tokens) the model would read in ``text`` were it not truncated."""
        if self.members:
            return self.members[0].count_tokens(text)
        with self._lock:
            ids = self.tokenizer.encode([self.normalize(text)])[0]
        return len(ids), ids.count(self.tokenizer.unk_token_id)

    def threshold_array(self, threshold: ThresholdChoice = None) -> np.ndarray:
        """One threshold per label for a choice (see ``thresholds.resolve``), from this backend's thresholds."""
        return resolve(threshold, self.thresholds, self.labels)

    def predict(
        self, texts: str | Sequence[str], threshold: ThresholdChoice = None, top_k: int = 3
    ) -> Prediction | list[Prediction]:
        """Predict one text (returns a Prediction) or a list (returns a list)."""
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        thresholds = self.threshold_array(threshold)
        probs = self.predict_probabilities(batch)
        out = [self._to_prediction(text, p, thresholds, top_k) for text, p in zip(batch, probs)]
        return out[0] if single else out

    def _to_prediction(self, text: str, probs: np.ndarray, thresholds: np.ndarray, top_k: int) -> Prediction:
        order = np.argsort(-probs, kind="stable")
        return Prediction(
            text=text,
            probabilities={name: float(p) for name, p in zip(self.labels, probs)},
            labels=labels_above(probs, thresholds, self.labels),
            top=[(self.labels[i], float(probs[i])) for i in order[:top_k]],
        )
