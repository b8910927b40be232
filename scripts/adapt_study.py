"""A simulated platform shift built from our own dev split: do threshold profiles help, and from how
many labelled comments? Prints a markdown table (docs/adapt.md holds its output).

    python scripts/adapt_study.py --data_dir ../shared/data/goemotions

The dev comments are split in two disjoint halves. In each half, comments carrying any of eight
labels are drawn 50x as often, so those labels are 7-8x as frequent as on Reddit, about as anger
and joy are on Twitter. A profile is tuned on N comments drawn from the first
half and graded on 3,000 drawn from the second, against the checkpoint's own thresholds. Only the
label frequencies shift here (the model's probabilities are the stored dev ones): a real platform
shifts the text too, so the gains there differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COVERED = ["anger", "fear", "joy", "sadness"]
SIZES = (25, 50, 100, 400)
DRAWS = 5
BOOST = 50.0
GRADED = 3000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="default: the shipped model")
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder (default: $GOEMOTIONS_DIR, else the Hub)")
    args = parser.parse_args()
    from emotion.profiles.fit import Sample, adapt
    from emotion.checkpoint import DEFAULT_CHECKPOINT, Checkpoint
    from emotion.data import load_split, multi_hot
    from emotion.metrics import confusion_counts, f1_from_counts
    from emotion.thresholds import tune_per_class_raw

    checkpoint = Checkpoint.open(args.checkpoint or DEFAULT_CHECKPOINT)
    dev = load_split("dev", args.data_dir)
    ids, probs = checkpoint.probabilities("dev", [str(i) for i in dev["id"]])
    labels = checkpoint.labels
    y = multi_hot(dev["labels"], len(labels))
    columns = [labels.index(c) for c in COVERED]
    base = checkpoint.thresholds()
    weight = np.where(y[:, columns].any(1), BOOST, 1.0)

    rng = np.random.default_rng(0)
    halves = np.array_split(rng.permutation(len(ids)), 2)

    def draw(half: np.ndarray, n: int, replace: bool) -> np.ndarray:
        w = weight[half] / weight[half].sum()
        return rng.choice(half, size=n, replace=replace, p=w)

    def macro(rows: np.ndarray, thresholds: np.ndarray) -> float:
        return float(f1_from_counts(*confusion_counts(probs[rows][:, columns] >= thresholds, y[rows][:, columns])).mean())

    print(f"Checkpoint `{checkpoint.name}`; {len(ids):,} dev comments; labels boosted {BOOST:.0f}x: {', '.join(COVERED)}")
    print("frequency on dev -> in the shifted draws: " + ", ".join(
        f"{c} {y[:, j].mean():.1%} -> {np.average(y[:, j], weights=weight):.1%}" for c, j in zip(COVERED, columns)))
    print()
    print("| labelled comments | checkpoint thresholds | raw sample-best thresholds | profile (shrunk) | profile's own CV estimate |")
    print("|---:|---:|---:|---:|---:|")
    prior = base.array(labels)[columns]
    for n in SIZES:
        before, raw, after, estimate = [], [], [], []
        for _ in range(DRAWS):
            # A labelled sample holds each comment once; the graded population may repeat them.
            tune_rows, graded = draw(halves[0], n, replace=False), draw(halves[1], GRADED, replace=True)
            sample = Sample([str(i) for i in tune_rows], y[tune_rows][:, columns], COVERED, "shift")
            profile = adapt(probs[tune_rows], sample, labels, base)
            before.append(macro(graded, prior))
            raw.append(macro(graded, tune_per_class_raw(probs[tune_rows][:, columns], y[tune_rows][:, columns])))
            after.append(macro(graded, profile.thresholds.array(labels)[columns]))
            estimate.append(profile.summary["macro_f1_after_cv"])
        cell = lambda v: f"{np.mean(v):.3f} ± {np.std(v):.3f}"
        print(f"| {n} | {cell(before)} | {cell(raw)} | {cell(after)} | {cell(estimate)} |")
    print(f"\nMacro F1 over the {len(COVERED)} labels on {GRADED:,} shifted comments from the other half of dev; "
          f"mean ± sd over {DRAWS} draws.")


if __name__ == "__main__":
    main()
