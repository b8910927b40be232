"""Choose a checkpoint's default backend on dev: the fastest whose F1 is nowhere more than
``F1_TOLERANCE`` below torch's. The choice and what was measured go to ``inference.json`` beside
the weights.

Each backend is scored at thresholds tuned on its own dev probabilities (int8 shifts them a little,
and thresholds fitted to torch's would charge it for that): micro and macro F1 at its tuned global
threshold, and macro F1 with per-class thresholds held out by 5-fold cross-validation within dev
(in-sample per-class F1 would flatter whichever probabilities the thresholds were fitted to). The
thresholds of every backend but torch are recorded with its figures, and the classifier uses them.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence

import numpy as np

from .backends import BACKENDS, F1_TOLERANCE, REFERENCE, cpu_threads, instruction_set, is_reference
from ..checkpoint import Checkpoint, CheckpointError
from ..metrics import compute_metrics
from .predict import EmotionClassifier
from ..thresholds import cross_validate_strength, tune_at_strength

COMPARED = ("micro_f1", "macro_f1", "per_class_cv_macro_f1")


def measure_backend(
    checkpoint: Checkpoint, backend: str, texts: Sequence[str], y_true: np.ndarray, batch_size: int = 64
) -> dict:
    """Throughput (comments/s, after a warm-up batch) and F1 of one backend on the given texts."""
    classifier = EmotionClassifier(checkpoint, device="cpu", backend=backend, batch_size=batch_size)
    if classifier.torch_thresholds is None:
        raise CheckpointError(f"{checkpoint.path} has no tuned thresholds: evaluate it before choosing a backend "
                              "(`python train_model.py --eval_only CHECKPOINT`).")
    classifier.predict_probabilities(texts[:batch_size])
    start = time.perf_counter()
    probs = classifier.predict_probabilities(texts)
    seconds = time.perf_counter() - start
    strength = checkpoint.shrink_strength
    if is_reference(backend):  # thresholds.json was tuned on these very probabilities
        own = classifier.torch_thresholds
    else:
        own = tune_at_strength(probs, y_true, classifier.labels, strength)
    result = {"comments_per_s": round(len(texts) / seconds, 1),
              **compared_figures(probs, y_true, own.global_threshold, strength)}
    if not is_reference(backend):
        result["thresholds"] = own.to_dict()
    return result


def compared_figures(probs: np.ndarray, y_true: np.ndarray, global_threshold: float, strength: float) -> dict:
    """The ``COMPARED`` F1s of one set of dev probabilities."""
    tuned = compute_metrics(probs, y_true, global_threshold)
    return {
        "micro_f1": round(tuned["micro_f1"], 5),
        "macro_f1": round(tuned["macro_f1"], 5),
        "per_class_cv_macro_f1": round(cross_validate_strength(probs, y_true, [strength])[strength], 5),
    }


def pick(results: dict[str, dict], tolerance: float = F1_TOLERANCE) -> str:
    """The fastest backend none of whose compared F1s is more than ``tolerance`` below the reference's (torch's)."""
    reference = results[REFERENCE]
    eligible = [name for name, r in results.items()
                if all(r[k] >= reference[k] - tolerance for k in COMPARED)]
    return max(eligible, key=lambda name: results[name]["comments_per_s"])


def choose_backend(
    checkpoint: str | os.PathLike, texts: Sequence[str], y_true: np.ndarray, backends: Sequence[str] = BACKENDS,
) -> dict:
    """Measure every backend on dev, pick the default and write ``inference.json``."""
    if REFERENCE not in backends:
        raise ValueError(f"{REFERENCE} is the reference backend; include it.")
    checkpoint = Checkpoint.open(checkpoint)
    texts = list(texts)
    results = {name: measure_backend(checkpoint, name, texts, y_true) for name in backends}
    choice = {
        "default_backend": pick(results),
        "rule": f"fastest backend none of whose dev micro and macro F1 (tuned global threshold) and per-class "
                f"macro F1 (thresholds held out by 5-fold CV) is more than {F1_TOLERANCE} below torch's, "
                "each backend at thresholds tuned on its own dev probabilities",
        "split": "dev",
        "comments": len(texts),
        "weights_sha256": checkpoint.fingerprint,
        "machine": {"processor": platform.processor() or platform.machine(), "instruction_set": instruction_set(),
                    "threads": cpu_threads()},
        "backends": results,
    }
    checkpoint.save_backend_choice(choice)
    return choice


def describe(choice: dict) -> str:
    lines = [f"default backend: {choice['default_backend']} ({choice['rule']})"]
    for name, r in choice["backends"].items():
        f1 = ", ".join(f"{k} {r[k]:.4f}" for k in COMPARED)
        if "thresholds" in r:
            f1 += f", own global threshold {r['thresholds']['global']:.2f}"
        lines.append(f"  {name:10s} {r['comments_per_s']:7.1f} comments/s  {f1}")
    return "\n".join(lines)
