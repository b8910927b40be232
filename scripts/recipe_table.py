"""Dev-split comparison of trained checkpoints, for choosing a recipe (never looks at test).

    python scripts/recipe_table.py checkpoints/minilm-cpu-latest checkpoints/other --out table.csv
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def row(folder: Path) -> dict:
    config = json.loads((folder / "training_config.json").read_text())
    dev = json.loads((folder / "metrics.json").read_text())["dev"]
    tuning = json.loads((folder / "threshold_tuning.json").read_text())
    args = config["training_arguments"]
    strength = str(tuning["chosen_strength"])
    teacher = "-"
    if config.get("teacher"):
        teacher = f"{Path(config['teacher']).name}, weight {config['distill_weight']:g}"
        if config.get("distill_hidden_weight"):
            teacher += f", hidden-state loss {config['distill_hidden_weight']:g}"
    return {
        "run": folder.name,
        "layers": json.loads((folder / "config.json").read_text())["num_hidden_layers"],
        "distilled from": teacher,
        "loss": config["loss"],
        "epochs": f"{args['num_train_epochs']:g}",
        "best checkpoint by": args["metric_for_best_model"],
        "lr / head lr": f"{args['learning_rate']:g} / {config.get('head_learning_rate') or args['learning_rate']:g}",
        "dev micro F1 (global tuned)": round(dev["global_tuned"]["micro_f1"], 4),
        "dev macro F1 (global tuned)": round(dev["global_tuned"]["macro_f1"], 4),
        # In-sample per-class tuning flatters dev; the 5-fold estimate is the honest one.
        "dev macro F1 (per-class, 5-fold CV)": tuning["cv_macro_f1_by_strength"][strength if strength == "inf" else str(float(strength))],
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
