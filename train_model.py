"""Fine-tune a BERT-family encoder on GoEmotions (multi-label, 28 labels).

    python train_model.py --data_dir ../shared/data/goemotions              # preset by hardware
    python train_model.py --preset bert-base --data_dir ...                 # the reference recipe
    python train_model.py --max_train_samples 2000 --num_train_epochs 1     # a quick run
    python train_model.py --eval_only checkpoints/minilm-goemotions         # re-score a checkpoint

All options: python train_model.py --help
"""

import sys

from emotion.checkpoint import CheckpointError
from emotion.data import DataError
from emotion.model import ModelLoadError
from emotion.thresholds import ThresholdError
from emotion.training import run

if __name__ == "__main__":
    try:
        run()
    except (DataError, CheckpointError, ModelLoadError, ThresholdError, FloatingPointError) as err:
        sys.exit(f"error: {err}")
