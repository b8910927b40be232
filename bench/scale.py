"""Scoring throughput on Ray against score.py, on this machine: the 43,410 training comments as shards.

    python bench/scale.py --data_dir ../shared/data/goemotions      # writes bench/results/scale.md

The shards are written to a temporary folder (they derive from the data set; nothing is kept). Each
engine scores all of them with the default backend; Ray's figures include starting Ray and its workers.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARDS = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--checkpoint", default=None, help="default: the shipped model")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.md")
    args = parser.parse_args()
    import numpy as np
    import pandas as pd

    from emotion.serve.backends import instruction_set
    from emotion.checkpoint import DEFAULT_CHECKPOINT
    from emotion.data import load_split
    from emotion.serve.distributed import Job, score_shards

    checkpoint = str(args.checkpoint or DEFAULT_CHECKPOINT)
    train = load_split("train", args.data_dir)
    frame = pd.DataFrame({"id": [str(i) for i in train["id"]], "text": list(train["text"])})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        for i, rows_of_shard in enumerate(np.array_split(np.arange(len(frame)), SHARDS)):
            frame.iloc[rows_of_shard].to_parquet(tmp / "in" / f"part-{i}.parquet")
        frame.to_parquet(tmp / "all.parquet")
        started = time.perf_counter()
        subprocess.run([sys.executable, "score.py", str(tmp / "all.parquet"), str(tmp / "local.parquet"),
                        "--checkpoint", checkpoint], cwd=ROOT, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        rows.append(("score.py, one process (2 threads)", seconds, len(frame) / seconds, None, None))
        import ray

        for workers, cpus in ((1, 1), (2, 1), (1, 2)):
            job = Job(checkpoint, str(tmp / f"ray-{workers}x{cpus}"))
            started = time.perf_counter()
            ray.init(num_cpus=workers * cpus, include_dashboard=False, log_to_driver=False)
            ready = time.perf_counter() - started
            report = score_shards(str(tmp / "in"), job, workers=workers, cpus_per_worker=cpus)
            seconds = time.perf_counter() - started
            ray.shutdown()
            rows.append((f"Ray, {workers} worker(s) x {cpus} CPU", seconds, report.rows / seconds, ready,
                         report.peak_rss_mb))
    lines = [f"# Scoring on Ray against score.py ({time.strftime('%Y-%m-%d')})", "",
             f"{len(frame):,} GoEmotions training comments in {SHARDS} parquet shards; `{Path(checkpoint).name}` on "
             f"its default backend; {platform.python_version()}, {instruction_set()}, 2 cores. Wall time includes "
             "starting Ray and loading the model in each worker.", "",
             "| engine | wall s | comments/s | Ray start s | peak memory per worker, MB |", "|---|---:|---:|---:|---:|"]
    for name, seconds, rate, ready, memory in rows:
        lines.append(f"| {name} | {seconds:.1f} | {rate:.0f} | {'' if ready is None else f'{ready:.1f}'} | "
                     f"{'' if memory is None else f'{memory:.0f}'} |")
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
