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
import sys
import time


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="fine-tuned model folder (default: the shipped model)")
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--splits", default="train,dev,test", help="comma-separated splits to audit")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    from emotion.logs import setup_logging

    setup_logging()
    from emotion.audit import SOURCES, build
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.errors import EmotionError
    from emotion.predict import EmotionClassifier

    log = logging.getLogger("audit")
    splits = tuple(s.strip() for s in args.splits.split(",") if s.strip())
    unknown = set(splits) - set(SOURCES)
    if unknown or not splits:
        sys.exit(f"--splits takes some of {', '.join(SOURCES)}; got {args.splits!r}.")
    try:
        classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT)
        started = time.perf_counter()
        audit, seconds = build(classifier, args.data_dir, splits)
    except EmotionError as err:
        sys.exit(str(err))
    seconds["total"] = round(time.perf_counter() - started, 1)
    classifier.checkpoint.save_audit(audit, {"sources": {s: SOURCES[s] for s in splits}, "seconds": seconds,
                                             "backend": classifier.backend})
    for split in splits:
        part = audit.comments[audit.comments["split"] == split]
        log.info("%s: %d of %d comments flagged (%.0f%%)", split, part["issue"].sum(), len(part), 100 * part["issue"].mean())
    log.info("seconds: %s; stored in %s", seconds, classifier.checkpoint.path)


if __name__ == "__main__":
    main()
