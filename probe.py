"""Behavioural checks per label (CheckList style): short comments that must carry a label, edits that
must not change the labels, and edits that must move a probability. See docs/compare.md.

    python probe.py                                   # the shipped model: per-test failure rates with examples
    python probe.py --checkpoint checkpoints/minilm-goemotions --failures 20   # (or the folder alone, as before)
    python probe.py --save --data_dir ../shared/data/goemotions   # store the figures in the model card
    python probe.py --noise --data_dir ../shared/data/goemotions  # F1 under typos, stretched words, ... (test)
    python probe.py --noise --split dev --seed 1 --data_dir ...   # the same on dev, another draw of the noise

The templates (emotion/analysis/data/probe.json) are ours, written for this project; no GoEmotions text.
"""

from __future__ import annotations

import argparse
import logging


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from emotion.cli import add_model_options, positive

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default=None, metavar="CHECKPOINT", help="the same as --checkpoint")
    add_model_options(parser, profile=False)
    parser.add_argument("--failures", type=positive(), default=10, help="failing cases to print")
    parser.add_argument("--save", action="store_true",
                        help="store the figures in the checkpoint (probe.json) and write its model card again")
    parser.add_argument("--data_dir", default=None, help="the data folder: --noise's split; with --save, the card's "
                                                         "training counts (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--noise", action="store_true",
                        help="instead of the checks: the labelled split re-typed under several kinds of noise (typos, "
                             "stretched words, no apostrophes, case, Reddit spellings), macro and micro F1 at the "
                             "per-class thresholds next to the clean text, with 95%% intervals")
    parser.add_argument("--split", default="test", choices=["dev", "test"], help="with --noise: the split graded")
    parser.add_argument("--seed", type=positive(int, 0, at_least=True), default=0, help="with --noise: the noise's draw")
    args = parser.parse_args(argv)
    if args.folder is not None and args.checkpoint is not None and args.folder != args.checkpoint:
        parser.error("give the checkpoint once: as CHECKPOINT or as --checkpoint")
    args.checkpoint = args.checkpoint or args.folder
    return args


def main(argv: list[str] | None = None) -> None:
    from emotion.cli import run

    args = parse_args(argv)

    def work() -> None:
        if args.noise:
            return noise(args)
        import time

        import pandas as pd

        from emotion.checkpoint import DEFAULT_CHECKPOINT
        from emotion.serve.predict import EmotionClassifier
        from emotion.analysis.probe import build_cases, load_suite, run as run_checks, summary, totals

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


def noise(args: argparse.Namespace) -> None:
    import time

    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.data import labelled_split
    from emotion.serve.predict import EmotionClassifier
    from emotion.analysis.robustness import evaluate, markdown

    classifier = EmotionClassifier(args.checkpoint or DEFAULT_CHECKPOINT, backend=args.backend)
    data = labelled_split(args.split, args.data_dir, len(classifier.labels))
    started = time.perf_counter()
    table = evaluate(classifier.predict_probabilities, data.ids, data.texts, data.y_true, classifier.threshold_array(None),
                     seed=args.seed)
    print(f"{classifier.name} on {classifier.backend}, {args.split} split, seed {args.seed}, per-class thresholds "
          f"({time.perf_counter() - started:.0f} s):")
    print(markdown(table))
    if args.save:
        store_and_write_card(classifier, args.data_dir, lambda: classifier.checkpoint.save_robustness(
            {"split": args.split, "seed": args.seed, "backend": classifier.backend, "table": table.to_dict("records")}))


def save(classifier, figures: dict, table, data_dir: str | None) -> None:
    store_and_write_card(classifier, data_dir, lambda: classifier.checkpoint.save_probe(
        {**figures, "backend": classifier.backend, "table": table.to_dict("records")}))


def store_and_write_card(classifier, data_dir: str | None, store) -> None:
    """``store()`` a result in the checkpoint, then write its model card again with the training split's label
    counts, which are read first: without the training split nothing is stored."""
    from emotion.data import label_counts
    from emotion.train.card import write_model_card

    train_counts = label_counts("train", data_dir, len(classifier.labels))
    store()
    logging.getLogger("probe").info("wrote %s", write_model_card(classifier.checkpoint, train_counts))


if __name__ == "__main__":
    main()
