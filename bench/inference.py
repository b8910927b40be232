"""Inference benchmark: our torch, onnx and onnx-int8 backends against a fixed baseline, side by side
on the same test comments, plus the app's own start-up figure.

    python bench/inference.py --data_dir ../shared/data/goemotions
    python bench/inference.py --data_dir ../shared/data/goemotions \
        --checkpoint checkpoints/minilm-goemotions --teacher checkpoints/minilm-l4-goemotions

The baseline is what a user would otherwise run: the Hugging Face pipeline on all-MiniLM-L6-v2 (6 layers)
with a 28-label head. Its speed depends only on the architecture, so it is the same for a default of any
size; its head is untrained, so it has no F1. Every row gets two ratios to it: batched throughput and
one-comment p50. The checkpoint's own pipeline row is kept as the reference for its answers.

With ``--teacher`` (the model a student would replace), that model's pipeline and torch rows are added,
so the student's speed (batched and one-comment p50) and F1 are also shown against it.

Each engine runs in a fresh process (so its peak memory is its own) and measures: one-comment
latency p50 / p95 (a call per comment, tokenization included), batched throughput over the whole
test split (batch 64), peak resident memory, and test F1 at the checkpoint's tuned thresholds. The
table is printed and written to bench/results/ with the CPU's instruction set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from emotion.cli import free_port  # noqa: E402
from emotion.serve.backends import BACKENDS, REFERENCE  # noqa: E402

ENGINES = ("pipeline", *BACKENDS)
BASELINE = "baseline"  # the HF pipeline on all-MiniLM-L6-v2 with a 28-label head: what the ratios divide by
TEACHER = "teacher"
TEACHER_ENGINES = ("pipeline", REFERENCE)
BATCH = 64


def load_engine(name: str, checkpoint: str):
    """(one comment -> anything, many comments -> (N, L) probabilities, label names, the thresholds
    its answers use as a dict, or None for the checkpoint's own)."""
    if name in ("pipeline", BASELINE):
        import torch
        from transformers import AutoTokenizer, pipeline

        if name == BASELINE:
            from emotion.serve.model import MINILM_ALIAS, build_model, resolve_model_name

            model = build_model(MINILM_ALIAS).eval()
            pipe = pipeline("text-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(
                resolve_model_name(MINILM_ALIAS)), top_k=None, function_to_apply="sigmoid", device=-1)
        else:
            pipe = pipeline("text-classification", model=checkpoint, top_k=None, function_to_apply="sigmoid",
                            device=-1, dtype=torch.float32)
        labels = [pipe.model.config.id2label[i] for i in range(pipe.model.config.num_labels)]
        options = dict(truncation=True, max_length=128)

        def many(texts):
            out = pipe(texts, batch_size=BATCH, **options)
            return np.array([[{d["label"]: d["score"] for d in row}[name] for name in labels] for row in out])

        return (lambda text: pipe(text, **options)), many, labels, None
    from emotion.serve.predict import EmotionClassifier

    classifier = EmotionClassifier(checkpoint, device="cpu", backend=name, batch_size=BATCH)
    thresholds = classifier.thresholds.to_dict() if classifier.thresholds is not None else None
    return classifier.predict, classifier.predict_probabilities, classifier.labels, thresholds


def measure(name: str, checkpoint: str, data_dir: str, latency_comments: int, out: Path) -> None:
    """Run in a child process: write probabilities (.npy) and figures (.json) under ``out``."""
    from emotion.data import load_split

    texts = list(load_split("test", data_dir)["text"])
    start = time.perf_counter()
    one, many, labels, thresholds = load_engine(name, checkpoint)
    load_seconds = time.perf_counter() - start
    many(texts[:BATCH])  # warm-up: first calls allocate
    sample = [texts[i] for i in np.random.default_rng(0).choice(len(texts), latency_comments, replace=False)]
    latencies = []
    for text in sample:
        start = time.perf_counter()
        one(text)
        latencies.append(time.perf_counter() - start)
    start = time.perf_counter()
    probs = many(texts)
    seconds = time.perf_counter() - start
    np.save(out / f"{name}.npy", probs.astype(np.float32))
    figures = {
        "load_s": load_seconds,
        "p50_ms": 1000 * float(np.percentile(latencies, 50)),
        "p95_ms": 1000 * float(np.percentile(latencies, 95)),
        "comments_per_s": len(texts) / seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "labels": labels,
        "thresholds": thresholds,
    }
    (out / f"{name}.json").write_text(json.dumps(figures))


def score(probs: np.ndarray, y_true: np.ndarray, global_threshold: float, per_class: np.ndarray) -> dict[str, float]:
    from emotion.metrics import compute_metrics

    tuned = compute_metrics(probs, y_true, global_threshold)
    per_class = compute_metrics(probs, y_true, per_class)
    return {"micro_f1": tuned["micro_f1"], "macro_f1": tuned["macro_f1"],
            "per_class_micro_f1": per_class["micro_f1"], "per_class_macro_f1": per_class["macro_f1"]}


def app_figures(checkpoint: str) -> dict[str, float]:
    """Seconds from `python app.py` to the first answer over its API (what a person waits for in the
    app's tabs is bench/ui.py's, measured in a browser)."""
    from gradio_client import Client

    port = free_port()
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--checkpoint", checkpoint, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while True:
            if server.poll() is not None or time.perf_counter() - start > 300:
                raise RuntimeError("app.py did not start; run it by hand to see why")
            try:
                Client(f"http://127.0.0.1:{port}/", verbose=False).predict("thanks, this helped!", api_name="/predict")
                break
            except Exception:  # not listening yet
                time.sleep(0.2)
        first_answer = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()

    return {"start_to_first_answer_s": first_answer}


def table(results: dict[str, dict]) -> str:
    base = results[BASELINE]
    ref = results[REFERENCE]
    teacher = results.get(f"{TEACHER} pipeline")
    head = ("| engine | one comment p50 | p95 | batched | vs baseline: batched | vs baseline: p50 | "
            + ("vs teacher pipeline: batched, p50 | " if teacher else "")
            + "peak memory | test micro F1 | macro F1 | per-class micro F1 | per-class macro F1 | label sets = torch "
            "| global threshold |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for name, r in results.items():
        if name == BASELINE:
            f1 = " | ".join(["(untrained head)"] + ["-"] * 5)
        else:
            f1 = " | ".join(f"{r[k]:.4f} ({r[k] - ref[k]:+.4f})" if name != REFERENCE else f"{r[k]:.4f}"
                            for k in ("micro_f1", "macro_f1", "per_class_micro_f1", "per_class_macro_f1"))
            f1 += f" | {100 * r['agreement']:.1f}% | {r['global_threshold']:.2f}"
        vs_teacher = (f"{r['comments_per_s'] / teacher['comments_per_s']:.1f}x, {r['p50_ms'] / teacher['p50_ms']:.2f}x | "
                      if teacher else "")
        lines.append(
            f"| {name} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['comments_per_s']:.0f}/s | "
            f"{r['comments_per_s'] / base['comments_per_s']:.1f}x | {r['p50_ms'] / base['p50_ms']:.2f}x | "
            f"{vs_teacher}{r['peak_mib']:.0f} MiB | {f1} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="default: the shipped model")
    parser.add_argument("--data_dir", default=os.environ.get("GOEMOTIONS_DIR"), help="GoEmotions folder")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--teacher", help="the model a student --checkpoint would replace: adds its "
                                          "pipeline and torch rows")
    parser.add_argument("--latency_comments", type=int, default=300, help="comments timed one at a time")
    parser.add_argument("--skip_app", action="store_true", help="leave out the app's start-up figure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "inference")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    from emotion.checkpoint import DEFAULT_CHECKPOINT

    args.checkpoint = args.checkpoint or str(DEFAULT_CHECKPOINT)
    if args.child:
        measure(args.child[0], args.checkpoint, args.data_dir, args.latency_comments, Path(args.child[1]))
        return

    from emotion.serve.backends import cpu_threads, instruction_set
    from emotion.checkpoint import Checkpoint
    from emotion.data import labelled_split
    from emotion.thresholds import Thresholds

    for name in (REFERENCE, "pipeline"):
        if name not in args.engines:
            args.engines.insert(0, name)  # the reference and the baseline
    gold = labelled_split("test", args.data_dir).y_true
    runs = [(name, args.checkpoint, name) for name in ENGINES if name in args.engines]
    if args.teacher:
        runs = [(f"{TEACHER} {name}", args.teacher, name) for name in TEACHER_ENGINES] + runs
    runs = [(BASELINE, args.checkpoint, BASELINE)] + runs
    results: dict[str, dict] = {}
    label_sets: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row, checkpoint, name in runs:
            print(f"[bench] {row} ...", flush=True)
            folder = Path(tmp, row.replace(" ", "-"))
            folder.mkdir()
            subprocess.run([sys.executable, __file__, "--checkpoint", checkpoint, "--data_dir", str(args.data_dir),
                            "--latency_comments", str(args.latency_comments), "--child", name, str(folder)],
                           check=True)
            figures = json.loads((folder / f"{name}.json").read_text())
            labels, own = figures.pop("labels"), figures.pop("thresholds")
            if name == BASELINE:
                results[row] = figures
                continue
            probs = np.load(folder / f"{name}.npy")
            thresholds = (Thresholds.from_dict(own, labels) if own is not None
                          else Checkpoint.open(checkpoint).thresholds())
            per_class = thresholds.array(labels)
            results[row] = {**figures, **score(probs, gold, thresholds.global_threshold, per_class),
                            "global_threshold": thresholds.global_threshold}
            # Label sets at the per-class thresholds the app uses by default, each engine its own.
            label_sets[row] = probs >= per_class
    for row, r in results.items():
        if row != BASELINE:
            r["agreement"] = float((label_sets[row] == label_sets[REFERENCE]).all(axis=1).mean())

    report = [
        f"# Inference benchmark ({time.strftime('%Y-%m-%d')})", "",
        f"Checkpoint `{Path(args.checkpoint).name}`"
        + (f" (teacher rows: `{Path(args.teacher).name}`, the model it would replace)" if args.teacher else "")
        + "; baseline (the ratios' denominator): the HF pipeline on all-MiniLM-L6-v2 (6 layers) with a 28-label head"
        + f"; GoEmotions test split ({len(gold):,} comments); batch {BATCH}; "
        f"{cpu_threads()} CPU threads ({platform.processor() or platform.machine()}, {instruction_set()}); F1 at the thresholds "
        "each engine's answers use, tuned on dev (global: micro / macro; per-class; onnx backends at their own "
        "when the checkpoint records them), difference to torch in brackets; label sets = torch: comments whose "
        "predicted labels (per-class thresholds) equal torch's.", "", table(results),
    ]
    if not args.skip_app:
        app = app_figures(args.checkpoint)
        report += ["", f"App: `python app.py` to first answer {app['start_to_first_answer_s']:.1f} s."]
        results["app"] = app
    text = "\n".join(report)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(text + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"[bench] wrote {args.out.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
