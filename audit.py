"""Audit the labels of GoEmotions with cleanlab: which comments most likely carry a wrong or missing
label, which label is suspect, which labels are the noisiest, which pairs get swapped.

    python audit.py --data_dir ../shared/data/goemotions              # the shipped model, all splits

Dev and test are judged by the model's stored probabilities (out-of-sample); train by a 5-fold
logistic regression on the model's embeddings of the training comments (built once and cached, not
committed). The results are stored in the checkpoint keyed by comment id, with no text; the app's
Label quality tab and error explorer read them.
"""

import argparse
import logging
import time


def parse_args(argv=None) -> argparse.Namespace:
    from emotion.analysis.audit import SOURCES
    from emotion.cli import add_model_options

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_options(parser, profile=False)
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--splits", default="train,dev,test", help="comma-separated splits to audit")
    args = parser.parse_args(argv)
    args.splits = tuple(s.strip() for s in args.splits.split(",") if s.strip())
    if not args.splits or set(args.splits) - set(SOURCES):
        parser.error(f"--splits takes some of {', '.join(SOURCES)}, comma-separated")
    return args


def audit_labels(args: argparse.Namespace) -> None:
    from emotion.analysis.audit import SOURCES, build
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.serve.predict import EmotionClassifier

    log = logging.getLogger("audit")
    classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT, backend=args.backend)
    started = time.perf_counter()
    audit, seconds = build(classifier, args.data_dir, args.splits)
    seconds["total"] = round(time.perf_counter() - started, 1)
    classifier.checkpoint.save_audit(audit, {"sources": {s: SOURCES[s] for s in args.splits}, "seconds": seconds,
                                             "backend": classifier.backend})
    for split in args.splits:
        part = audit.comments[audit.comments["split"] == split]
        log.info("%s: %d of %d comments flagged (%.0f%%)", split, part["issue"].sum(), len(part), 100 * part["issue"].mean())
    log.info("seconds: %s; stored in %s", seconds, classifier.checkpoint.path)


def main(argv=None) -> None:
    from emotion.cli import run

    args = parse_args(argv)
    run("audit", lambda: audit_labels(args))


if __name__ == "__main__":
    main()
