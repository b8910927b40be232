"""Compare two models on the test set, per label, with paired bootstrap intervals; or one model's slices.

    python compare.py checkpoints/minilm-goemotions checkpoints/minilm-l4-goemotions --data_dir ../shared/data/goemotions
    python compare.py team_a.json team_b.json            # one checkpoint (--checkpoint) with two profiles
    python compare.py checkpoints/minilm-l4-goemotions --slices   # one model: every built-in slice, worst first

Everything comes from stored test probabilities (no model run): each checkpoint's with its own tuned
per-class thresholds, a profile's thresholds over its checkpoint's. See docs/compare.md.
"""

from __future__ import annotations

import argparse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from emotion.cli import add_model_options, positive, writable_file

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help="a checkpoint folder, or a profile (.json) of --checkpoint")
    parser.add_argument("b", nargs="?", default=None, help="the other: a checkpoint folder or a profile (.json)")
    parser.add_argument("--slices", action="store_true", help="one model: the metrics of every built-in slice")
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--disagreements", type=positive(int, 0, at_least=True), default=10,
                        help="comments where they differ to print (0 or more)")
    parser.add_argument("--out", type=writable_file, default=None, help="also write the table here (.csv)")
    # No --backend: the comparison reads the checkpoints' stored probabilities, it runs no model.
    add_model_options(parser, profile=False, backend=False,
                      checkpoint_help="the checkpoint of profiles given as A or B (default: the shipped one)")
    args = parser.parse_args(argv)
    if (args.b is None) != args.slices:
        parser.error("give two models to compare, or one model with --slices")
    return args


def main(argv: list[str] | None = None) -> None:
    from emotion.cli import run

    args = parse_args(argv)

    def work() -> None:
        import pandas as pd

        from emotion.analysis.compare import check_pair, differences, disagreements, load_side, side_checkpoint
        from emotion.data import load_test_set
        from emotion.files import write_csv
        from emotion.analysis.slices import slice_table, test_slices

        pd.set_option("display.width", 220)
        pd.set_option("display.max_colwidth", 70)
        test = load_test_set(args.data_dir, side_checkpoint(args.a, args.checkpoint))
        ids, texts, y = test.ids, test.texts, test.y_true
        a = load_side(args.a, args.checkpoint, ids)
        if args.slices:
            table = slice_table(y, a.pred, test_slices(a.checkpoint, ids, texts))
            print(f"{a.name}: every built-in slice of the {len(ids):,} test comments, worst micro F1 first")
            print(table.to_string(index=False))
        else:
            b = load_side(args.b, args.checkpoint, ids)
            check_pair(a, b)
            table = differences(y, a, b, a.checkpoint.labels)
            print(f"{a.name} (A) vs {b.name} (B) on {len(ids):,} test comments: F1, B - A and its paired bootstrap "
                  "95% interval; * marks an interval that excludes zero")
            print(table.assign(significant=table["significant"].map({True: "*", False: ""})).to_string(index=False))
            found = disagreements(y, a, b, a.checkpoint.labels)
            shown = found.head(args.disagreements)
            shown.insert(1, "text", [texts[i][:70] for i in shown["row"]])
            print(f"\nThey decide differently on {len(found):,} comments; the {len(shown)} most disputed:")
            print(shown.drop(columns=["row"]).to_string(index=False))
        if args.out:
            write_csv(table, args.out)
            print(f"wrote {args.out}")

    run("compare", work)


if __name__ == "__main__":
    main()
