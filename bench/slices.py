"""How long slices take on this machine: the built-in slices of the test set (from the text), the table of
every slice's headline metrics with bootstrap intervals, and one filter's metrics, all from stored
probabilities (no model run).

    python bench/slices.py --data_dir ../shared/data/goemotions      # writes bench/results/slices.md
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emotion.serve.backends import instruction_set  # noqa: E402
from emotion.checkpoint import DEFAULT_CHECKPOINT, Checkpoint  # noqa: E402
from emotion.data import load_test_set  # noqa: E402
from emotion.analysis.slices import RESAMPLES, headline, slice_table, test_slices  # noqa: E402


def timed(action, repeat: int = 5) -> float:
    """Median milliseconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "slices.md")
    args = parser.parse_args()
    checkpoint = Checkpoint.open(args.checkpoint)
    test = load_test_set(args.data_dir, checkpoint)
    ids, texts, y = test.ids, test.texts, test.y_true
    pred = test.probs >= checkpoint.thresholds().array(checkpoint.labels)
    slices = test_slices(checkpoint, ids, texts)
    rows = {
        f"the {len(slices)} built-in slices of {len(ids):,} comments, from their text": timed(lambda: test_slices(checkpoint, ids, texts)),
        f"every slice's micro and macro F1 with {RESAMPLES}-resample intervals (the slice table)": timed(lambda: slice_table(y, pred, slices)),
        f"one filter's metrics with intervals (the questions, {int(slices['question'].sum()):,} comments)": timed(lambda: headline(y, pred, slices["question"])),
    }
    lines = ["# Slices: recomputing from stored probabilities", "",
             f"`python bench/slices.py` on {platform.processor() or platform.machine()}, {instruction_set()}, "
             f"checkpoint `{checkpoint.name}`; median of 5 runs.", "",
             "| what | ms |", "|---|---:|", *[f"| {what} | {ms:.0f} |" for what, ms in rows.items()]]
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
