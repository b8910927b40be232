"""``EmotionClassifier``: load a checkpoint once, predict one comment or many."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import checkpoint as ckpt
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


@torch.inference_mode()
def predict_probabilities(
    model: torch.nn.Module, tokenizer, texts: Sequence[str], max_length: int = DEFAULT_MAX_LENGTH,
    batch_size: int = 64, device: torch.device | None = None,
) -> np.ndarray:
    """Sigmoid probabilities (N, num_labels), in input order; batches are sorted by length so
    that padding stays small."""
    device = device or next(model.parameters()).device
    model.eval()
    texts = list(texts)
    num_labels = model.config.num_labels
    out = np.zeros((len(texts), num_labels), dtype=np.float32)
    if not texts:
        return out
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in idx], truncation=True, max_length=max_length, padding=True, return_tensors="pt"
        ).to(device)
        logits = model(**batch).logits.float()
        out[idx] = torch.sigmoid(logits).cpu().numpy()
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
    """A fine-tuned checkpoint with its labels and tuned thresholds, loaded once."""

    def __init__(
        self, path: str | os.PathLike, device: str | None = None, batch_size: int = 64,
        max_length: int | None = None,
    ) -> None:
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        self.path = ckpt.check_folder(path)
        self.device = pick_device(device)
        if not 1 <= batch_size <= 1024:
            raise ValueError(f"batch_size must be between 1 and 1024, got {batch_size}.")
        self.batch_size = batch_size
        self._lock = threading.Lock()
        weights = next(name for name in ckpt.WEIGHTS if (self.path / name).is_file())
        _load_part(self.path, "config.json", AutoConfig.from_pretrained)
        self.tokenizer = _load_part(self.path, "the tokenizer files", AutoTokenizer.from_pretrained)
        # Weights may be stored in half precision to keep the checkpoint small; compute in fp32.
        self.model = _load_part(self.path, weights, AutoModelForSequenceClassification.from_pretrained,
                                dtype=torch.float32)
        self.model.to(self.device).eval()
        self.labels: list[str] = labels_from_config(self.model.config)
        config_file = self.path / ckpt.TRAINING_CONFIG
        config = ckpt.read_json(config_file) if config_file.is_file() else {}
        self.max_length = max_length or int(config.get("max_length", DEFAULT_MAX_LENGTH))
        thresholds_file = self.path / ckpt.THRESHOLDS
        self.thresholds: Thresholds | None = (
            Thresholds.load(thresholds_file, self.labels) if thresholds_file.is_file() else None
        )

    @property
    def name(self) -> str:
        return Path(self.path).name

    def predict_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        # The Rust tokenizer is not safe to reconfigure from several threads (the app serves
        # requests on a thread pool), and two cores gain nothing from parallel forward passes.
        with self._lock:
            return predict_probabilities(self.model, self.tokenizer, texts, self.max_length, self.batch_size, self.device)

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
