"""Carry the model to your platform and your own labels, from a small labelled sample; nothing retrained.

    python adapt.py --choose 100 comments.csv --out to_label.csv --labels joy,frustration,trust  # what to label
    python adapt.py to_label.csv --out my_profile.json        # 0/1 columns: ours re-tuned, new ones get a head
    python adapt.py posts.jsonl --labels anger,joy,sadness --out p.json   # a `labels` column of names
    python score.py comments.csv scored.csv --profile my_profile.json

About 100 labelled comments give most of the gain; see docs/adapt.md.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from emotion.cli import add_model_options, non_negative, positive, writable_file

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, help="labelled: .csv, .jsonl or .parquet with a `text` column and labels; "
                                                "with --choose: unlabelled comments (.csv, .tsv, .jsonl, .parquet, .txt)")
    parser.add_argument("--out", type=writable_file, required=True,
                        help="the profile to write (.json); with --choose, the comments to label (.csv)")
    parser.add_argument("--labels", default=None,
                        help="comma-separated labels: those the sample covers (needed with a `labels` column), or with "
                             "--choose the columns to label (ours or new names)")
    parser.add_argument("--choose", type=positive(), default=None, metavar="N",
                        help="choose N comments of FILE to label, stratified by the model's top label, with a `weight` "
                             "column that adapt.py reads back")
    parser.add_argument("--seed", type=non_negative, default=0, help="with --choose: the draw's seed (0 or more)")
    add_model_options(parser, profile=False,
                      backend_help="the backend the profile will answer with (its probabilities are tuned on)")
    args = parser.parse_args(argv)
    if args.choose and args.out.suffix.lower() != ".csv":
        parser.error("with --choose, --out is the .csv to label, e.g. --out to_label.csv")
    return args


def labels_of(args: argparse.Namespace) -> list[str] | None:
    return [name.strip() for name in args.labels.split(",") if name.strip()] if args.labels else None


def choose(args: argparse.Namespace, classifier) -> None:
    from emotion.profiles.fit import AdaptError
    from emotion.files import check_not_input, write_csv
    from emotion.profiles.sampling import read_unlabelled, to_label
    from emotion.profiles.profile import check_new_label

    check_not_input(Path(args.file), args.out)
    labels = labels_of(args) or []
    for name in labels:
        if why := check_new_label(name, classifier.labels):
            raise AdaptError(why)
    frame = read_unlabelled(args.file)
    probs = classifier.predict_probabilities(frame["text"].astype(str).tolist())
    chosen = to_label(frame, probs, args.choose, labels, args.seed)
    write_csv(chosen, args.out)
    print(f"wrote {len(chosen)} of {len(frame):,} comments to {args.out}; fill "
          f"{', '.join(labels) or 'a 0/1 column per label'} with 0 or 1, then `python adapt.py {args.out} --out PROFILE.json`")


def fit(args: argparse.Namespace, classifier) -> None:
    from emotion.profiles.fit import fit_profile, read_sample

    sample = read_sample(args.file, classifier.labels, labels_of(args))
    profile = fit_profile(classifier, sample)
    profile.save(args.out)
    for warning in profile.summary["warnings"]:
        logging.getLogger("adapt").warning("%s", warning)
    s = profile.summary
    print(profile.report.to_string(index=False))
    if s["macro_f1_before"] is not None:
        print(f"macro F1 over the {len(profile.covered) - len(sample.new)} labels of ours, {s['sample']['rows']} comments, "
              f"cross-validated: {s['macro_f1_before']:.3f} {s['macro_f1_before_95']} -> {s['macro_f1_after_cv']:.3f} "
              f"{s['macro_f1_after_95']}; gain 95% interval {s['gain_95']}")
    if s["new_labels"]:
        print(f"new labels: {', '.join(s['new_labels'])}; macro F1 over every label served, cross-validated: "
              f"{s['macro_f1_all_cv']:.3f} {s['macro_f1_all_95']}")
    if s["small_sample"]:
        print(f"note: {s['small_sample']}")
    print(f"wrote {args.out}")


def main(argv: list[str] | None = None) -> None:
    from emotion.cli import run

    args = parse_args(argv)

    def work() -> None:
        from emotion.checkpoint import DEFAULT_CHECKPOINT
        from emotion.serve.predict import EmotionClassifier

        classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT, backend=args.backend)
        (choose if args.choose else fit)(args, classifier)

    run("adapt", work)


if __name__ == "__main__":
    main()
