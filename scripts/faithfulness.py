"""How faithful the word attributions are: ERASER's comprehensiveness and sufficiency (AOPC over
removal fractions 1/5/10/20/50%) on a dev sample, per (comment, predicted label), against random
word orders. Prints a markdown table for docs/explain.md; reads texts at run time, writes none.

    python scripts/faithfulness.py --data_dir ../shared/data/goemotions --comments 300
"""

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion.backends import instruction_set  # noqa: E402
from emotion.checkpoint import DEFAULT_CHECKPOINT  # noqa: E402
from emotion.data import load_split  # noqa: E402
from emotion.explain import FRACTIONS, eraser, explain  # noqa: E402
from emotion.logs import setup_logging  # noqa: E402
from emotion.predict import EmotionClassifier  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--comments", type=int, default=300, help="dev comments sampled (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    setup_logging()
    log = logging.getLogger("faithfulness")
    classifier = EmotionClassifier(args.checkpoint, backend=args.backend)
    dev = load_split("dev", args.data_dir)
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(dev), size=min(args.comments, len(dev)), replace=False)
    thresholds = classifier.threshold_array()
    rows = {"occlusion": [], "random": []}
    noise, started = [], time.perf_counter()
    for n, i in enumerate(chosen):
        found = explain(classifier, dev[int(i)]["text"])
        if len(found.spans) < 2:
            continue
        noise.append(found.noise)
        labels = np.flatnonzero(found.probabilities >= thresholds)
        for j in labels if len(labels) else [int(np.argmax(found.probabilities))]:
            rows["occlusion"].append(eraser(classifier, found, j, np.argsort(-found.effects[:, j], kind="stable")))
            rows["random"].append(eraser(classifier, found, j, rng.permutation(len(found.spans))))
        if n % 50 == 0:
            log.info("%d / %d comments", n, len(chosen))
    seconds = time.perf_counter() - started
    print(f"`{Path(args.checkpoint).name}` on `{classifier.backend}` ({instruction_set()}); {len(noise)} dev comments "
          f"of 2+ words (seed {args.seed}), {len(rows['occlusion'])} (comment, predicted label) pairs; "
          f"removal fractions {', '.join(f'{q:.0%}' for q in FRACTIONS)}; {seconds:.0f} s.\n")
    print("| method | comprehensiveness (AOPC, higher is better) | sufficiency (AOPC, lower is better) |")
    print("|---|---:|---:|")
    for method, values in rows.items():
        values = np.asarray(values)
        half = 1.96 * values.std(0, ddof=1) / np.sqrt(len(values))
        print(f"| {method} | {values[:, 0].mean():.3f} ± {half[0]:.3f} | {values[:, 1].mean():.3f} ± {half[1]:.3f} |")
    print(f"\nNoise floor of `{classifier.backend}` (largest probability change between a comment alone and in its "
          f"explanation batch): median {np.median(noise):.3f}, 90th percentile {np.percentile(noise, 90):.3f}.")


if __name__ == "__main__":
    main()
