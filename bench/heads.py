"""What profiles with heads cost on this machine: fitting one on 100 and on 1,000 labelled comments, and
scoring with heads against scoring without them, side by side in one run.

    python bench/heads.py --data_dir ../shared/data/goemotions      # writes bench/results/heads.md

The labelled comments are dev comments with eight of our labels and three labels made of several of
ours (a stand-in for a team's own; their figures are in docs/adapt.md, not here). Scoring alternates
the two classifiers over the same comments, so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion.profiles.fit import Sample, fit_profile  # noqa: E402
from emotion.serve.backends import instruction_set  # noqa: E402
from emotion.checkpoint import DEFAULT_CHECKPOINT  # noqa: E402
from emotion.data import load_split, multi_hot  # noqa: E402
from emotion.serve.predict import EmotionClassifier  # noqa: E402

OURS = ["anger", "disgust", "fear", "joy", "love", "optimism", "sadness", "surprise"]
# A team's own labels, built from ours so that dev can stand in for their sample.
MADE = {"frustration": ["anger", "annoyance", "disappointment"], "warmth": ["caring", "love", "gratitude"],
        "trust": ["approval", "admiration"]}


def labelled(texts: list[str], y: np.ndarray, labels: list[str], rows: np.ndarray) -> Sample:
    columns = [y[rows][:, labels.index(n)] for n in OURS]
    columns += [y[rows][:, [labels.index(m) for m in members]].max(1) for members in MADE.values()]
    return Sample([texts[i] for i in rows], np.column_stack(columns), OURS + list(MADE), "bench", None, tuple(MADE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--comments", type=int, default=2000, help="dev comments scored per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "heads.md")
    args = parser.parse_args()
    plain = EmotionClassifier(args.checkpoint)
    dev = load_split("dev", args.data_dir)
    texts, y = list(dev["text"]), multi_hot(dev["labels"], len(plain.labels))
    rng = np.random.default_rng(0)
    fits = {}
    for n in (100, 1000):
        sample = labelled(texts, y, plain.labels, rng.choice(len(texts), n, replace=False))
        started = time.perf_counter()
        profile = fit_profile(plain, sample)
        fits[n] = (time.perf_counter() - started, len(profile.heads))
    with tempfile.TemporaryDirectory() as tmp:
        profiled = EmotionClassifier(args.checkpoint, profile=profile.save(Path(tmp) / "p.json"))
    batch = texts[: args.comments]
    plain.predict_probabilities(batch[:64]), profiled.predict_probabilities(batch[:64])  # warm-up
    rates = {"without heads": [], "with heads": []}
    for _ in range(args.rounds):
        for name, classifier in (("without heads", plain), ("with heads", profiled)):
            started = time.perf_counter()
            classifier.predict_probabilities(batch)
            rates[name].append(len(batch) / (time.perf_counter() - started))
    median = {name: statistics.median(r) for name, r in rates.items()}
    cost = 1 - median["with heads"] / median["without heads"]
    lines = [
        "# Profiles with heads: fitting and scoring cost",
        "",
        f"`python bench/heads.py` on {platform.processor() or platform.machine()}, {instruction_set()}, "
        f"{plain.backend}, checkpoint `{plain.name}`; labels: {len(OURS)} of ours and {len(MADE)} new.",
        "",
        "| labelled comments | fitting a profile (s) | heads kept |",
        "|---:|---:|---:|",
        *[f"| {n:,} | {seconds:.1f} | {heads} |" for n, (seconds, heads) in fits.items()],
        "",
        f"| scoring {len(batch):,} dev comments, median of {args.rounds} alternating rounds | comments/s |",
        "|---|---:|",
        *[f"| {name} | {rate:.0f} |" for name, rate in median.items()],
        "",
        f"Heads cost **{100 * cost:.1f}%** of the throughput ({len(profile.heads)} heads on the 1,000-comment "
        "profile: the same forward pass, read one output further, then one dot product per head).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
