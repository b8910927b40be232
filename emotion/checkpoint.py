"""``Checkpoint``: the one owner of a checkpoint folder and every file in it.

A checkpoint describes itself: weights and tokenizer (plain ``from_pretrained`` loads them),
thresholds tuned on dev, the training configuration, metrics, dev/test probabilities keyed by
comment id, the backend chosen on dev, and the int8 ONNX graph. It never holds texts or gold labels.
An ensemble is a checkpoint folder whose ``ensemble.json`` names member checkpoints instead of
holding weights; it answers the same questions (its probabilities are the members' mean).
No other module spells these files' names: they ask a ``Checkpoint``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import EmotionError
from .files import replace_atomically, restore, write_csv, write_json
from .thresholds import BACKEND, Thresholds, TuningReport

CONFIG = "config.json"
WEIGHTS = ("model.safetensors", "pytorch_model.bin")
THRESHOLDS = "thresholds.json"
THRESHOLD_TUNING = "threshold_tuning.json"
METRICS = "metrics.json"
PER_CLASS = "per_class.csv"
RESULTS = "training_results.csv"
TRAINING_CONFIG = "training_config.json"
TRAINING_LOG = "training_log.json"
INFERENCE = "inference.json"  # the backend chosen on dev, with what was measured
AUDIT = {"comments": "audit_comments.parquet", "labels": "audit_labels.csv", "pairs": "audit_pairs.csv",
         "about": "audit.json"}  # the label-quality audit of the data, by comment id (audit.py)
DISTILLATION = "distillation.json"  # a student's dev figures against its teacher's
PROBE = "probe.json"  # the behavioural checks' figures (probe.py --save), for the model card
ROBUSTNESS = "robustness.json"  # F1 under typing noise (probe.py --noise --save), for the model card
EXPERIMENTS = "recipe_experiments.csv"  # optional: the dev table of recipes tried, kept beside the card
MODEL_CARD = "README.md"
ONNX_FOLDER = "onnx"
CACHE_FOLDER = "cache"  # derived from the data on first use (embeddings of the training comments): not committed
ENSEMBLE = "ensemble.json"  # an ensemble's members, as paths relative to its folder
DEFAULT_MAX_LENGTH = 128
SHIPPED_FOLDER = Path(__file__).resolve().parents[1] / "checkpoints"
# The model app.py, score.py, adapt.py and EmotionClassifier() use when given none: the 4-layer student
# of the ensemble. The alternative is the most accurate 6-layer model (opt-in with --checkpoint).
DEFAULT_CHECKPOINT = SHIPPED_FOLDER / "minilm-l4-goemotions"
ALTERNATIVE_CHECKPOINT = SHIPPED_FOLDER / "minilm-goemotions"


def probabilities_file(split: str) -> str:
    return f"{split}_probabilities.parquet"


GRAPHS = "model-*.onnx"  # the ONNX graphs a checkpoint holds: each backend's (``serve.backends``) for some weights
# The roles of matrix products an int8 graph may keep in fp32 (``inference.json``'s ``int8_fp32``).
FP32_ROLES = {"first": "the first layer's six products", "ffn_out": "every layer's feed-forward output"}


@dataclass(frozen=True)
class Audit:
    """The label-quality audit a checkpoint stores (``audit.py`` builds it): ids and scores, no text."""

    comments: pd.DataFrame  # id, split, quality (0 worst .. 1), issue, suspect, suspect_kind; worst first
    labels: pd.DataFrame  # per split and label: cleanlab's noise estimates, noisiest first
    pairs: pd.DataFrame  # per split: given label likely wrong -> missing label likely right, with counts


class CheckpointError(EmotionError, RuntimeError):
    """A checkpoint folder is missing or broken; the message names the file and the fix."""


def missing_folder(path: Path) -> str:
    """Why ``path`` is no checkpoint, and the fix, for a library caller and a command alike."""
    if path.resolve() in (DEFAULT_CHECKPOINT.resolve(), ALTERNATIVE_CHECKPOINT.resolve()):
        return (f"The shipped model {path.name} is not in this install (a wheel holds the code, not the models). "
                "Use a clone of the repository, or pass the path of a checkpoint folder: "
                "EmotionClassifier('/path/to/checkpoints/minilm-l4-goemotions'), or --checkpoint PATH.")
    where = "" if path.is_absolute() else f" (looked for in {Path.cwd()})"
    return (f"Checkpoint folder {path} does not exist{where}. Pass the path of a checkpoint folder "
            "(--checkpoint PATH, or EmotionClassifier(PATH)); EmotionClassifier() with no path loads the shipped "
            "default. `python train_model.py` trains a new one.")


def holds_tuned_model(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a model folder with thresholds tuned on dev (what the Compare view offers); an
    ensemble's folder holds no model of its own."""
    path = Path(path)
    return (path / CONFIG).is_file() and (path / THRESHOLDS).is_file()


def read_json(path: str | os.PathLike) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except ValueError as err:
        raise CheckpointError(f"{path} is not valid JSON ({err}); re-create it with "
                              "`python train_model.py --eval_only CHECKPOINT`.") from err


@functools.lru_cache(maxsize=16)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    """Cached by path, time and size: a checkpoint's 45-440 MB are hashed once per process."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Checkpoint:
    """One checkpoint folder: reads and writes its files and answers typed questions about it.

    ``Checkpoint.open(path)`` checks the folder holds a model; ``Checkpoint.staged(path)`` writes a
    new one into a temporary sibling that replaces ``path`` only when the block succeeds.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @classmethod
    def open(cls, path: "str | os.PathLike | Checkpoint") -> "Checkpoint":
        """The checkpoint at ``path`` when it holds a model (config and weights); else a CheckpointError."""
        if isinstance(path, Checkpoint):
            return path
        path = Path(path)
        if not path.is_dir():
            raise CheckpointError(missing_folder(path))
        if (path / ENSEMBLE).is_file():
            return cls(path)
        if not (path / CONFIG).is_file():
            raise CheckpointError(f"{path} has no {CONFIG}: it is not a model folder saved by train_model.py.")
        if not any((path / name).is_file() for name in WEIGHTS):
            raise CheckpointError(f"{path} has no weights ({' or '.join(WEIGHTS)}). Re-train it or restore it with "
                                  "`git checkout -- checkpoints/`.")
        return cls(path)

    @classmethod
    @contextmanager
    def staged(cls, final: str | os.PathLike, keep_as: str | os.PathLike | None = None) -> Iterator["Checkpoint"]:
        """Write into a temporary sibling folder and swap it into place only when the block succeeds,
        so a crash never leaves a half-written checkpoint where an app would load it. When the block
        fails, what was written is kept as ``keep_as`` (when given) instead of deleted."""
        final = Path(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
        try:
            yield cls(stage)
        except BaseException:
            if keep_as is not None and any(stage.iterdir()):
                shutil.rmtree(keep_as, ignore_errors=True)
                stage.rename(keep_as)
            shutil.rmtree(stage, ignore_errors=True)
            raise
        # mkdtemp makes a private folder; a checkpoint is meant to be read by others (a server, a Space).
        stage.chmod(0o755)
        for path in stage.rglob("*"):
            path.chmod(0o644 if path.is_file() else 0o755)
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        if final.exists():
            final.rename(old)
        stage.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return str(self.path)

    @property
    def name(self) -> str:
        return self.path.name

    def _json(self, name: str) -> dict:
        path = self.path / name
        return read_json(path) if path.is_file() else {}

    @property
    def weights_file(self) -> Path:
        return next((self.path / n for n in WEIGHTS if (self.path / n).is_file()), self.path / WEIGHTS[0])

    def check_weights(self) -> None:
        """Refuse a truncated or overwritten safetensors file by its own header (which says how long the
        file must be): without PyTorch nothing else reads the weights, and the changed fingerprint would
        otherwise be taken for weights without a backend choice."""
        path = self.weights_file
        if path.suffix != ".safetensors" or not path.is_file():
            return
        size = path.stat().st_size
        try:
            with path.open("rb") as stream:
                length = int.from_bytes(stream.read(8), "little")
                header = json.loads(stream.read(length)) if 0 < length <= size - 8 else None
            end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
            whole = size == 8 + length + end
        except (AttributeError, KeyError, IndexError, TypeError, ValueError, OSError):
            whole = False
        if not whole:
            raise CheckpointError(f"{path} is damaged (truncated, or not a safetensors file). Restore the shipped "
                                  "model with `git checkout -- checkpoints/`, or re-train it.")

    def weights_changed(self) -> str | None:
        """Why the weights differ from those the shipped backend choice and ONNX graphs were built from (the
        file was changed or damaged with its header intact), or None when they match or nothing was built."""
        if self.members:
            return None
        recorded = self._json(INFERENCE).get("weights_sha256")
        stamp = self.fingerprint[:16]
        graphs = [p for p in (self.path / ONNX_FOLDER).glob(GRAPHS) if not p.name.startswith(f"model-{stamp}")]
        if not (recorded and recorded != self.fingerprint) and not graphs:
            return None
        return (f"{self.weights_file} differs from the weights its backend choice and ONNX graphs were built from "
                "(changed or damaged). Restore the shipped model with `git checkout -- checkpoints/`, or install "
                "PyTorch (`pip install -r requirements-train.txt`) to rebuild the graphs for these weights.")

    @cached_property
    def members(self) -> list["Checkpoint"]:
        """An ensemble's member checkpoints; empty for a single model."""
        path = self.path / ENSEMBLE
        if not path.is_file():
            return []
        members = [Checkpoint.open(self.path / name) for name in read_json(path).get("members", [])]
        if len(members) < 2 or any(m.members for m in members):
            raise CheckpointError(f"{path} must name at least two member checkpoints, none of them an ensemble.")
        if any(m.labels != members[0].labels for m in members):
            raise CheckpointError(f"The members named in {path} predict different labels; an ensemble averages "
                                  "models of one label set.")
        return members

    @classmethod
    def write_ensemble(cls, folder: str | os.PathLike, members: Sequence[str | os.PathLike]) -> "Checkpoint":
        """Create (or replace) an ensemble folder naming these member checkpoints."""
        folder = Path(folder)
        checked = [cls.open(m) for m in members]
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / ENSEMBLE, {"members": [os.path.relpath(m.path.resolve(), folder.resolve()) for m in checked],
                                       "combine": "mean of the members' probabilities"})
        return cls.open(folder)

    @classmethod
    def write_reading(cls, folder: str | os.PathLike, source: str | os.PathLike, text_normalization: str,
                      command: str) -> "Checkpoint":
        """Create ``folder`` holding ``source``'s trained weights, tokenizer and training record, unchanged, that reads
        text through ``text_normalization`` instead (a front end measured on trained weights). Its training config
        says so under ``reads``: where the weights came from, how they were trained to read, and the command."""
        source = cls.open(source)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        model_files = [CONFIG, source.weights_file.name, TRAINING_LOG] + [
            p.name for p in source.path.iterdir() if p.name.startswith(("tokenizer", "vocab", "special_tokens"))]
        for name in model_files:
            if (source.path / name).is_file():
                shutil.copy2(source.path / name, folder / name)
        config = dict(source.training_config)
        config["reads"] = {"weights_from": str(source.path), "trained_reading": source.text_normalization,
                           "text_normalization": text_normalization, "command": command}
        config["text_normalization"] = text_normalization
        write_json(folder / TRAINING_CONFIG, config)
        copy = cls.open(folder)
        if source.int8_fp32:  # how an int8 graph is made from these weights
            copy.set_int8_fp32(source.int8_fp32)
        return copy

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the weights (an ensemble: of its members'): stored probabilities, ONNX files and the
        backend choice are valid only for the weights that made them."""
        if self.members:
            return hashlib.sha256(" ".join(m.fingerprint for m in self.members).encode()).hexdigest()
        path = self.weights_file
        if not path.is_file():
            return ""
        stat = path.stat()
        return _sha256(str(path.resolve()), stat.st_mtime_ns, stat.st_size)

    @cached_property
    def config(self) -> dict:
        if self.members:
            return self.members[0].config
        path = self.path / CONFIG
        try:
            config = json.loads(path.read_text())
            config["id2label"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CheckpointError(
                f"Could not load {CONFIG} in {self.path}: {err!r}. Re-train the model, or restore the shipped one "
                "with `git checkout -- checkpoints/`."
            ) from err
        return config

    @cached_property
    def labels(self) -> list[str]:
        """Label names in id order, from ``id2label`` (the one source of label names downstream of training)."""
        mapping = {int(k): v for k, v in self.config["id2label"].items()}
        return [mapping[i] for i in range(len(mapping))]

    @property
    def training_config(self) -> dict:
        return self._json(TRAINING_CONFIG)

    @property
    def max_length(self) -> int:
        if self.members:
            return max(m.max_length for m in self.members)
        return int(self.training_config.get("max_length", DEFAULT_MAX_LENGTH))

    @property
    def text_normalization(self) -> str:
        """How texts are normalised before tokenizing (``emotion.text``); checkpoints from before it: none."""
        return self.training_config.get("text_normalization", "none")

    @property
    def teacher(self) -> str | None:
        return self.training_config.get("teacher")

    def save_training(self, config: dict, log: list) -> None:
        write_json(self.path / TRAINING_CONFIG, config)
        write_json(self.path / TRAINING_LOG, log)

    def thresholds(self, backend: str | None = None) -> Thresholds | None:
        """The thresholds the given backend's answers use: tuned on its own dev probabilities when the
        backend choice recorded them for these weights, else ``thresholds.json`` (tuned on the reference
        backend's, which match the probabilities stored here; ``backend=None`` asks for these). None when
        the checkpoint has none."""
        path = self.path / THRESHOLDS
        if not path.is_file():
            return None
        if backend is not None:
            own = self.backend_choice.get("backends", {}).get(backend, {}).get("thresholds")
            if own is not None:
                return Thresholds.from_dict(own, self.labels, source=f"{self.path / INFERENCE} ({backend})").from_origin(
                    BACKEND, backend)
        return Thresholds.load(path, self.labels)

    @property
    def shrink_strength(self) -> float:
        """The per-class shrinkage the thresholds were tuned with (0: none)."""
        return float(self._json(THRESHOLD_TUNING).get("chosen_strength", 0.0))

    @property
    def cv_macro_f1(self) -> float | None:
        """Dev per-class macro F1 at the chosen shrinkage, thresholds held out by cross-validation."""
        tuning = self._json(THRESHOLD_TUNING)
        strength = tuning.get("chosen_strength")
        key = "inf" if strength == "inf" else str(float(strength)) if strength is not None else None
        return tuning.get("cv_macro_f1_by_strength", {}).get(key)

    def save_tuning(self, report: TuningReport) -> None:
        report.thresholds.save(self.path / THRESHOLDS)
        write_json(self.path / THRESHOLD_TUNING, report.to_dict())

    @property
    def metrics(self) -> dict:
        """``{split: {policy: {metric: value}}}`` from the last evaluation; empty when none."""
        return self._json(METRICS)

    @property
    def per_class(self) -> pd.DataFrame:
        return restore(pd.read_csv(self.path / PER_CLASS))

    @property
    def experiments(self) -> pd.DataFrame | None:
        path = self.path / EXPERIMENTS
        return restore(pd.read_csv(path)) if path.is_file() else None

    def save_evaluation(self, metrics: dict, per_class: pd.DataFrame, results: pd.DataFrame) -> None:
        write_json(self.path / METRICS, metrics)
        replace_atomically(self.path / PER_CLASS, lambda tmp: write_csv(per_class, tmp))
        replace_atomically(self.path / RESULTS, lambda tmp: write_csv(results, tmp))

    def probabilities(self, split: str, ids: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
        """Stored (ids, probabilities) of a split, rows in the order of ``ids`` when given. Raise
        CheckpointError when they are missing, stale (other weights) or lack some of ``ids``."""
        import pyarrow.parquet as pq

        path = self.path / probabilities_file(split)
        try:
            table = pq.read_table(path)
        except (OSError, ValueError) as err:
            raise CheckpointError(f"Could not read {path} ({err}); re-evaluate the checkpoint with "
                                  "`python train_model.py --eval_only CHECKPOINT`.") from err
        if (table.schema.metadata or {}).get(b"weights_sha256", b"").decode() != self.fingerprint:
            raise CheckpointError(f"{path} was computed with other weights than the checkpoint now holds.")
        frame = table.to_pandas()
        missing = [n for n in ["id", *self.labels] if n not in frame.columns]
        if missing:
            raise CheckpointError(f"{path} lacks column(s) {missing}: it was written for other labels.")
        stored_ids, probs = frame["id"].astype(str).tolist(), frame[self.labels].to_numpy(dtype=np.float32)
        if ids is None:
            return stored_ids, probs
        row = {comment: i for i, comment in enumerate(stored_ids)}
        missing = [comment for comment in ids if comment not in row]
        if missing:
            raise CheckpointError(f"{path} has no probabilities for {len(missing)} of the {split} comments "
                                  f"(e.g. id {missing[0]}); re-evaluate it with --eval_only.")
        return list(ids), probs[[row[c] for c in ids]]

    def save_probabilities(self, split: str, ids: Sequence[str], probs: np.ndarray) -> None:
        """``id`` plus one column per label, stamped with the weights' sha256; never texts or labels."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = pd.DataFrame(np.asarray(probs, dtype=np.float32), columns=self.labels)
        frame.insert(0, "id", list(map(str, ids)))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        stamp = {**(table.schema.metadata or {}), b"weights_sha256": self.fingerprint.encode()}
        table = table.replace_schema_metadata(stamp)
        replace_atomically(self.path / probabilities_file(split), lambda tmp: pq.write_table(table, tmp))

    @property
    def backend_choice(self) -> dict:
        """``inference.json`` when it was measured on the weights the checkpoint holds now; else empty."""
        choice = self._json(INFERENCE)
        return choice if choice.get("weights_sha256") == self.fingerprint else {}

    def save_backend_choice(self, choice: dict) -> None:
        write_json(self.path / INFERENCE, {**choice, "int8_fp32": list(self.int8_fp32)})

    @property
    def int8_fp32(self) -> tuple[str, ...]:
        """The roles of the matrix products kept fp32 in the int8 graph (``FP32_ROLES``), for
        a model that full int8 hurts; none by default. A setting of the checkpoint, kept across retraining."""
        return tuple(self._json(INFERENCE).get("int8_fp32", ()))

    def set_int8_fp32(self, roles: Sequence[str]) -> None:
        write_json(self.path / INFERENCE, {**self._json(INFERENCE), "int8_fp32": list(roles)})

    def onnx_file(self, variant: str = "") -> Path:
        """Where the ONNX graph ``variant`` of these weights lives (a backend names its variant, e.g. "" for the
        plain export, "-int8": ``Backend.graph_file``): inside the checkpoint (where the shipped one is), or in
        the user cache when the checkpoint is read-only. The name carries the weights' stamp, so new weights
        never run an old graph."""
        if variant and not variant.startswith("-"):
            raise CheckpointError(f"An ONNX graph's variant is empty or starts with '-', not {variant!r}; ask the "
                                  "backend for its file (serve.backends.get(name).graph_file(checkpoint)).")
        name = f"model-{self.fingerprint[:16]}{variant}.onnx"
        shipped = self.path / ONNX_FOLDER / name
        return shipped if shipped.is_file() else self.onnx_cache() / name

    def onnx_cache(self) -> Path:
        """``<checkpoint>/onnx`` when writable, else a folder in the user cache."""
        return self._writable_folder(ONNX_FOLDER, "emotion-onnx")

    def derived_file(self, kind: str, tag: str) -> Path:
        """Where what is derived from these weights and the data on first use is cached (``kind``, e.g.
        "train-embeddings", of the backend whose ``files_tag`` is ``tag``): never committed, rebuilt when
        the weights change."""
        return self._writable_folder(CACHE_FOLDER, "emotion-cache") / f"{kind}-{self.fingerprint[:16]}-{tag}.npz"

    def _writable_folder(self, inside: str, user_cache: str) -> Path:
        folder = self.path / inside
        try:
            folder.mkdir(exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
            return folder
        except OSError:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
            resolved = self.path.resolve()
            # One folder per checkpoint path: same-named checkpoints must not evict each other's files.
            digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
            folder = base / user_cache / f"{resolved.name}-{digest}"
            folder.mkdir(parents=True, exist_ok=True)
            return folder

    def remove_stale_onnx(self, folder: Path, current: Iterable[Path]) -> None:
        """Delete the graphs in ``folder`` other than ``current`` (every backend's for these weights and settings)."""
        keep = {Path(path).name for path in current}
        for old in folder.glob(GRAPHS):  # made from earlier weights, or other settings (an int8 graph's fp32 roles)
            if old.name not in keep:
                old.unlink(missing_ok=True)

    def save_audit(self, audit, about: dict) -> None:
        """Store the label-quality audit (``emotion.analysis.audit.Audit``): ids and scores, no text."""
        replace_atomically(self.path / AUDIT["comments"], lambda tmp: audit.comments.to_parquet(tmp, index=False),
                           suffix=".parquet")
        replace_atomically(self.path / AUDIT["labels"], lambda tmp: write_csv(audit.labels, tmp))
        replace_atomically(self.path / AUDIT["pairs"], lambda tmp: write_csv(audit.pairs, tmp))
        write_json(self.path / AUDIT["about"], {**about, "weights_sha256": self.fingerprint})

    def audit(self):
        """The stored audit and what it says about itself, or (None, why not)."""
        about = self._json(AUDIT["about"])
        if not about:
            return None, f"{self.path} has no label-quality audit yet: build it with `python audit.py --checkpoint {self.path}`."
        if about.get("weights_sha256") != self.fingerprint:
            return None, f"The audit in {self.path} is of other weights: build it again with `python audit.py`."
        return Audit(pd.read_parquet(self.path / AUDIT["comments"]), restore(pd.read_csv(self.path / AUDIT["labels"])),
                     restore(pd.read_csv(self.path / AUDIT["pairs"]))), about

    def save_probe(self, result: dict) -> None:
        """Store the behavioural checks' figures and per-test table (``probe.py --save``), stamped with the weights."""
        write_json(self.path / PROBE, {**result, "weights_sha256": self.fingerprint})

    def probe(self) -> dict | None:
        """The stored behavioural checks of these weights, or None."""
        found = self._json(PROBE)
        return found if found.get("weights_sha256") == self.fingerprint else None

    def save_robustness(self, result: dict) -> None:
        """Store the noise suite's table (``probe.py --noise --save``), stamped with the weights."""
        write_json(self.path / ROBUSTNESS, {**result, "weights_sha256": self.fingerprint})

    def robustness(self) -> dict | None:
        """The stored noise suite of these weights, or None."""
        found = self._json(ROBUSTNESS)
        return found if found.get("weights_sha256") == self.fingerprint else None

    def save_distillation(self, result: dict) -> None:
        write_json(self.path / DISTILLATION, result)

    @property
    def card_file(self) -> Path:
        return self.path / MODEL_CARD

    def save_card(self, text: str) -> Path:
        replace_atomically(self.card_file, lambda tmp: tmp.write_text(text))
        return self.card_file

