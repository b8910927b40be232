"""Fine-tune a BERT-family encoder on GoEmotions (multi-label, 28 labels).

    python train_model.py --data_dir ../shared/data/goemotions              # preset by hardware
    python train_model.py --preset bert-base --data_dir ...                 # the reference recipe
    python train_model.py --max_train_samples 2000 --num_train_epochs 1     # a quick run
    python train_model.py --eval_only checkpoints/minilm-goemotions         # re-score a checkpoint

The project's options: python train_model.py --help; with the Trainer's: --help_all
"""

import sys

if __name__ == "__main__":
    from emotion.train.args import exit_on_help

    exit_on_help(sys.argv[1:])  # before torch is imported: --help answers at once
    from emotion.cli import run
    from emotion.train.training import run as train

    run("train", train)
