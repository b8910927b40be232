"""Re-tune the thresholds for your platform from a labelled sample, nothing retrained.

    python adapt.py tweets.csv --out tweets_profile.json            # 0/1 columns named as our labels
    python adapt.py posts.jsonl --labels anger,joy,sadness --out p.json   # a `labels` column of names
    python score.py comments.csv scored.csv --profile tweets_profile.json

About 100 labelled comments give most of the gain; see docs/adapt.md.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from emotion.cli import add_model_options

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labelled", type=Path, help=".csv, .jsonl or .parquet with a `text` column and labels")
    parser.add_argument("--out", type=Path, required=True, help="the threshold profile to write (.json)")
    parser.add_argument("--labels", default=None,
                        help="comma-separated labels the sample covers; needed with a `labels` column")
    add_model_options(parser, profile=False,
                      backend_help="the backend the profile will answer with (its probabilities are tuned on)")
    return parser.parse_args(argv)


def adapt_sample(args: argparse.Namespace) -> None:
    from emotion.adapt import adapt, read_sample
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.predict import EmotionClassifier

    classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT, backend=args.backend)
    covered = [name.strip() for name in args.labels.split(",") if name.strip()] if args.labels else None
    sample = read_sample(args.labelled, classifier.labels, covered)
    probs = classifier.predict_probabilities(sample.texts)
    profile = adapt(probs, sample, classifier.labels, classifier.thresholds, source=f"{classifier.name} ({classifier.backend})")
    profile.save(args.out)
    for warning in profile.summary["warnings"]:
        logging.getLogger("adapt").warning("%s", warning)
    s = profile.summary
    print(profile.report.to_string(index=False))
    print(f"macro F1 over {len(profile.covered)} labels, {s['sample']['rows']} comments, cross-validated: "
          f"{s['macro_f1_before']:.3f} {s['macro_f1_before_95']} -> {s['macro_f1_after_cv']:.3f} "
          f"{s['macro_f1_after_95']}; gain 95% interval {s['gain_95']}")
    print(f"wrote {args.out}")


def main(argv: list[str] | None = None) -> None:
    from emotion.cli import run

    args = parse_args(argv)
    run("adapt", lambda: adapt_sample(args))


if __name__ == "__main__":
    main()
