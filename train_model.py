"""Fine-tune a BERT-family encoder on GoEmotions (multi-label, 28 labels).

    python train_model.py --data_dir ../shared/data/goemotions              # preset by hardware
    python train_model.py --preset bert-base --data_dir ...                 # the reference recipe
    python train_model.py --max_train_samples 2000 --num_train_epochs 1     # a quick run
    python train_model.py --eval_only checkpoints/minilm-goemotions         # re-score a checkpoint

The project's options: python train_model.py --help; with the Trainer's: --help_all
"""

import logging
import sys

from emotion.errors import EmotionError
from emotion.logs import setup_logging

if __name__ == "__main__":
    from emotion.training_args import exit_on_help

    exit_on_help(sys.argv[1:])
    setup_logging()
    try:
        from emotion.training import run

        run()
    except EmotionError as err:
        logging.getLogger("train").error("%s", err)
        sys.exit(1)
