"""Inference backends: one checkpoint run by PyTorch or by ONNX Runtime (fp32 or int8 weights).

The registry is the one place a backend is described: its name, how it loads, which ONNX graph it
runs (the backend names its file; the checkpoint says where its graphs live) and whether it is the
reference (torch: the checkpoint's stored probabilities and ``thresholds.json`` are its answers).
A new variant (another quantization, another execution provider) is one ``register`` call here.

The int8 ONNX graph ships inside a checkpoint, so serving needs neither PyTorch nor the exporter.
A graph that is missing for the current weights is exported on first use (``onnx_export``, which
needs PyTorch) and cached where the checkpoint says, under a name that carries the weights' sha256:
new weights rebuild it and a stale file is never run.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checkpoint import Checkpoint, CheckpointError
from ..errors import EmotionError
from ..files import replace_atomically

log = logging.getLogger(__name__)

AUTO = "auto"
# int8 loses a little accuracy; a backend is a fair default only within this of torch.
F1_TOLERANCE = 0.005
TRAINING_EXTRAS = "`pip install -r requirements-train.txt`"

# (input_ids, attention_mask) -> logits, all numpy: what every backend runs.
Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]
POOLER = "Tanh"  # BERT's pooler ends in the graph's only tanh; its output is what the classifier head reads


class BackendError(EmotionError, RuntimeError):
    """A backend cannot be used here; the message says why and what to do."""


@dataclass(frozen=True)
class Backend:
    """One way to run a checkpoint. ``load(classifier, threads)`` returns its runner.

    A backend that runs an ONNX graph names it: ``graph(checkpoint)`` is what tells its file apart from
    the other graphs of the same weights ("" for the plain export; ``Checkpoint.onnx_file`` adds the
    weights' stamp and the folder), and ``build(checkpoint, path, load_model)`` writes it when it is
    missing. ``tag(checkpoint)`` names what is cached from its outputs (default: its name).
    ``reference``: the checkpoint's stored probabilities and ``thresholds.json`` are this backend's
    answers, and the others are measured against it (one backend, torch). ``pooled_by_model``: the
    pooled embedding (similar comments, a profile's heads) is read from the PyTorch model, not from a
    second output of the graph."""

    name: str
    description: str
    load: Callable[..., Runner]
    needs: str = ""  # what must be installed, in words (for errors and docs)
    graph: Callable[[Checkpoint], str] | None = None
    build: Callable[[Checkpoint, Path, Callable[[], object]], None] | None = None
    tag: Callable[[Checkpoint], str] | None = None
    cpu_only: bool = True
    reference: bool = False
    pooled_by_model: bool = False

    def graph_file(self, checkpoint: Checkpoint) -> Path:
        """Where this backend's ONNX graph for the checkpoint's weights lives (it may not exist yet)."""
        if self.graph is None:
            raise BackendError(f"{self.name!r} is not an ONNX backend.")
        return checkpoint.onnx_file(self.graph(checkpoint))

    def files_tag(self, checkpoint: Checkpoint) -> str:
        """What names the files derived from this backend's outputs (``Checkpoint.derived_file``)."""
        return self.tag(checkpoint) if self.tag is not None else self.name


REGISTRY: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Add a backend: entry points, the backend choice and the app offer every registered one."""
    REGISTRY[backend.name] = backend
    return backend


def get(name: str) -> Backend:
    if name not in REGISTRY:
        raise BackendError(f"Unknown backend {name!r}; choose one of {AUTO}, {', '.join(REGISTRY)}.")
    return REGISTRY[name]


def names() -> tuple[str, ...]:
    """The registered backends, in the order they were registered (the reference, torch, first)."""
    return tuple(REGISTRY)


def is_reference(name: str) -> bool:
    """Whether ``name`` answers as the checkpoint's stored probabilities and ``thresholds.json`` do."""
    return name in REGISTRY and REGISTRY[name].reference


def check_backend(name: str) -> str:
    return name if name == AUTO else get(name).name


def default_backend(checkpoint: Checkpoint) -> str:
    """The backend chosen on dev and recorded for the checkpoint's weights; the reference when none was."""
    name = checkpoint.backend_choice.get("default_backend")
    return name if name in REGISTRY else REFERENCE


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def require_torch(what: str, checkpoint: Checkpoint | None = None) -> None:
    """Refuse ``what`` without PyTorch; when it is needed only because ``checkpoint``'s weights changed
    after its graphs were built, say that instead (the shipped graphs would not answer for them either)."""
    if not torch_available():
        changed = checkpoint.weights_changed() if checkpoint is not None else None
        if changed:
            raise CheckpointError(changed)
        raise BackendError(f"{what} needs PyTorch, which is not installed: {TRAINING_EXTRAS}, or use the "
                           "onnx-int8 backend that ships with the checkpoint.")


def cpu_threads() -> int:
    """Cores this process may run on (a container's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def instruction_set() -> str:
    """The CPU's widest int8-relevant instructions: int8 speed differs several-fold between them."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return "unknown instruction set"
    for flag, name in (("amx_int8", "AMX"), ("avx512_vnni", "AVX-512 VNNI"), ("avx512f", "AVX-512"),
                       ("avx_vnni", "AVX-VNNI"), ("avx2", "AVX2")):
        if flag in flags:
            return name
    return "no AVX2"


def torch_runner(model) -> Runner:
    import torch

    device = next(model.parameters()).device

    @torch.inference_mode()
    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        logits = model(
            input_ids=torch.from_numpy(input_ids).to(device), attention_mask=torch.from_numpy(attention_mask).to(device)
        ).logits
        return logits.float().cpu().numpy()

    return run


def torch_outputs(model) -> dict[str, Runner]:
    """The runners of a BERT-style classifier's "pooled" embedding (what its classifier reads) and its
    "features" (logits, then pooled, from one pass)."""
    import torch

    if not hasattr(model, "classifier"):
        raise BackendError(f"{type(model).__name__} has no `classifier` reading a pooled embedding.")

    @torch.inference_mode()
    def pooled(input_ids: np.ndarray, attention_mask: np.ndarray):
        out = model.base_model(input_ids=torch.from_numpy(input_ids).to(model.device),
                               attention_mask=torch.from_numpy(attention_mask).to(model.device))
        return out.pooler_output if out.pooler_output is not None else out.last_hidden_state[:, 0]

    @torch.inference_mode()
    def both(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        vector = pooled(input_ids, attention_mask)
        return torch.cat([model.classifier(vector), vector], dim=1).float().cpu().numpy()

    return {"pooled": lambda ids, mask: pooled(ids, mask).float().cpu().numpy(), "features": both}


def onnx_session(model: str | os.PathLike | bytes, threads: int | None = None):
    """An ONNX Runtime CPU session of a graph file (or its bytes), set up as every runner here wants it."""
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise BackendError("The onnx backends need onnxruntime: `pip install onnxruntime`, or use --backend torch.") from err
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or cpu_threads()
    # One graph runs at a time (the classifier serializes calls), so no inter-op pool.
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model if isinstance(model, bytes) else str(model), options,
                                providers=["CPUExecutionProvider"])


def onnx_runner(model: str | os.PathLike | bytes, threads: int | None = None, outputs: int = 1) -> list[Runner]:
    """Runners of one session of a graph (a file, or its bytes): the first returns its first output, the
    next its second, and so on; with several outputs, a last one returns all of them side by side from
    one pass. Sharing the session keeps one thread pool: on a few cores, the spinning threads of a
    second session slowed every call that followed one of the other's."""
    session = onnx_session(model, threads)
    names = [output.name for output in session.get_outputs()[:outputs]]

    def runner(chosen: list[str]) -> Runner:
        def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
            found = session.run(chosen, {"input_ids": input_ids, "attention_mask": attention_mask})
            return found[0] if len(found) == 1 else np.concatenate(found, axis=1)

        return run

    return [runner([name]) for name in names] + ([runner(names)] if outputs > 1 else [])


def with_output(path: str | os.PathLike, op_type: str) -> bytes:
    """The graph at ``path`` with the output of its first ``op_type`` node added as its second output (in
    memory; the file is not changed)."""
    import onnx

    graph = onnx.load(str(path))
    tensor = next((node.output[0] for node in graph.graph.node if node.op_type == op_type), None)
    if tensor is None:
        raise BackendError(f"The graph {path} has no {op_type} node to read.")
    graph.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    return graph.SerializeToString()


def files_tag(checkpoint: Checkpoint, name: str) -> str:
    """What names the files derived from the outputs of backend ``name`` (``Backend.files_tag``); an
    ensemble's mixed backends ("onnx-int8+torch") as they are."""
    return REGISTRY[name].files_tag(checkpoint) if name in REGISTRY else name


def graph_files(checkpoint: Checkpoint) -> list[Path]:
    """The ONNX graph of every registered backend that runs one, for the checkpoint's current weights and settings."""
    return [backend.graph_file(checkpoint) for backend in REGISTRY.values() if backend.graph is not None]


def onnx_file(checkpoint: Checkpoint, backend: str, load_model: Callable[[], object]) -> Path:
    """The ONNX file of ``backend`` for the checkpoint's current weights: the shipped one, a cached one,
    or one built now (once, by the backend's ``build``)."""
    entry = get(backend)
    target = entry.graph_file(checkpoint)
    if target.is_file():
        return target
    require_torch(f"Building the {backend} model of {checkpoint.path} (it ships none for these weights)", checkpoint)
    checkpoint.remove_stale_onnx(target.parent, graph_files(checkpoint))
    log.info("Building the %s model of %s (once; cached in %s) ...", backend, checkpoint.path, target.parent)
    try:
        entry.build(checkpoint, target, load_model)
    except (BackendError, CheckpointError):
        raise
    except Exception as err:  # the exporter and quantizer raise many types
        raise BackendError(
            f"Could not build the {backend} model in {target.parent}: {err}. Use --backend {REFERENCE}, or update "
            "torch, onnx, onnxscript and onnxruntime."
        ) from err
    return target


# Here, not at the top: the exporter imports torch, which serving does without.
def _export(checkpoint: Checkpoint, target: Path, load_model: Callable[[], object]) -> None:
    from . import onnx_export

    replace_atomically(target, lambda tmp: onnx_export.export_onnx(load_model(), tmp), suffix=".onnx")


def _quantize(checkpoint: Checkpoint, target: Path, load_model: Callable[[], object]) -> None:
    """The int8 graph, quantized from the fp32 one (built first when missing, and kept: it is the onnx backend's)."""
    from . import onnx_export

    fp32 = onnx_file(checkpoint, "onnx", load_model)
    replace_atomically(target, lambda tmp: onnx_export.quantize_onnx(fp32, tmp, checkpoint.int8_fp32), suffix=".onnx")


def _fp32_roles(checkpoint: Checkpoint) -> str:
    """What names an int8 graph's fp32 roles (``Checkpoint.int8_fp32``) in the files made from it, so
    changing them never runs the old graph or its cached outputs."""
    return "".join(f"-{role}" for role in checkpoint.int8_fp32)


def _torch(classifier, threads: int | None) -> Runner:
    require_torch("The torch backend", classifier.checkpoint)
    return torch_runner(classifier.model)


def _graph(classifier, threads: int | None) -> Runner:
    """The runner of the backend's ONNX graph (``EmotionClassifier.load_graph``), found, cached or exported."""
    return classifier.load_graph(threads)


register(Backend("torch", "PyTorch, fp32", _torch, needs=f"PyTorch ({TRAINING_EXTRAS})", cpu_only=False,
                 reference=True, pooled_by_model=True))
register(Backend("onnx", "ONNX Runtime, fp32", _graph, needs="onnxruntime", graph=lambda checkpoint: "", build=_export))
register(Backend("onnx-int8", "ONNX Runtime, int8 weights and activations", _graph, needs="onnxruntime",
                 graph=lambda checkpoint: f"-int8{_fp32_roles(checkpoint)}", build=_quantize,
                 tag=lambda checkpoint: f"onnx-int8{_fp32_roles(checkpoint)}"))
BACKENDS = names()  # the shipped ones; a backend registered later is in REGISTRY (``names()``)
# The backend the checkpoint's stored probabilities and thresholds.json belong to (the registry's flag).
REFERENCE = next(name for name, backend in REGISTRY.items() if backend.reference)
DESCRIPTIONS = {name: backend.description for name, backend in REGISTRY.items()}
