"""The files a checkpoint folder holds beside its weights, and how they are read and written.

A checkpoint describes itself: weights and tokenizer (plain ``from_pretrained`` loads them),
thresholds tuned on dev, the training configuration, metrics, and dev/test probabilities keyed
by comment id. It never holds texts or gold labels.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

THRESHOLDS = "thresholds.json"
METRICS = "metrics.json"
PER_CLASS = "per_class.csv"
RESULTS = "training_results.csv"
TRAINING_CONFIG = "training_config.json"
INFERENCE = "inference.json"  # the backend chosen on dev, with what was measured
THRESHOLD_TUNING = "threshold_tuning.json"
MODEL_CARD = "README.md"
WEIGHTS = ("model.safetensors", "pytorch_model.bin")


def probabilities_file(split: str) -> str:
    return f"{split}_probabilities.parquet"


class CheckpointError(RuntimeError):
    """A checkpoint folder is missing or broken; the message names the file and the fix."""


def check_folder(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(
            f"Checkpoint folder {path} does not exist. Train one with `python train_model.py` "
            "or pass --checkpoint PATH to an existing one."
        )
    if not (path / "config.json").is_file():
        raise CheckpointError(f"{path} has no config.json: it is not a model folder saved by train_model.py.")
    if not any((path / name).is_file() for name in WEIGHTS):
        raise CheckpointError(f"{path} has no weights ({' or '.join(WEIGHTS)}). Re-run training or re-download it.")
    return path


def write_json(path: str | os.PathLike, data: object) -> None:
    Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n")


def read_json(path: str | os.PathLike) -> dict:
    return json.loads(Path(path).read_text())


def weights_fingerprint(folder: str | os.PathLike) -> str:
    """sha256 of the weights file: stored probabilities, ONNX files and the backend choice are
    valid only for the weights that made them."""
    path = next((Path(folder) / n for n in WEIGHTS if (Path(folder) / n).is_file()), None)
    if path is None:
        return ""
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    """Cached by path, time and size: a checkpoint's 45-440 MB are hashed once per process."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_probabilities(
    path: str | os.PathLike, ids: Sequence[str], probs: np.ndarray, label_names: Sequence[str], fingerprint: str = ""
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame(np.asarray(probs, dtype=np.float32), columns=list(label_names))
    frame.insert(0, "id", list(map(str, ids)))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), b"weights_sha256": fingerprint.encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def load_probabilities(
    path: str | os.PathLike, label_names: Sequence[str], fingerprint: str | None = None
) -> tuple[list[str], np.ndarray]:
    """Read ``id`` + one column per label. Raise CheckpointError when the labels do not match, or
    when ``fingerprint`` is given and differs from the one the file was written with."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as err:
        raise CheckpointError(f"Could not read {path}: {err}") from err
    if fingerprint is not None:
        stored = (table.schema.metadata or {}).get(b"weights_sha256", b"").decode()
        if stored != fingerprint:
            raise CheckpointError(f"{path} was computed with other weights than the checkpoint now holds.")
    frame = table.to_pandas()
    missing = [n for n in ["id", *label_names] if n not in frame.columns]
    if missing:
        raise CheckpointError(f"{path} lacks column(s) {missing}: it was written for other labels.")
    return frame["id"].astype(str).tolist(), frame[list(label_names)].to_numpy(dtype=np.float32)


@contextmanager
def staged_folder(final: str | os.PathLike) -> Iterator[Path]:
    """Write into a temporary sibling folder and swap it into place only when the block succeeds,
    so a crash never leaves a half-written checkpoint where an app would load it."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    # mkdtemp makes a private folder; a checkpoint is meant to be read by others (a server, a Space).
    stage.chmod(0o755)
    for path in stage.iterdir():
        path.chmod(0o644 if path.is_file() else 0o755)
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    stage.rename(final)
    shutil.rmtree(old, ignore_errors=True)
