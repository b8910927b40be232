"""The static Space: a folder that any static host serves as it is, where the model runs in the visitor's
browser (onnxruntime-web on WebAssembly). A free Hugging Face account can publish it (``sdk: static``).

The page draws with the app's own ``emotion/ui/*.js`` files (copied into the folder, never forked); its
own JavaScript, HTML and CSS live in ``web/``, and the npm packages it needs are pinned by
``web/package-lock.json`` and copied from ``web/node_modules`` (``npm ci --prefix web``). Nothing is
fetched from another origin at run time. What the page reads about the model is one ``space.json``
written here from the checkpoint: labels, the thresholds the int8 graph's answers use, a profile's
heads, the text normalisation, and the checksum of the graph.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..serve import backends, windows
from ..analysis import explain
from .. import text
from ..checkpoint import DEFAULT_CHECKPOINT, Checkpoint
from ..errors import EmotionError
from .. import files
from ..analysis.groups import by_index
from ..profiles.profile import Profile
from ..thresholds import Thresholds
from ..tokenizer import CONFIG as TOKENIZER_CONFIG, FILE as TOKENIZER_FILE, Tokenizer
from .assets import POLICY_JS
from .threshold_controls import SLIDER_MAX, SLIDER_MIN
from .inputs import Limits

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"  # the page's own files and its npm packages
UI = Path(__file__).parent  # shared with the Gradio app
PAGE_FILES = ("index.html", "space.css", "space.js", "engine.js", "normalize.js", "metrics.js", "occlusion.js", "table.js",
              "windows.js")
SHARED_FILES = ("render.js", "explain.js", "app.css")
POLICY_FILE = "ui/policy.js"  # written here: the threshold policies' names that render.js reads (``assets.POLICY_JS``)
# What the page needs from node_modules, and where it goes in the built folder.
VENDOR = {
    "vendor/ort/ort.wasm.min.mjs": "onnxruntime-web/dist/ort.wasm.min.mjs",
    "vendor/ort/ort-wasm-simd-threaded.mjs": "onnxruntime-web/dist/ort-wasm-simd-threaded.mjs",
    "vendor/ort/ort-wasm-simd-threaded.wasm": "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm",
    "vendor/tokenizers.min.mjs": "@huggingface/tokenizers/dist/tokenizers.min.mjs",
}
LICENSES = {"vendor/ort/LICENSE": "onnxruntime-web/LICENSE", "vendor/tokenizers-LICENSE": "@huggingface/tokenizers/LICENSE"}
MODEL, SETTINGS, EMOJI, TEST = "model/model.onnx", "model/space.json", "model/emoji.json", "data/test.json"
SPELLING = "model/spelling_words.txt"  # the speller's list (emotion/spelling_words.txt, its licence header kept)
WARMUP = "model/warmup.onnx"  # a one-node graph: starting it compiles the runtime while the model downloads
# Headers a Static Space sends for cross-origin isolation (README front matter), which WebAssembly threads need.
ISOLATION_HEADERS = {"cross-origin-embedder-policy": "require-corp", "cross-origin-opener-policy": "same-origin",
                     "cross-origin-resource-policy": "cross-origin"}
ATTRIBUTION = ("The test comments are from GoEmotions (Demszky et al., 2020, “GoEmotions: A Dataset of Fine-Grained "
               "Emotions”), © Google LLC, released under the Creative Commons Attribution 4.0 license (CC BY 4.0): "
               "https://github.com/google-research/google-research/tree/master/goemotions")


class SpaceError(EmotionError, RuntimeError):
    """The static Space cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class Built:
    folder: Path
    files: int
    bytes: int
    with_data: bool
    profile: str


def node_modules() -> Path:
    folder = WEB / "node_modules"
    missing = [path for path in VENDOR.values() if not (folder / path).is_file()]
    if missing:
        raise SpaceError(f"The page's JavaScript packages are not installed ({folder / missing[0]} is missing): "
                         f"run `npm ci --prefix {os.path.relpath(WEB)}` first.")
    return folder


def check_out_dir(out: Path) -> None:
    """An existing folder is replaced only when it is a build of ours (or empty): never a person's folder."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SETTINGS).is_file())):
        raise SpaceError(f"{out} exists and is not an earlier build of the Space; choose a new folder.")
    if out.resolve() in (ROOT, Path.home().resolve(), Path("/")):
        raise SpaceError(f"Refusing to build into {out}; choose a new folder.")


def graph_bytes(checkpoint: Checkpoint) -> bytes:
    """The int8 graph with the pooled embedding as its second output (what a profile's heads read)."""
    def torch_model():
        from ..serve.predict import EmotionClassifier

        return EmotionClassifier(checkpoint, backend=backends.REFERENCE).model

    path = backends.onnx_file(checkpoint, "onnx-int8", torch_model)
    try:
        return backends.with_output(path, backends.POOLER)
    except backends.BackendError:  # no pooler to read (not a BERT-style head): answers only, no profile heads
        return path.read_bytes()


def answers(checkpoint: Checkpoint, profile: str | os.PathLike | None, pooled: bool) -> dict:
    """The labels the page answers, their thresholds and a profile's heads."""
    labels = checkpoint.labels
    tuned: Thresholds | None = checkpoint.thresholds("onnx-int8")
    found: Profile | None = None
    if profile is not None:
        found = Profile.load(profile, labels)
        found.check_checkpoint(checkpoint)
        if found.heads and not pooled:
            raise SpaceError(f"The profile {profile} has heads, which read the pooled embedding; this checkpoint's "
                             "graph has none to read.")
        tuned = found.thresholds
    names = tuned.labels(labels) if tuned else labels
    return {
        "labels": names,
        "thresholds": None if tuned is None else [round(float(t), 4) for t in tuned.array(names)],
        "global": 0.5 if tuned is None else round(float(tuned.global_threshold), 4),
        "source": tuned.source if tuned else "0.5 for every label (the checkpoint has no tuned thresholds)",
        "heads": {name: {"weights": head.weights.tolist(), "intercept": head.intercept}
                  for name, head in (found.heads if found else {}).items()},
        "profile": found.name if found is not None else "",
        "new": list(range(len(labels), len(names))),
    }


def test_set(checkpoint: Checkpoint, data_dir: str | os.PathLike) -> dict:
    """The test comments with their gold labels and the probabilities the app's test-set tabs read (stored,
    torch's, with torch's thresholds), for the Per class, Metrics and Errors views."""
    from ..data import DataError, load_test_set

    def score_int8(test, why: str) -> np.ndarray:
        from ..serve.predict import EmotionClassifier

        log.warning("%s Scoring the test set with the int8 graph instead.", why)
        return EmotionClassifier(checkpoint, backend="onnx-int8").predict_probabilities(test.texts)

    try:
        test = load_test_set(data_dir, checkpoint, fallback=score_int8)
    except DataError as err:
        raise SpaceError(f"{err} (--data_dir {data_dir})") from None
    # the thresholds that go with the probabilities: torch's with the stored ones, else the int8 graph's own
    tuned, whose = (checkpoint.thresholds(), "stored (PyTorch's)") if test.stored else (
        checkpoint.thresholds("onnx-int8"), "int8")
    labels = checkpoint.labels
    return {
        "split": "test", "source": str(data_dir), "attribution": ATTRIBUTION, "probabilities_from": whose,
        "texts": test.texts, "ids": test.ids, "gold": test.label_ids,
        "probabilities": np.round(np.asarray(test.probs, dtype=np.float64), 6).tolist(),
        "thresholds": None if tuned is None else [round(float(t), 4) for t in tuned.array(labels)],
        "global": 0.5 if tuned is None else round(float(tuned.global_threshold), 4),
        "thresholds_source": tuned.source if tuned else "none tuned: 0.5 for every label",
    }


def readme(checkpoint: Checkpoint, with_data: bool) -> str:
    headers = "".join(f"  {k}: {v}\n" for k, v in ISOLATION_HEADERS.items())
    data = f"\n{ATTRIBUTION}\n" if with_data else ""
    return (f"---\ntitle: Emotions in comments\nemoji: 💬\ncolorFrom: red\ncolorTo: gray\nsdk: static\n"
            f"app_file: index.html\npinned: false\nlicense: apache-2.0\ncustom_headers:\n{headers}---\n\n"
            f"# Emotions in comments ({checkpoint.name})\n\nWhich of 28 emotions (GoEmotions) a short comment "
            "expresses. The model runs in your browser (WebAssembly): what you paste never leaves your machine.\n"
            f"Built by `python build_space.py` from the checkpoint {checkpoint.name}.\n{data}")


def build(out: str | os.PathLike, checkpoint: str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None,
          profile: str | os.PathLike | None = None) -> Built:
    """Write the static Space into ``out`` (created, or an earlier build replaced)."""
    out = Path(out)
    modules = node_modules()
    check_out_dir(out)
    ckpt = Checkpoint.open(checkpoint or DEFAULT_CHECKPOINT)
    if ckpt.members:
        raise SpaceError(f"{ckpt.path} is an ensemble; the Space runs one model's graph. Build it from one member.")
    ckpt.check_weights()
    text.normalizer(ckpt.text_normalization)  # an unknown normalisation is refused here, not in the browser
    tokenizer = Tokenizer(ckpt.path)
    graph = graph_bytes(ckpt)
    settings = {
        "checkpoint": ckpt.name, "weights_sha256": ckpt.fingerprint, "labels": ckpt.labels,
        "answers": answers(ckpt, profile, graph_has_pooled(graph)), "max_length": ckpt.max_length,
        "text_normalization": ckpt.text_normalization, "pad_id": tokenizer.pad_token_id or 0,
        "mask_token": tokenizer.mask_token, "limits": page_limits(), "formula": formula_rule(),
        "windows": {"overlap": windows.OVERLAP, "combine": windows.COMBINE},  # how a long comment is read
        "slider": {"min": SLIDER_MIN, "max": SLIDER_MAX},  # the app's global threshold slider
        "explain": {"max_words": explain.MAX_WORDS, "top_share": explain.TOP_SHARE, "min_p": explain.MIN_P},
        "model": {"file": MODEL, "bytes": len(graph), "sha256": hashlib.sha256(graph).hexdigest(), "warmup": WARMUP},
        "tokenizer": {"file": f"model/{TOKENIZER_FILE}", "config": f"model/{TOKENIZER_CONFIG}"},
        "emoji": EMOJI if text.DEMOJIZE in ckpt.text_normalization.split("+") else None,
        # Fetched by the page only for a checkpoint that spells (about 0.4 MB).
        "spelling": ({"file": SPELLING, "min_length": text.MIN_LENGTH}
                     if text.SPELL in ckpt.text_normalization.split("+") else None),
        "data": TEST if data_dir else None, "built": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    settings["groups"] = by_index(settings["answers"]["labels"])
    stage = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(stage, ignore_errors=True)
    try:
        for name in PAGE_FILES:
            copy(WEB / name, stage / name)
        for name in SHARED_FILES:
            copy(UI / name, stage / "ui" / name)
        (stage / POLICY_FILE).write_text(POLICY_JS, encoding="utf-8")
        for target, source in {**VENDOR, **LICENSES}.items():
            if (modules / source).is_file():
                copy(modules / source, stage / target)
        (stage / "model").mkdir(parents=True, exist_ok=True)
        (stage / MODEL).write_bytes(graph)
        (stage / WARMUP).write_bytes(warmup_graph())
        for name in (TOKENIZER_FILE, TOKENIZER_CONFIG):
            if (ckpt.path / name).is_file():
                copy(ckpt.path / name, stage / "model" / name)
            else:
                write(stage / "model" / name, {})
        if settings["emoji"]:
            write(stage / EMOJI, text.emoji_table())
        if settings["spelling"]:
            copy(text.SPELLING_WORDS, stage / SPELLING)
        if data_dir:
            write(stage / TEST, test_set(ckpt, data_dir))
        write(stage / SETTINGS, settings)
        (stage / "README.md").write_text(readme(ckpt, bool(data_dir)), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        stage.rename(out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    files = [p for p in out.rglob("*") if p.is_file()]
    return Built(out, len(files), sum(p.stat().st_size for p in files), bool(data_dir), settings["answers"]["profile"])


def formula_rule() -> dict:
    """``emotion.files``' rule for a text cell a spreadsheet would run, for the page's CSV download."""
    number = getattr(files, "NUMBER", None)
    return {"start": list(files.FORMULA_START), "number": number.pattern if number is not None else None}


def page_limits() -> dict:
    """The Python app's limits on what a visitor pastes or uploads (a batch over max_rows is refused)."""
    from dataclasses import asdict

    return asdict(Limits())


def warmup_graph() -> bytes:
    """The smallest graph onnxruntime-web will start (one Identity), so the page can compile and start the
    WebAssembly runtime while the model is still downloading."""
    import onnx
    from onnx import TensorProto, helper

    tensor = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "warmup", [tensor("x")], [tensor("y")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def graph_has_pooled(graph: bytes) -> bool:
    import onnx

    return len(onnx.load_from_string(graph).graph.output) > 1


def copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def write(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def server(folder: str | os.PathLike, port: int = 0, isolated: bool = True, host: str = "127.0.0.1",
           sent: list | None = None):
    """A threaded HTTP server of ``folder`` that sends the headers a Static Space sends (``isolated``), or none
    (as ``python -m http.server`` does); for tests and benchmarks. ``serve_forever`` it in a thread. ``sent``:
    a list that gets (path, bytes of body) for every file served whole (a benchmark's bytes downloaded)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                          ".wasm": "application/wasm", ".onnx": "application/octet-stream"}

        def end_headers(self) -> None:
            if isolated:
                for name, value in ISOLATION_HEADERS.items():
                    self.send_header(name, value)
            super().end_headers()

        def copyfile(self, source, outputfile) -> None:
            if sent is not None:
                sent.append((self.path, os.fstat(source.fileno()).st_size))
            super().copyfile(source, outputfile)

        def log_message(self, *args) -> None:  # a test's output is for its failures
            pass

    return ThreadingHTTPServer((host, port), partial(Handler, directory=str(folder)))
