"""Which matrix products a checkpoint's int8 graph should keep in fp32: each candidate graph is built
and measured on dev exactly as the backend choice measures onnx-int8 (its own tuned thresholds, micro
and macro F1, per-class macro F1 by 5-fold CV, throughput). Prints a markdown table for docs/teacher.md.
Works on a copy of the checkpoint: its own setting and graphs are left as they were.

    python scripts/int8_study.py --checkpoint checkpoints/minilm-l4-goemotions --data_dir ../shared/data/goemotions
"""

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion.serve.backend_choice import COMPARED, measure_backend  # noqa: E402
from emotion.serve.backends import REFERENCE, instruction_set  # noqa: E402
from emotion.checkpoint import Checkpoint  # noqa: E402
from emotion.data import load_split, multi_hot  # noqa: E402
from emotion.logs import setup_logging  # noqa: E402

CANDIDATES = ((), ("ffn_out",), ("first",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--data_dir", default=None)
    args = parser.parse_args()
    setup_logging()
    dev = load_split("dev", args.data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(args.checkpoint).name
        shutil.copytree(args.checkpoint, copy, ignore=shutil.ignore_patterns("cache", "*int8*.onnx"))
        checkpoint = Checkpoint.open(copy)
        y = multi_hot(dev["labels"], len(checkpoint.labels))
        rows = {}
        for roles in CANDIDATES:
            checkpoint.set_int8_fp32(roles)  # the classifier builds this graph, then runs it
            rows[" + ".join(roles) or "none"] = measure_backend(checkpoint, "onnx-int8", list(dev["text"]), y)
        rows[f"({REFERENCE})"] = measure_backend(checkpoint, REFERENCE, list(dev["text"]), y)
    print(f"`{checkpoint.path.name}`, dev ({len(dev)} comments), {instruction_set()}\n")
    print("| fp32 products | comments/s | " + " | ".join(COMPARED) + " |")
    print("|---|---:|" + "---:|" * len(COMPARED))
    for name, r in rows.items():
        print(f"| {name} | {r['comments_per_s']:.0f} | " + " | ".join(f"{r[k]:.4f}" for k in COMPARED) + " |")
    print(json.dumps({k: {m: v for m, v in r.items() if m != "thresholds"} for k, r in rows.items()}))


if __name__ == "__main__":
    main()
