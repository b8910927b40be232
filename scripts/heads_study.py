"""How well a head learns a label of a team's own from 100 labelled comments, simulated on our splits.
Prints a markdown table (docs/adapt.md holds its output).

    python scripts/heads_study.py --data_dir ../shared/data/goemotions

A "new" label is made of several of ours (e.g. frustration = anger or annoyance or disappointment): the
model was never trained on it, but on its parts. A profile is fitted on N dev comments (drawn at
random, DRAWS draws) and graded on the whole test split against two baselines that need no head: the
largest probability of the label's parts with a threshold tuned on the same N comments, and that rule
with the checkpoint's own per-part thresholds (a comment carries the label when any part is predicted).
For eight labels of ours, the profile (threshold or head, whichever CV prefers) is graded against the
checkpoint's thresholds. "All 11" is the macro F1 over the eleven labels, a label the profile leaves out
scoring 0 (it answers nothing). ``--rules`` compares ways of fitting on the same draws (``adapt.Rules``:
``shipped``, ``before`` = the method until issue 35, ``tuned-head`` = heads' CV thresholds shrunk toward
0.5). What it cannot show: a label unlike any of ours (trust, pessimism), which is the harder case; see
docs/adapt.md.

    python scripts/heads_study.py --data_dir ../shared/data/goemotions --sizes 30,100 --draws 4 --rules shipped,before --grade dev
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = "100,1000"
DRAWS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="default: the shipped model")
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--grade", choices=["test", "dev"], default="test",
                        help="dev: grade on the dev comments not drawn (for choosing a method; test is for reporting)")
    parser.add_argument("--sizes", default=SIZES, help="comma-separated sample sizes N")
    parser.add_argument("--draws", type=int, default=DRAWS, help="random draws per N")
    parser.add_argument("--rules", default="shipped", help="comma-separated: shipped, before, tuned-head")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from heads import MADE, OURS, labelled  # the same labels as the benchmark

    from emotion.profiles.fit import BEFORE, RULES, adapt
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.data import load_split, multi_hot
    from emotion.profiles.heads import apply
    from emotion.metrics import confusion_counts, f1_from_counts
    from emotion.serve.predict import EmotionClassifier
    from emotion.thresholds import tune_per_class_raw

    classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT)
    labels = classifier.labels
    splits = {}
    for split in ("dev", "test"):
        data = load_split(split, args.data_dir)
        splits[split] = (list(data["text"]), multi_hot(data["labels"], len(labels)), classifier.features(list(data["text"])))
    dev_texts, dev_y, dev_f = splits["dev"]
    test_texts, test_y, _ = splits["test"]
    own = np.array([classifier.thresholds.per_class[n] for n in labels])

    def parts_max(features: np.ndarray, name: str) -> np.ndarray:
        return expit(features[:, [labels.index(m) for m in MADE[name]]]).max(1)

    def f1(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
        return f1_from_counts(*confusion_counts(pred, gold.astype(bool)))

    from dataclasses import replace

    import emotion.profiles.heads

    # The rules compared differ only in thresholds and in what they keep; the logistic fits under them are
    # the same, so each is fitted once per draw (a study on 2 shared cores).
    fits, logistic = {}, emotion.profiles.heads._logistic

    def cached(x, y, weights, strength):
        key = (hash(x.tobytes()), hash(y.tobytes()), None if weights is None else hash(weights.tobytes()), strength)
        if key not in fits:
            fits[key] = logistic(x, y, weights, strength)
        return fits[key]

    emotion.profiles.heads._logistic = cached

    choices = {"shipped": RULES, "before": BEFORE, "tuned-head": replace(RULES, head_threshold_prior=10.0)}
    names = [name.strip() for name in args.rules.split(",")]
    rows = []
    rng = np.random.default_rng(0)
    for n in (int(size) for size in args.sizes.split(",")):
        results = {name: [] for name in names}
        for _ in range(args.draws):
            picked = rng.choice(len(dev_texts), n, replace=False)
            fits.clear()
            sample = labelled(dev_texts, dev_y, labels, picked)
            if args.grade == "dev":
                rest = np.setdiff1d(np.arange(len(dev_texts)), picked)
                test_f, graded = dev_f[rest], labelled(dev_texts, dev_y, labels, rest)
            else:
                test_f, graded = splits["test"][2], labelled(test_texts, test_y, labels, np.arange(len(test_texts)))
            for rule_name in names:
                profile = adapt(expit(dev_f[picked][:, : len(labels)]), sample, labels, classifier.reference_thresholds,
                                features=dev_f[picked], fitted_on=classifier.feature_stamp,
                                rules=choices[rule_name])
                answers = profile.labels(labels)
                probs = apply(profile.heads, test_f, labels, answers)
                thresholds = profile.thresholds.array(answers)
                served = np.column_stack([probs[:, answers.index(c)] >= thresholds[answers.index(c)]
                                          if c in answers else np.zeros(len(test_f), bool) for c in sample.covered])
                gold = graded.y_true
                k = len(OURS)
                base_ours = expit(test_f[:, [labels.index(c) for c in OURS]]) >= own[[labels.index(c) for c in OURS]]
                tuned_max, checkpoint_rule = [], []
                for j, name in enumerate(MADE):
                    t = tune_per_class_raw(parts_max(dev_f[picked], name)[:, None], sample.y_true[:, k + j][:, None])[0]
                    tuned_max.append(parts_max(test_f, name) >= t)
                    parts = [labels.index(m) for m in MADE[name]]
                    checkpoint_rule.append((expit(test_f[:, parts]) >= own[parts]).any(1))
                results[rule_name].append((
                    f1(served[:, :k], gold[:, :k]).mean(), f1(base_ours, gold[:, :k]).mean(),
                    f1(served[:, k:], gold[:, k:]), f1(np.column_stack(tuned_max), gold[:, k:]),
                    f1(np.column_stack(checkpoint_rule), gold[:, k:]),
                    len(profile.heads) - len(profile.summary["new_labels"]),
                    f1(served, gold).mean(), len(profile.summary["new_labels"])))
        for rule_name in names:
            ours, base, new, tuned, rule, heads_ours, every, kept = zip(*results[rule_name])
            new, tuned, rule = np.array(new), np.array(tuned), np.array(rule)
            rows.append(f"| {rule_name} | {n:,} | {np.mean(every):.3f} ± {np.std(every):.3f} | {np.mean(kept):.1f} | "
                        f"{np.mean(base):.3f} | {np.mean(ours):.3f} ± {np.std(ours):.3f} | {np.mean(heads_ours):.1f} | "
                        + " | ".join(f"{new[:, j].mean():.3f} / {tuned[:, j].mean():.3f} / {rule[:, j].mean():.3f}"
                                     for j in range(len(MADE))) + " |")
    print(f"Checkpoint `{classifier.name}` ({classifier.backend}); profiles fitted on N random dev comments "
          f"(mean of {args.draws} draws, the same for every rule), graded on " + ("the dev comments not drawn" if args.grade == "dev" else
          f"the {len(test_texts):,} test comments") + ".\n")
    print("| rules | N | all 11: profile | new labels kept | our 8 labels: checkpoint thresholds | our 8: profile | "
          "heads among our 8 | " + " | ".join(f"{name}: head / parts' max, tuned / any part predicted" for name in MADE)
          + " |")
    print("|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(MADE))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
