"""Dev F1 of checkpoints overall and on the dev comments that contain emoji (from stored probabilities).

    python scripts/emoji_subset.py checkpoints/minilm-goemotions checkpoints/other --data_dir ../shared/data/goemotions

Each checkpoint is scored at its own global threshold tuned on dev; the emoji subset is small (114 of
5,426 dev comments), so its figures move a lot with a few comments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder (default: $GOEMOTIONS_DIR, else the Hub)")
    args = parser.parse_args()
    import emoji

    from emotion.checkpoint import Checkpoint
    from emotion.data import load_split, multi_hot
    from emotion.metrics import compute_metrics

    dev = load_split("dev", args.data_dir)
    has_emoji = [emoji.emoji_count(text) > 0 for text in dev["text"]]
    rows = []
    for path in args.checkpoints:
        checkpoint = Checkpoint.open(path)
        _, probs = checkpoint.probabilities("dev", dev["id"])
        y_true = multi_hot(dev["labels"], len(checkpoint.labels))
        threshold = checkpoint.thresholds().global_threshold
        row = {"checkpoint": checkpoint.name, "text normalization": checkpoint.text_normalization}
        for name, mask in (("all", [True] * len(has_emoji)), ("with emoji", has_emoji)):
            figures = compute_metrics(probs[mask], y_true[mask], threshold)
            row[f"{name}: comments"] = int(sum(mask))
            row[f"{name}: micro F1"] = round(figures["micro_f1"], 4)
            row[f"{name}: macro F1"] = round(figures["macro_f1"], 4)
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
