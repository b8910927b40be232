"""``EmotionClassifier``: load a checkpoint once, predict one comment or many."""

from __future__ import annotations

import os
import threading
from itertools import chain
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.special import expit

from . import backends
from . import checkpoint as ckpt
from .backends import Runner
from .labels import labels_from_config
from .thresholds import Thresholds

DEFAULT_MAX_LENGTH = 128


@dataclass(frozen=True)
class Prediction:
    text: str
    probabilities: dict[str, float]  # every label, in the model's label order
    labels: list[str]  # labels at or above their threshold, most probable first
    top: list[tuple[str, float]]  # the k most probable labels


def labels_above(probs: np.ndarray, thresholds: np.ndarray, labels: Sequence[str]) -> list[str]:
    """Labels at or above their threshold, most probable first."""
    return [labels[i] for i in np.argsort(-probs, kind="stable") if probs[i] >= thresholds[i]]


def pick_device(device: str | None = None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def length_sorted_batches(
    tokenizer, texts: Sequence[str], max_length: int, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(positions, input_ids, attention_mask) batches of similar length, so padding stays small.

    The texts go through the Rust tokenizer in one call; each batch is padded with one masked
    numpy assignment.
    """
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    order = np.argsort(lengths, kind="stable")
    pad = tokenizer.pad_token_id or 0
    for start in range(0, len(ids), batch_size):
        positions = order[start : start + batch_size]
        width = int(lengths[positions].max())
        mask = np.arange(width) < lengths[positions, None]
        input_ids = np.full(mask.shape, pad, dtype=np.int64)
        input_ids[mask] = np.fromiter(chain.from_iterable(ids[i] for i in positions), dtype=np.int64,
                                      count=int(lengths[positions].sum()))
        yield positions, input_ids, mask.astype(np.int64)


def predict_probabilities(
    run: Runner, tokenizer, texts: Sequence[str], num_labels: int, max_length: int = DEFAULT_MAX_LENGTH,
    batch_size: int = 64,
) -> np.ndarray:
    """Sigmoid probabilities (N, num_labels) in input order, from any backend's runner."""
    texts = list(texts)
    out = np.zeros((len(texts), num_labels), dtype=np.float32)
    if not texts:
        return out
    for positions, input_ids, mask in length_sorted_batches(tokenizer, texts, max_length, batch_size):
        logits = run(input_ids, mask).astype(np.float32)
        out[positions] = expit(logits)
    return out


def _load_part(path: Path, what: str, load, **kwargs):
    """Load one part of a checkpoint; a damaged part raises CheckpointError naming its file."""
    try:
        return load(path, **kwargs)
    except Exception as err:  # transformers and safetensors raise many types for a damaged file
        raise ckpt.CheckpointError(
            f"Could not load {what} in {path}: {err}. Re-train the model, or restore the shipped one with "
            "`git checkout -- checkpoints/`."
        ) from err


class EmotionClassifier:
    """A fine-tuned checkpoint with its labels and tuned thresholds, loaded once.

    ``backend``: ``"auto"`` (the one chosen on dev and recorded in the checkpoint, else torch),
    ``"torch"``, ``"onnx"`` or ``"onnx-int8"``. ONNX files are built on first use and cached.
    ``threads``: ONNX Runtime's threads (default: the cores this process may use).
    ``thresholds`` are the ones its answers use: for an ONNX backend, those tuned on that backend's own
    dev probabilities when ``inference.json`` records them; ``torch_thresholds`` (``thresholds.json``)
    go with the probabilities stored in the checkpoint.
    """

    def __init__(
        self, path: str | os.PathLike, device: str | None = None, batch_size: int = 64,
        max_length: int | None = None, backend: str = backends.AUTO, threads: int | None = None,
    ) -> None:
        from transformers import AutoConfig, AutoTokenizer

        self.path = ckpt.check_folder(path)
        self.device = pick_device(device)
        if not 1 <= batch_size <= 1024:
            raise ValueError(f"batch_size must be between 1 and 1024, got {batch_size}.")
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model: torch.nn.Module | None = None
        self.config = _load_part(self.path, "config.json", AutoConfig.from_pretrained)
        self.tokenizer = _load_part(self.path, "the tokenizer files", AutoTokenizer.from_pretrained)
        self.labels: list[str] = labels_from_config(self.config)
        config_file = self.path / ckpt.TRAINING_CONFIG
        config = ckpt.read_json(config_file) if config_file.is_file() else {}
        self.max_length = max_length or int(config.get("max_length", DEFAULT_MAX_LENGTH))
        thresholds_file = self.path / ckpt.THRESHOLDS
        # Tuned on torch's dev probabilities: they match the probabilities stored beside the weights.
        self.torch_thresholds: Thresholds | None = (
            Thresholds.load(thresholds_file, self.labels) if thresholds_file.is_file() else None
        )
        backend = backends.check_backend(backend)
        if backend == backends.AUTO:
            # ONNX Runtime is set up here for CPU; a GPU is faster with torch.
            backend = backends.default_backend(self.path) if self.device.type == "cpu" else "torch"
        if backend != "torch" and self.device.type != "cpu":
            raise backends.BackendError(f"The {backend} backend runs on the CPU; pass device='cpu' or use torch.")
        self.backend = backend
        # What this classifier's answers use: thresholds tuned on this backend's own dev probabilities
        # when the backend choice recorded them, else torch's.
        own = backends.recorded_thresholds(self.path, backend) if backend != "torch" else None
        self.thresholds: Thresholds | None = (
            Thresholds.from_dict(own, self.labels, source=f"{self.path / ckpt.INFERENCE} ({backend})")
            if own is not None and self.torch_thresholds is not None else self.torch_thresholds
        )
        if backend == "torch":
            self._run: Runner = backends.torch_runner(self.model)
        else:
            onnx_path = backends.onnx_file(self.path, backend, lambda: self.model)
            self._run = _load_part(onnx_path, f"the {backend} model", backends.onnx_runner, threads=threads)

    @property
    def model(self) -> torch.nn.Module:
        """The PyTorch model, loaded on first use (the ONNX backends need it only to export)."""
        if self._model is None:
            from transformers import AutoModelForSequenceClassification

            weights = next(name for name in ckpt.WEIGHTS if (self.path / name).is_file())
            # Weights may be stored in half precision to keep the checkpoint small; compute in fp32.
            model = _load_part(self.path, weights, AutoModelForSequenceClassification.from_pretrained,
                               dtype=torch.float32)
            self._model = model.to(self.device).eval()
        return self._model

    @property
    def name(self) -> str:
        return Path(self.path).name

    def predict_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        # The Rust tokenizer is not safe to reconfigure from several threads (the app serves
        # requests on a thread pool), and two cores gain nothing from parallel forward passes.
        with self._lock:
            return predict_probabilities(
                self._run, self.tokenizer, texts, len(self.labels), self.max_length, self.batch_size
            )

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self.tokenizer(text, truncation=False)["input_ids"])

    def threshold_array(self, threshold: float | str | None = None) -> np.ndarray:
        """Resolve a threshold choice to one value per label.

        ``None``: the tuned per-class thresholds (0.5 when the checkpoint has none); ``"per_class"``
        or ``"global"``: the tuned ones; a float: that value for every label.
        """
        if isinstance(threshold, (int, float)) and not isinstance(threshold, bool):
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"threshold must lie in [0, 1], got {threshold}.")
            return np.full(len(self.labels), float(threshold))
        if threshold not in (None, "per_class", "global"):
            raise ValueError(f"threshold must be a number, 'global' or 'per_class'; got {threshold!r}.")
        if self.thresholds is None:
            if threshold is not None:
                raise ValueError(f"{self.path} has no {ckpt.THRESHOLDS}; pass a number instead.")
            return np.full(len(self.labels), 0.5)
        if threshold == "global":
            return np.full(len(self.labels), self.thresholds.global_threshold)
        return self.thresholds.array(self.labels)

    def predict(
        self, texts: str | Sequence[str], threshold: float | str | None = None, top_k: int = 3
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
