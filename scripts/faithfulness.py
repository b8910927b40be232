"""How faithful the word attributions are: ERASER's comprehensiveness and sufficiency (AOPC over
removal fractions 1/5/10/20/50%) on a dev sample, per (comment, predicted label), against random
word orders, and optionally shap's PartitionExplainer over the same units and prediction function
(the candidate "precise" mode). Prints a markdown table for docs/explain.md; reads texts at run time,
writes none.

    python scripts/faithfulness.py --data_dir ../shared/data/goemotions --comments 300
    python scripts/faithfulness.py --data_dir ../shared/data/goemotions --comments 100 --shap_evals 300
"""

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion.serve.backends import instruction_set  # noqa: E402
from emotion.checkpoint import DEFAULT_CHECKPOINT  # noqa: E402
from emotion.data import load_split  # noqa: E402
from emotion.analysis.explain import FRACTIONS, eraser, explain, word_spans  # noqa: E402
from emotion.logs import setup_logging  # noqa: E402
from emotion.serve.predict import EmotionClassifier  # noqa: E402


class Units:
    """shap's Text masker tokenizer over the explanation's own units (words, placeholders, emoji runs)."""

    def __call__(self, s, return_offsets_mapping=True):
        spans = word_spans(s)
        return {"input_ids": [s[a:b] for a, b in spans], "offset_mapping": spans}


def shap_attributions(classifier, evals: int):
    """text -> (units, labels) Owen values from shap's PartitionExplainer, at most ``evals`` forward passes."""
    import shap

    masker = shap.maskers.Text(Units(), mask_token=classifier.tokenizer.mask_token, collapse_mask_token=False)
    explainer = shap.PartitionExplainer(
        lambda texts: classifier.predict_probabilities([str(t) for t in texts], together=True), masker,
        output_names=classifier.labels)
    return lambda text: explainer([text], max_evals=evals, batch_size=64, silent=True).values[0]


def half_width(values: np.ndarray) -> np.ndarray:
    """Half the width of the 95% interval (normal) of the mean over the first axis."""
    return 1.96 * values.std(0, ddof=1) / np.sqrt(len(values))


def paired(a, b) -> str:
    """Mean of a - b with its 95% interval (normal, paired)."""
    d = np.asarray(a) - np.asarray(b)
    half = half_width(d)
    return f"{d.mean():+.3f} [{d.mean() - half:+.3f}, {d.mean() + half:+.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--comments", type=int, default=300, help="dev comments sampled (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shap_evals", type=int, default=0, help="also shap's PartitionExplainer, with at most "
                        "this many evaluations a comment (0: not run)")
    args = parser.parse_args()
    setup_logging()
    log = logging.getLogger("faithfulness")
    classifier = EmotionClassifier(args.checkpoint, backend=args.backend)
    dev = load_split("dev", args.data_dir)
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(dev), size=min(args.comments, len(dev)), replace=False)
    thresholds = classifier.threshold_array()
    rows = {"occlusion": [], "random": []}
    seconds = {"occlusion": 0.0}
    if args.shap_evals:
        shap_method = f"shap partition ({args.shap_evals} evaluations)"
        rows[shap_method], seconds[shap_method] = [], 0.0
        owen = shap_attributions(classifier, args.shap_evals)
    noise, started = [], time.perf_counter()
    for n, i in enumerate(chosen):
        clock = time.perf_counter()
        found = explain(classifier, dev[int(i)]["text"])
        seconds["occlusion"] += time.perf_counter() - clock
        if len(found.spans) < 2:
            continue
        if args.shap_evals:
            clock = time.perf_counter()
            values = owen(found.text)
            seconds[shap_method] += time.perf_counter() - clock
        noise.append(found.noise)
        labels = np.flatnonzero(found.probabilities >= thresholds)
        for j in labels if len(labels) else [int(np.argmax(found.probabilities))]:
            rows["occlusion"].append(eraser(classifier, found, j, np.argsort(-found.effects[:, j], kind="stable")))
            rows["random"].append(eraser(classifier, found, j, rng.permutation(len(found.spans))))
            if args.shap_evals:
                rows[shap_method].append(eraser(classifier, found, j, np.argsort(-values[:, j], kind="stable")))
        if n % 50 == 0:
            log.info("%d / %d comments", n, len(chosen))
    total = time.perf_counter() - started
    print(f"`{Path(args.checkpoint).name}` on `{classifier.backend}` ({instruction_set()}); {len(noise)} dev comments "
          f"of 2+ words (seed {args.seed}), {len(rows['occlusion'])} (comment, predicted label) pairs; "
          f"removal fractions {', '.join(f'{q:.0%}' for q in FRACTIONS)}; {total:.0f} s.\n")
    print("| method | comprehensiveness (AOPC, higher is better) | sufficiency (AOPC, lower is better) "
          "| mean time a comment (all 28 labels) |")
    print("|---|---:|---:|---:|")
    for method, values in rows.items():
        values = np.asarray(values)
        half = half_width(values)
        took = f"{1000 * seconds[method] / len(noise):.0f} ms" if method in seconds else ""
        print(f"| {method} | {values[:, 0].mean():.3f} ± {half[0]:.3f} | {values[:, 1].mean():.3f} ± {half[1]:.3f} "
              f"| {took} |")
    if args.shap_evals:
        shap_rows, occlusion = np.asarray(rows[shap_method]), np.asarray(rows["occlusion"])
        print(f"\nshap − occlusion, paired over the same pairs: comprehensiveness "
              f"{paired(shap_rows[:, 0], occlusion[:, 0])}, sufficiency {paired(shap_rows[:, 1], occlusion[:, 1])}.")
    print(f"\nNoise floor of `{classifier.backend}` (largest probability change between a comment alone and in its "
          f"explanation batch): median {np.median(noise):.3f}, 90th percentile {np.percentile(noise, 90):.3f}.")


if __name__ == "__main__":
    main()
