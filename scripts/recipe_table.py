"""Dev-split comparison of trained checkpoints, for choosing a recipe (never looks at test).

    python scripts/recipe_table.py checkpoints/minilm-cpu-latest checkpoints/other --out table.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emotion.checkpoint import Checkpoint  # noqa: E402


def row(folder: Path) -> dict:
    checkpoint = Checkpoint.open(folder)
    config = checkpoint.training_config
    dev = checkpoint.metrics["dev"]
    args = config["training_arguments"]
    teacher = "-"
    if config.get("teacher"):
        teacher = f"{Path(config['teacher']).name}, weight {config['distill_weight']:g}"
        if config.get("distill_hidden_weight"):
            teacher += f", hidden-state loss {config['distill_hidden_weight']:g}"
    return {
        "run": folder.name,
        "layers": checkpoint.config["num_hidden_layers"],
        "distilled from": teacher,
        "loss": config["loss"],
        "epochs": f"{args['num_train_epochs']:g}",
        "best checkpoint by": args["metric_for_best_model"],
        "lr / head lr": f"{args['learning_rate']:g} / {config.get('head_learning_rate') or args['learning_rate']:g}",
        "dev micro F1 (global tuned)": round(dev["global_tuned"]["micro_f1"], 4),
        "dev macro F1 (global tuned)": round(dev["global_tuned"]["macro_f1"], 4),
        # In-sample per-class tuning flatters dev; the 5-fold estimate is the honest one.
        "dev macro F1 (per-class, 5-fold CV)": checkpoint.cv_macro_f1,
        "minutes": round(config["train_seconds"] / 60),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    table = pd.DataFrame([row(f) for f in args.folders])
    print(table.to_string(index=False))
    if args.out:
        table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
