"""Behavioural checks per label (CheckList style): short comments that must carry a label, edits that
must not change the labels, and edits that must move a probability. See docs/compare.md.

    python probe.py                                   # the shipped model: per-test failure rates with examples
    python probe.py checkpoints/minilm-goemotions --failures 20
    python probe.py --save --data_dir ../shared/data/goemotions   # store the figures in the model card

The templates (emotion/data/probe.json) are ours, written for this project; no GoEmotions text.
"""

from __future__ import annotations

import argparse
import logging


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from emotion.cli import positive

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", nargs="?", default=None, help="a model folder (default: the shipped model)")
    parser.add_argument("--backend", default="auto", help="auto (the checkpoint's), torch, onnx or onnx-int8")
    parser.add_argument("--failures", type=positive(), default=10, help="failing cases to print")
    parser.add_argument("--save", action="store_true",
                        help="store the figures in the checkpoint (probe.json) and write its model card again")
    parser.add_argument("--data_dir", default=None, help="with --save: the data folder (the card's training counts)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    from emotion.cli import run

    args = parse_args(argv)

    def work() -> None:
        import time

        import pandas as pd

        from emotion.checkpoint import DEFAULT_CHECKPOINT
        from emotion.predict import EmotionClassifier
        from emotion.probe import build_cases, load_suite, run as run_checks, summary, totals

        classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT, backend=args.backend)
        started = time.perf_counter()
        results = run_checks(classifier, build_cases(load_suite(), classifier.labels))
        seconds = time.perf_counter() - started
        table, figures = summary(results), totals(results)
        pd.set_option("display.width", 220)
        pd.set_option("display.max_colwidth", 60)
        print(f"{classifier.name} on {classifier.backend}: {figures['cases']} cases, {figures['tests']} tests, "
              f"{figures['labels']} labels, in {seconds:.1f} s; failure rate {figures['failure_rate']:.3f} "
              f"({', '.join(f'{k} {v:.3f}' for k, v in figures['failure_rate_by_kind'].items())})")
        print(table.to_string(index=False))
        failing = results[~results["passed"]].head(args.failures)
        if len(failing):
            print(f"\nFailing cases (first {len(failing)}):")
            print(failing[["test", "text", "expect", "got"]].to_string(index=False))
        if args.save:
            save(classifier, figures, table, args.data_dir)

    run("probe", work)


def save(classifier, figures: dict, table, data_dir: str | None) -> None:
    from emotion.card import write_model_card
    from emotion.data import load_split, multi_hot

    train_counts = multi_hot(load_split("train", data_dir)["labels"], len(classifier.labels)).sum(0)
    classifier.checkpoint.save_probe({**figures, "backend": classifier.backend, "table": table.to_dict("records")})
    logging.getLogger("probe").info("wrote %s", write_model_card(classifier.checkpoint, train_counts))


if __name__ == "__main__":
    main()
