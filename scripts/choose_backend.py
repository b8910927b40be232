"""Measure torch / onnx / onnx-int8 on dev and record the default backend in a checkpoint.

    python scripts/choose_backend.py --checkpoint checkpoints/minilm-goemotions --data_dir ../shared/data/goemotions

Training does this at its end (unless --choose_backend false); this is for existing checkpoints.
Writes <checkpoint>/inference.json; the ONNX files are cached in <checkpoint>/onnx/.
"""

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion.checkpoint import FP32_ROLES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder (default: $GOEMOTIONS_DIR, else the Hub)")
    parser.add_argument("--max_samples", type=int, default=None, help="only the first N dev comments")
    parser.add_argument("--int8_fp32", nargs="*", default=None, choices=list(FP32_ROLES), metavar="ROLE",
                        help="keep these matrix products fp32 in the int8 graph (" + "; ".join(
                            f"{role}: {what}" for role, what in FP32_ROLES.items()) + "); none when given bare. "
                        "Recorded in the checkpoint.")
    args = parser.parse_args()
    from emotion.checkpoint import Checkpoint
    from emotion.errors import EmotionError
    from emotion.train.evaluate import finish
    from emotion.logs import setup_logging

    setup_logging()
    try:
        if args.int8_fp32 is not None:
            Checkpoint.open(args.checkpoint).set_int8_fp32(args.int8_fp32)
        failed = finish(args.checkpoint, args.data_dir, args.max_samples, compare_teacher=False)
    except EmotionError as err:
        logging.getLogger("choose_backend").error("%s", err)
        sys.exit(1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
