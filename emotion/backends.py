"""Inference backends: one checkpoint run by PyTorch or by ONNX Runtime (fp32 or int8 weights).

ONNX files are exported from the checkpoint on first use with ``torch.onnx`` and quantized with
``onnxruntime.quantization``. They are cached in ``<checkpoint>/onnx/`` (or the user cache when the
checkpoint folder is read-only) under a name that carries the weights' sha256, so new weights
rebuild them and a stale file is never run.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checkpoint as ckpt

BACKENDS = ("torch", "onnx", "onnx-int8")
DESCRIPTIONS = {"torch": "PyTorch, fp32", "onnx": "ONNX Runtime, fp32", "onnx-int8": "ONNX Runtime, int8 weights and activations"}
AUTO = "auto"
ONNX_FOLDER = "onnx"
# int8 loses a little accuracy; a backend is a fair default only within this of torch.
F1_TOLERANCE = 0.005

# (input_ids, attention_mask) -> logits, all numpy: what every backend runs.
Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]


class BackendError(RuntimeError):
    """A backend cannot be used here; the message says why and what to do."""


def check_backend(name: str) -> str:
    if name not in (AUTO, *BACKENDS):
        raise BackendError(f"Unknown backend {name!r}; choose one of {AUTO}, {', '.join(BACKENDS)}.")
    return name


def cpu_threads() -> int:
    """Cores this process may run on (a container's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def torch_runner(model: nn.Module) -> Runner:
    device = next(model.parameters()).device

    @torch.inference_mode()
    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        logits = model(
            input_ids=torch.from_numpy(input_ids).to(device), attention_mask=torch.from_numpy(attention_mask).to(device)
        ).logits
        return logits.float().cpu().numpy()

    return run


def onnx_runner(path: str | os.PathLike, threads: int | None = None) -> Runner:
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise BackendError("The onnx backends need onnxruntime: `pip install onnxruntime`, or use --backend torch.") from err
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or cpu_threads()
    # One graph runs at a time (the classifier serializes calls), so no inter-op pool.
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]

    return run


class ClsOnlyLastLayer(nn.Module):
    """The last encoder layer computed for the [CLS] position only.

    The classification head reads nothing but [CLS], and its keys and values still come from
    every token, so the logits are those of the full model (to float rounding) while the last
    layer's feed-forward and projections run on one row instead of one per token.
    """

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None, *args, **kwargs):
        attention = self.layer.attention.self
        batch, heads, size = hidden_states.shape[0], attention.num_attention_heads, attention.attention_head_size
        cls = hidden_states[:, :1]
        query = attention.query(cls).view(batch, 1, heads, size).transpose(1, 2)
        key = attention.key(hidden_states).view(batch, -1, heads, size).transpose(1, 2)
        value = attention.value(hidden_states).view(batch, -1, heads, size).transpose(1, 2)
        if attention_mask is not None:
            attention_mask = attention_mask[:, :, :1, :]
        context = nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=attention_mask, scale=attention.scaling
        )
        attended = self.layer.attention.output(context.transpose(1, 2).reshape(batch, 1, heads * size), cls)
        return self.layer.feed_forward_chunk(attended)


def with_cls_only_last_layer(model: nn.Module) -> nn.Module:
    """A copy of a BERT-family classifier whose last layer computes [CLS] only; other
    architectures are returned unchanged (copied), since their heads may read other positions."""
    model = copy.deepcopy(model)
    encoder = getattr(getattr(model, model.base_model_prefix, None), "encoder", None)
    layers = getattr(encoder, "layer", None)
    is_bert = type(model).__name__ == "BertForSequenceClassification"
    if is_bert and layers is not None and hasattr(layers[-1], "feed_forward_chunk"):
        layers[-1] = ClsOnlyLastLayer(layers[-1])
    return model


class _Logits(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_onnx(model: nn.Module, path: str | os.PathLike) -> None:
    """Export logits(input_ids, attention_mask) with dynamic batch and length to one ONNX file."""
    model = with_cls_only_last_layer(model).float().cpu().eval()
    sample = (torch.full((2, 8), 100, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("length")}
    # The exporter reports each pass on stdout and warns about optional packages; keep the user's
    # console for what matters to them.
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exporter_log.setLevel(logging.ERROR)
        try:
            torch.onnx.export(
                _Logits(model), sample, str(path), input_names=["input_ids", "attention_mask"],
                output_names=["logits"], dynamic_shapes=(dims, dims), dynamo=True, external_data=False,
            )
        finally:
            exporter_log.setLevel(level)


def quantize_onnx(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """int8 weights, activations quantized on the fly: no calibration data needed.

    One scale per output channel: on the shipped model's dev set it halves the label flips against
    torch (487 vs 947 of 151,928 decisions) and runs no slower than one scale per matrix.
    """
    from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic

    # The quantizer logs through the root logger, which installs a console handler as a side
    # effect; an app's logging set-up is not ours to change.
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # The recommended clean-up pass (graph optimization, shape inference) before quantizing;
            # symbolic shape inference cannot follow the dynamic length through the exported graph.
            prepared = Path(tmp) / "prepared.onnx"
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
            quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.handlers[:] = handlers


def cache_folder(checkpoint: str | os.PathLike) -> Path:
    """``<checkpoint>/onnx`` when writable, else a folder in the user cache."""
    folder = Path(checkpoint) / ONNX_FOLDER
    try:
        folder.mkdir(exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        return folder
    except OSError:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        resolved = Path(checkpoint).resolve()
        # One folder per checkpoint path: same-named checkpoints must not evict each other's files.
        folder = base / "emotion-onnx" / f"{resolved.name}-{hashlib.sha256(str(resolved).encode()).hexdigest()[:8]}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def onnx_file(checkpoint: str | os.PathLike, backend: str, load_model: Callable[[], nn.Module]) -> Path:
    """The ONNX file of ``backend`` for the checkpoint's current weights, exported if missing."""
    if backend not in ("onnx", "onnx-int8"):
        raise BackendError(f"{backend!r} is not an ONNX backend.")
    stamp = ckpt.weights_fingerprint(checkpoint)[:16]
    folder = cache_folder(checkpoint)
    fp32 = folder / f"model-{stamp}.onnx"
    target = fp32 if backend == "onnx" else folder / f"model-{stamp}-int8.onnx"
    if target.is_file():
        return target
    for old in folder.glob("model-*.onnx"):  # made from earlier weights
        if stamp not in old.name:
            old.unlink(missing_ok=True)
    print(f"[emotion] Building the {backend} model of {checkpoint} (once; cached in {folder}) ...",
          file=sys.stderr, flush=True)
    try:
        if not fp32.is_file():
            _write_atomically(fp32, lambda tmp: export_onnx(load_model(), tmp))
        if target != fp32:
            _write_atomically(target, lambda tmp: quantize_onnx(fp32, tmp))
    except (BackendError, ckpt.CheckpointError):
        raise
    except Exception as err:  # the exporter and quantizer raise many types
        raise BackendError(
            f"Could not build the {backend} model in {folder}: {err}. Use --backend torch, or update "
            "torch, onnx, onnxscript and onnxruntime."
        ) from err
    return target


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Concurrent writers (two app workers) each finish their own file; the last rename wins."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".onnx", dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def recorded_choice(checkpoint: str | os.PathLike) -> dict:
    """The checkpoint's ``inference.json`` when it was measured on the weights the checkpoint holds
    now; empty when there is none or it is stale."""
    path = Path(checkpoint) / ckpt.INFERENCE
    if not path.is_file():
        return {}
    choice = ckpt.read_json(path)
    return choice if choice.get("weights_sha256") == ckpt.weights_fingerprint(checkpoint) else {}


def default_backend(checkpoint: str | os.PathLike) -> str:
    """The backend chosen on dev and recorded in the checkpoint; torch when none was, or when it
    was measured on other weights than the checkpoint holds now."""
    name = recorded_choice(checkpoint).get("default_backend")
    return name if name in BACKENDS else "torch"


def recorded_thresholds(checkpoint: str | os.PathLike, backend: str) -> dict | None:
    """Thresholds tuned on dev for this backend's own probabilities, when the choice recorded them.

    int8 shifts probabilities slightly; thresholds tuned on torch's would cost it F1 it need not lose.
    """
    return recorded_choice(checkpoint).get("backends", {}).get(backend, {}).get("thresholds")
