"""Recompute a checkpoint's test metrics with plain transformers and compare with its metrics.json.

    python scripts/verify_checkpoint.py --checkpoint checkpoints/minilm-l4-goemotions --data_dir ../shared/data/goemotions

Only `AutoModelForSequenceClassification` + `AutoTokenizer` (max length 128), scikit-learn and, for a
checkpoint trained on emoji written as words, the emoji package: none of this project's model code, so a
match shows the shipped files are what metrics.json describes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score, precision_score, recall_score
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="checkpoints/minilm-l4-goemotions")
    parser.add_argument("--data_dir", default="../shared/data/goemotions")
    parser.add_argument("--tolerance", type=float, default=0.005)
    args = parser.parse_args()
    folder = Path(args.checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=torch.float32).eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    test = pd.read_csv(Path(args.data_dir) / "test.tsv", sep="\t", header=None, quoting=csv.QUOTE_NONE,
                       names=["text", "labels", "id"], dtype=str, keep_default_na=False, encoding="utf-8")
    config_file = folder / "training_config.json"
    if config_file.is_file() and json.loads(config_file.read_text()).get("text_normalization") == "demojize":
        import emoji  # the model was trained on emoji written as their English names; so is its input here

        test["text"] = [emoji.replace_emoji(t, replace=lambda _, d: f" {d['en'].strip(':').replace('_', ' ')} ")
                        for t in test["text"]]
    y = np.zeros((len(test), len(labels)), dtype=int)
    for row, ids in enumerate(test["labels"]):
        y[row, [int(i) for i in ids.split(",")]] = 1
    probs = []
    with torch.inference_mode():
        for start in range(0, len(test), 64):
            batch = tokenizer(list(test["text"][start:start + 64]), truncation=True, max_length=128, padding=True,
                              return_tensors="pt")
            probs.append(torch.sigmoid(model(**batch).logits).numpy())
    probs = np.vstack(probs)
    thresholds = json.loads((folder / "thresholds.json").read_text())
    stored = json.loads((folder / "metrics.json").read_text())["test"]
    policies = {"global_0.5": 0.5, "global_tuned": thresholds["global"],
                "per_class_tuned": np.array([thresholds["per_class"][n] for n in labels])}
    worst = 0.0
    print(f"{'policy':<16} {'metric':<16} {'recomputed':>10} {'metrics.json':>12}")
    for policy, t in policies.items():
        pred = (probs >= t).astype(int)
        values = {
            "micro_f1": f1_score(y, pred, average="micro", zero_division=0),
            "macro_f1": f1_score(y, pred, average="macro", zero_division=0),
            "weighted_f1": f1_score(y, pred, average="weighted", zero_division=0),
            "micro_precision": precision_score(y, pred, average="micro", zero_division=0),
            "micro_recall": recall_score(y, pred, average="micro", zero_division=0),
        }
        for name, value in values.items():
            worst = max(worst, abs(value - stored[policy][name]))
            print(f"{policy:<16} {name:<16} {value:>10.4f} {stored[policy][name]:>12.4f}")
    print(f"largest difference: {worst:.5f} (tolerance {args.tolerance})")
    sys.exit(0 if worst <= args.tolerance else 1)


if __name__ == "__main__":
    main()
