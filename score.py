"""Score a large CSV / JSONL / parquet file with the emotion model, in chunks (memory stays flat).

    python score.py comments.csv scored.csv                       # a `text` column, tuned thresholds
    python score.py dump.parquet out.parquet --text_column body --threshold 0.3

The output keeps every input column and adds `emotions` and one `prob_<label>` column per label. It is
written to a temporary file and renamed at the end: an interrupted run leaves nothing half-written, so
re-running is safe.
"""

import argparse
import logging
import sys
from pathlib import Path

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path, help="same format as the input")
    parser.add_argument("--checkpoint", default=None, help="fine-tuned model folder (default: the shipped model)")
    parser.add_argument("--text_column", default="text")
    parser.add_argument("--threshold", type=float, default=None,
                        help="one value for every label (default: the checkpoint's tuned per-class thresholds)")
    parser.add_argument("--thresholds", default=None, type=Path,
                        help="a threshold profile from adapt.py (default: the checkpoint's tuned thresholds)")
    parser.add_argument("--chunk_size", type=int, default=2048, help="rows read and written at a time")
    parser.add_argument("--batch_size", type=int, default=64, help="comments per forward pass")
    parser.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx", "onnx-int8"],
                        help="auto: the one chosen on dev and recorded in the checkpoint (inference.json)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    from tqdm.auto import tqdm

    from emotion.logs import setup_logging

    setup_logging()
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.errors import EmotionError
    from emotion.predict import EmotionClassifier
    from emotion.scoring import score_file

    log = logging.getLogger("score")
    try:
        classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT, batch_size=args.batch_size, backend=args.backend,
                                       thresholds=args.thresholds)
        log.info("backend: %s; thresholds: %s", classifier.backend, classifier.thresholds_name)
        with tqdm(desc="Scoring", unit="comment") as bar:
            rows = score_file(classifier, args.input, args.output, args.text_column, args.chunk_size,
                              args.threshold, progress=bar.update)
            rate = bar.format_dict["n"] / max(bar.format_dict["elapsed"], 1e-9)
    except (EmotionError, ValueError) as err:
        log.error("%s", err)
        sys.exit(1)
    print(f"wrote {rows:,} rows to {args.output} ({rate:.0f} comments/s)")  # the command's result, on stdout


if __name__ == "__main__":
    main()
