"""Score a large CSV / JSONL / parquet file with the emotion model, in chunks (memory stays flat),
or a folder of shards on Ray.

    python score.py comments.csv scored.csv                       # a `text` column, tuned thresholds
    python score.py dump.parquet out.parquet --text_column body --threshold 0.3
    python score.py 'dumps/RC_2024-*.jsonl.zst' scored/ --engine ray --text_column body   # see docs/scale-out.md

The output keeps every input column and adds `emotions` and one `prob_<label>` column per label. It is
written to a temporary file and renamed at the end: an interrupted run leaves nothing half-written, so
re-running is safe (with --engine ray, shards already written are skipped).
"""

import argparse
import logging
import signal
import sys
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    from emotion.cli import add_model_options, positive

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="a .csv / .jsonl / .jsonl.zst / .parquet file; with --engine ray, a folder or "
                                      "a quoted glob of shards")
    parser.add_argument("output", type=Path, help="a .csv / .jsonl / .parquet file; with --engine ray, a folder")
    add_model_options(parser)
    parser.add_argument("--text_column", default="text")
    parser.add_argument("--threshold", type=float, default=None,
                        help="one value for every label (default: the checkpoint's tuned per-class thresholds)")
    parser.add_argument("--chunk_size", type=positive(), default=2048, help="rows read and written at a time")
    parser.add_argument("--batch_size", type=positive(), default=64, help="comments per forward pass")
    parser.add_argument("--engine", default="local", choices=["local", "ray"],
                        help="local: this process; ray: a pool of Ray workers (pip install -r requirements-scale.txt)")
    parser.add_argument("--address", default=None, help="with --engine ray: a running Ray cluster (default: a local Ray)")
    parser.add_argument("--workers", type=positive(), default=None,
                        help="with --engine ray: workers (default: CPUs / cpus_per_worker)")
    parser.add_argument("--cpus_per_worker", type=positive(), default=1, help="with --engine ray: CPUs (threads) per worker")
    args = parser.parse_args(argv)
    if args.threshold is not None and args.profile is not None:
        parser.error("give either --threshold (one value for every label) or --profile, not both")
    return args


def score(args: argparse.Namespace) -> None:
    from tqdm.auto import tqdm

    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.serve.predict import EmotionClassifier
    from emotion.serve.scoring import check_paths, score_file

    if args.engine == "ray":
        return score_on_ray(args)
    # SIGTERM (timeout, docker stop, systemd) unwinds like Ctrl-C, so the partial file is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    check_paths(args.input, args.output)
    classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT, batch_size=args.batch_size, backend=args.backend,
                                   profile=args.profile)
    logging.getLogger("score").info("backend: %s; thresholds: %s", classifier.backend,
                                    classifier.describe_thresholds(args.threshold))
    try:
        with tqdm(desc="Scoring", unit="comment") as bar:
            rows = score_file(classifier, Path(args.input), args.output, args.text_column, args.chunk_size,
                              args.threshold, progress=bar.update)
            rate = bar.format_dict["n"] / max(bar.format_dict["elapsed"], 1e-9)
    except KeyboardInterrupt:
        logging.getLogger("score").error("Interrupted; nothing was written to %s.", args.output)
        sys.exit(130)
    print(f"wrote {rows:,} rows to {args.output} ({rate:.0f} comments/s)")  # the command's result, on stdout


def score_on_ray(args) -> None:
    from tqdm.auto import tqdm

    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.serve.distributed import Job, list_shards, score_shards

    job = Job(str(args.checkpoint or DEFAULT_CHECKPOINT), str(args.output), args.text_column, args.backend,
              threshold=args.threshold, profile=None if args.profile is None else str(args.profile),
              chunk_size=args.chunk_size, batch_size=args.batch_size)
    with tqdm(total=len(list_shards(args.input)), desc="Shards", unit="shard") as bar:
        report = score_shards(args.input, job, args.address, args.workers, args.cpus_per_worker,
                              progress=lambda row: bar.update(1))
        bar.update(report.skipped)
    rate = report.rows / report.seconds if report.seconds else 0.0
    print(f"wrote {report.scored} shards ({report.rows:,} rows, {rate:.0f} comments/s) to {args.output}; "
          f"{report.skipped} already there; {len(report.failed)} failed")
    if report.failed:
        sys.exit(1)


def main(argv=None) -> None:
    from emotion.cli import run

    args = parse_args(argv)
    run("score", lambda: score(args))


if __name__ == "__main__":
    main()
