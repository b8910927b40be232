"""How to read a comment longer than the model's 128 tokens: cut it (the old way), or read it in overlapping
windows and combine their answers (the mean of the logits, or each label's highest; neutral's highest or
lowest). Long comments with known labels are made by joining labelled comments of one split until the
whole is longer than the model reads; its gold labels are the union of theirs (neutral only if all were
neutral). Each way is graded at the checkpoint's per-class thresholds.

The rule, fixed before the run: on dev, the way with the highest macro F1 is the default, unless another is
within 0.005 of it with a higher micro F1. Test is reported after.

    python scripts/long_comments.py --data_dir ../shared/data/goemotions --split dev
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from emotion.serve import windows
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.data import load_split, multi_hot
    from emotion.metrics import compute_metrics
    from emotion.serve.predict import EmotionClassifier

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    parser.add_argument("--comments", type=int, default=500, help="long comments to make")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = EmotionClassifier(args.checkpoint)
    data = load_split(args.split, args.data_dir)
    texts, gold = data["text"], multi_hot(data["labels"], len(model.labels)).astype(bool)
    neutral = windows.neutral_index(model.labels)
    rng = random.Random(args.seed)
    run = model.output_runner("logits")
    rows, truth, tokens = [], [], []
    while len(rows) < args.comments:
        parts, ids = [], [0, 0]
        while len(ids) <= model.max_length * 1.2:
            parts.append(rng.randrange(len(texts)))
            ids = model.tokenizer.encode([model.normalize(" ".join(texts[i] for i in parts))])[0]
        labels = gold[parts].any(axis=0)
        if labels[np.arange(len(labels)) != neutral].any():
            labels[neutral] = False
        logits = np.vstack([run(np.asarray([w]), np.ones((1, len(w)), dtype=np.int64))
                            for w in windows.split(ids, model.max_length)])
        rows.append(logits)
        truth.append(labels)
        tokens.append(len(ids))
    truth = np.asarray(truth)
    thresholds = model.threshold_array(None)
    print(f"{model.name} on {model.backend}, {args.split}: {len(rows)} long comments, {np.median(tokens):.0f} tokens "
          f"(median; {min(tokens)}-{max(tokens)}), {np.mean([len(r) for r in rows]):.1f} windows on average")

    def rule(name: str):
        if name == "max (neutral too)":
            return lambda r: r.max(axis=0)
        return lambda r: windows.combine(r, r.shape[1], neutral, name)

    for name in ("first", "mean", "max", "max (neutral too)"):
        probs = expit(np.vstack([rule(name)(r) for r in rows]))
        m = compute_metrics(probs, truth, thresholds)
        print(f"  {name:18s} macro F1 {m['macro_f1']:.4f}  micro F1 {m['micro_f1']:.4f}  "
              f"micro P {m['micro_precision']:.4f}  micro R {m['micro_recall']:.4f}")


if __name__ == "__main__":
    main()
