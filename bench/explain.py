"""How long the explanations take on this machine: word effects of a ~30-word comment, a neighbour
query, and the one-off precompute (embeddings of the training comments, the label audit).

    python bench/explain.py --data_dir ../shared/data/goemotions      # writes bench/results/explain.md

Server time, measured in-process with the default backend; the precompute is built afresh in a
temporary copy of the checkpoint. Run it on a quiet machine: two cores are easily shared.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion.analysis.audit import build  # noqa: E402
from emotion.serve.backends import instruction_set  # noqa: E402
from emotion.checkpoint import DEFAULT_CHECKPOINT  # noqa: E402
from emotion.data import load_split  # noqa: E402
from emotion.analysis.explain import explain  # noqa: E402
from emotion.serve.predict import EmotionClassifier  # noqa: E402
from emotion.analysis.similar import Embedder, Index  # noqa: E402


def timed(action, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--comments", type=int, default=30, help="dev comments of 25-35 words timed")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "explain.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / Path(args.checkpoint).name
        shutil.copytree(args.checkpoint, folder, ignore=shutil.ignore_patterns("cache"))
        classifier = EmotionClassifier(folder)
        dev = load_split("dev", args.data_dir)
        texts = [t for t in dev["text"] if 25 <= len(t.split()) <= 35][: args.comments]
        explain(classifier, texts[0])  # warm-up
        explaining = [t for text in texts for t in timed(lambda: explain(classifier, text), 1)]
        # The same comments predicted alone, in the same run: the machine is shared and absolute times
        # drift between runs, so the explanation's cost in predictions is the figure that compares.
        predicting = [t for text in texts for t in timed(lambda: classifier.predict(text), 1)]
        train = load_split("train", args.data_dir)
        embedder = Embedder(classifier)
        started = time.perf_counter()
        index = Index.load_or_build(classifier, [str(i) for i in train["id"]], list(train["text"]), embedder)
        embedding_s = time.perf_counter() - started
        querying = [t for text in texts for t in timed(lambda: index.nearest(embedder.embed([text])[0], 5), 1)]
        started = time.perf_counter()
        _, seconds = build(classifier, args.data_dir)
        audit_s = time.perf_counter() - started
    words = statistics.median(len(t.split()) for t in texts)
    lines = [
        f"# How long explanations take ({time.strftime('%Y-%m-%d')})", "",
        f"{platform.python_version()}; {instruction_set()}; `{Path(args.checkpoint).name}` on `{classifier.backend}`; "
        f"{len(texts)} dev comments of 25-35 words (median {words:.0f}). Server time in-process.", "",
        "| what | n | p50 ms | p90 ms |", "|---|---:|---:|---:|",
        f"| word effects for all 28 labels, with the faithfulness line | {len(explaining)} | "
        f"{statistics.median(explaining):.0f} | {statistics.quantiles(explaining, n=10)[-1]:.0f} |",
        f"| one prediction of the same comment (reference, same run) | {len(predicting)} | "
        f"{statistics.median(predicting):.1f} | {statistics.quantiles(predicting, n=10)[-1]:.1f} |",
        f"| nearest 5 training comments (embed the comment + exact cosine over {len(index.ids):,}) | {len(querying)} | "
        f"{statistics.median(querying):.1f} | {statistics.quantiles(querying, n=10)[-1]:.1f} |", "",
        "| one-off precompute | seconds |", "|---|---:|",
        f"| embeddings of the {len(index.ids):,} training comments | {embedding_s:.0f} |",
        *(f"| audit: {name} | {value:.0f} |" for name, value in seconds.items() if name != "train embeddings"),
        f"| audit in all (train, dev, test; embeddings cached) | {audit_s:.0f} |",
    ]
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
