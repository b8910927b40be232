"""Similar training comments, by the model's own pooled embedding (what its classifier head reads).

The embeddings of the training comments are built once per weights and backend and cached beside
the checkpoint (``Checkpoint.derived_file``; ids and vectors only, never texts: those are read from
the data folder at run time). A query is one forward pass and an exact cosine top-k over 43k x 384.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .backends import BackendError
from .predict import EmotionClassifier

log = logging.getLogger(__name__)
POOLER = "Tanh"  # BERT's pooler ends in the graph's only tanh; its output is what the classifier head reads


def pooled_runner(classifier: EmotionClassifier):
    """(input_ids, attention_mask) -> pooled embeddings, on the classifier's own backend."""
    if classifier.members:
        return pooled_runner(classifier.members[0])
    if classifier.backend == "torch":
        import torch

        model = classifier.model

        @torch.inference_mode()
        def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
            out = model.base_model(input_ids=torch.from_numpy(input_ids).to(model.device),
                                   attention_mask=torch.from_numpy(attention_mask).to(model.device))
            pooled = out.pooler_output if out.pooler_output is not None else out.last_hidden_state[:, 0]
            return pooled.float().cpu().numpy()

        return run
    try:
        return classifier.onnx_output(POOLER)
    except BackendError as err:
        raise BackendError(f"{err} Use --backend torch for similar comments.") from err


class Embedder:
    """Unit-length pooled embeddings of texts, as the classifier reads them."""

    def __init__(self, classifier: EmotionClassifier) -> None:
        self.classifier = classifier.members[0] if classifier.members else classifier
        self._run = pooled_runner(self.classifier)
        self.width = int(self.classifier.checkpoint.config["hidden_size"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = self.classifier.run_texts(self._run, texts, self.width)
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
    def load_or_build(cls, classifier: EmotionClassifier, ids: Sequence[str], texts: Sequence[str],
                      embedder: Embedder | None = None) -> Index:
        path = classifier.checkpoint.derived_file("train-embeddings", classifier.backend)
        if path.is_file():
            with np.load(path) as stored:
                if list(stored["ids"]) == list(ids):
                    return cls(list(ids), stored["vectors"])
            log.info("The cached embeddings in %s are of other comments; building them again", path)
        log.info("Embedding %d training comments with %s (once; cached in %s)", len(texts), classifier.backend, path)
        vectors = (embedder or Embedder(classifier)).embed(texts)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, ids=np.asarray(ids), vectors=vectors.astype(np.float16))
        tmp.replace(path)
        return cls(list(ids), vectors.astype(np.float16))

    def nearest(self, vector: np.ndarray, k: int) -> list[Neighbour]:
        # einsum's single-threaded loop, not BLAS: this product is bound by memory, and BLAS's threads,
        # woken right after ONNX Runtime's (the query's embedding), contended with them on two cores
        # (embed + search: 11 ms against 14-16 ms).
        similarity = np.einsum("ij,j->i", self.vectors, vector.astype(np.float32))
        k = min(k, len(similarity))
        top = np.argpartition(-similarity, k - 1)[:k] if k else np.array([], dtype=int)
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [Neighbour(int(i), float(similarity[i])) for i in top]


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
