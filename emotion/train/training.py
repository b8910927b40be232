"""Fine-tune a BERT-family encoder on GoEmotions with the Hugging Face ``Trainer``.

``train_model.py`` parses the options of ``training_args``. The trained weights, tokenizer,
thresholds and metrics land together in the output folder (staged, then swapped into place); the
optional steps after it (ONNX backend choice, teacher comparison) can fail without losing the model.
"""

from __future__ import annotations

import json
import logging
import platform
import random
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset
from torch.utils.tensorboard import SummaryWriter
from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding, Trainer, set_seed
from transformers.integrations import TensorBoardCallback
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from ..checkpoint import WEIGHTS, Checkpoint
from ..data import describe_source, load_split, multi_hot
from .distill import blend, teacher_probabilities
from ..errors import EmotionError
from .evaluate import chance_warning, evaluate_checkpoint, finish, format_summary
from ..labels import LABELS
from .losses import multilabel_loss, positive_weights
from ..metrics import compute_metrics
from ..serve.model import build_model, keep_layers, load_tokenizer, parse_layers
from .noise import TrainingNoise
from ..text import normalizer
from ..thresholds import tune_global
from .args import ModelArguments, parse_args

log = logging.getLogger(__name__)
HEAD_PREFIXES = ("classifier.", "bert.pooler.", "pooler.")


class TrainingDiverged(EmotionError, FloatingPointError):
    """The loss became infinite or NaN; the message says which settings to lower."""


def encode(data: Dataset, tokenizer, max_length: int, num_labels: int, targets: np.ndarray | None = None,
           normalization: str = "none") -> Dataset:
    """Token ids of the normalised texts plus ``labels``: the multi-hot labels, or ``targets`` (N, num_labels)."""
    normalize = normalizer(normalization)

    def batch_encode(batch: dict, indices: list[int]) -> dict:
        out = tokenizer(list(map(normalize, batch["text"])), truncation=True, max_length=max_length)
        out["labels"] = (multi_hot(batch["labels"], num_labels) if targets is None else targets[indices]).tolist()
        return out

    return data.map(batch_encode, batched=True, with_indices=True, remove_columns=data.column_names,
                    desc="Tokenizing")


def sort_by_length(data: Dataset) -> Dataset:
    """Evaluation order does not matter, and sorted batches pad far less."""
    return data.select(np.argsort([len(ids) for ids in data["input_ids"]], kind="stable"))


class NoisyCollator:
    """Pads batches like ``DataCollatorWithPadding``, after re-reading a share of the comments with spelling
    noise (``noise.TrainingNoise``). A noisy copy's target is the teacher's answer for the clean comment
    (``teacher``), so the student learns to give a misspelt comment the answer of the one meant."""

    def __init__(self, tokenizer, max_length: int, rate: float, normalization: str, seed: int,
                 noise: TrainingNoise = TrainingNoise()) -> None:
        self.pad = DataCollatorWithPadding(tokenizer)
        self.tokenizer, self.max_length, self.rate, self.noise = tokenizer, max_length, rate, noise
        self.normalize = normalizer(normalization)
        self.rng = random.Random(seed)

    def __call__(self, features: list[dict]) -> dict:
        batch = []
        for feature in features:  # evaluation batches carry no text: they are padded as they are
            row = {k: v for k, v in feature.items() if k not in ("text", "teacher")}
            if "text" in feature and self.rng.random() < self.rate:
                noisy = self.noise(feature["text"], self.rng)
                if noisy != feature["text"]:
                    row = dict(self.tokenizer(self.normalize(noisy), truncation=True, max_length=self.max_length),
                               labels=feature["teacher"])
            batch.append(row)
        return self.pad(batch)


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
            raise TrainingDiverged(
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
    """The teacher model for --distill_hidden_weight, checked to match the student layer for layer. An ensemble
    has no layers of its own: its hidden states come from the member the student's layers are copied from."""
    if model_args.distill_hidden_weight <= 0:
        return None
    source = Checkpoint.open(model_args.teacher)
    if source.members:
        start = Path(model_args.model_name_or_path).resolve()
        source = next((m for m in source.members if m.path.resolve() == start), None)
        if source is None:
            raise ValueError("--distill_hidden_weight with an ensemble teacher matches the student to the member "
                             "its layers are copied from: pass one of the ensemble's members as --model_name_or_path.")
    teacher = AutoModelForSequenceClassification.from_pretrained(source.path, dtype=torch.float32)
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
    config = Checkpoint(name).training_config
    if config:
        return {"base_model": config.get("base_model", name), "initialized_from": name}
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


def last_complete_checkpoint(run_dir: Path) -> str | None:
    """The newest Trainer checkpoint in ``run_dir`` that was written whole: a run killed while saving leaves
    a torn one behind (weights without their trainer state), which ``--resume`` skips, saying so."""
    if not run_dir.is_dir():
        return None
    found = sorted((p for p in run_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*") if p.name.split("-")[-1].isdigit()),
                   key=lambda p: int(p.name.split("-")[-1]), reverse=True)
    for folder in found:
        if (folder / "trainer_state.json").is_file() and any((folder / name).is_file() for name in WEIGHTS):
            return str(folder)
        log.warning("Skipping %s: it was not written whole (the run stopped while saving it).", folder)
    return None


def command_line(argv: list[str] | None) -> str:
    """The command that ran, as a checkpoint records it."""
    return " ".join(["python", "train_model.py", *(sys.argv[1:] if argv is None else argv)])


def run(argv: list[str] | None = None) -> dict:
    model_args, data_args, run_args, training_args, preset_note = parse_args(argv)
    log.info("%s", preset_note)
    if training_args.bf16 and not torch.cuda.is_available() and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        # Measured with minilm-cpu on an AVX2-only CPU: about 2 samples/s against 72 in fp32.
        log.warning("This CPU has no native bf16 (AVX-512 BF16 / AMX); bf16 runs emulated, many times slower "
                    "than fp32. Drop --bf16.")
    if run_args.ensemble_of:
        with Checkpoint.staged(training_args.output_dir) as stage:
            # The stage is a sibling of the output folder, so the members' relative paths hold for both.
            Checkpoint.write_ensemble(stage.path, run_args.ensemble_of.split(","))
            metrics = evaluate_checkpoint(stage.path, data_args.data_dir, data_args.max_eval_samples,
                                          training_args.per_device_eval_batch_size)
        log.info("Metrics of the ensemble %s:\n%s", training_args.output_dir, format_summary(metrics))
        return metrics
    if run_args.reread:
        with Checkpoint.staged(training_args.output_dir) as stage:
            Checkpoint.write_reading(stage.path, run_args.reread, model_args.text_normalization, command_line(argv))
            metrics = evaluate_checkpoint(stage.path, data_args.data_dir, data_args.max_eval_samples,
                                          training_args.per_device_eval_batch_size)
        log.info("Metrics of %s (the weights of %s, reading %s):\n%s", training_args.output_dir, run_args.reread,
                 model_args.text_normalization, format_summary(metrics))
        finish(training_args.output_dir, data_args.data_dir, data_args.max_eval_samples, run_args.choose_backend)
        return metrics
    if run_args.eval_only:
        metrics = evaluate_checkpoint(run_args.eval_only, data_args.data_dir, data_args.max_eval_samples,
                                      training_args.per_device_eval_batch_size)
        log.info("Metrics of %s:\n%s", run_args.eval_only, format_summary(metrics))
        finish(run_args.eval_only, data_args.data_dir, data_args.max_eval_samples, run_args.choose_backend)
        return metrics

    final_dir = Path(training_args.output_dir)
    run_dir = Path(run_args.run_dir or Path("runs") / final_dir.name)
    training_args.output_dir = str(run_dir)
    last = last_complete_checkpoint(run_dir)
    resume_from = training_args.resume_from_checkpoint or (last if run_args.resume else None)
    # Under torchrun every process runs this: the main one clears first, the others then find nothing to clear.
    with training_args.main_process_first(desc="clearing the run folder"):
        if run_args.resume and resume_from is None:
            log.info("--resume: no checkpoint in %s, starting from scratch.", run_dir)
        elif resume_from is None and run_dir.is_dir():
            log.info("Clearing intermediate checkpoints of an earlier run in %s (pass --resume to continue it "
                     "instead).", run_dir)
            shutil.rmtree(run_dir)
    set_seed(training_args.seed)

    train = load_split("train", data_args.data_dir)
    dev = load_split("dev", data_args.data_dir, data_args.max_eval_samples)
    if data_args.max_train_samples:
        train = train.shuffle(seed=training_args.seed).select(range(min(data_args.max_train_samples, len(train))))
    tokenizer = load_tokenizer(model_args.model_name_or_path)
    model = build_model(model_args.model_name_or_path, LABELS, dropout=model_args.dropout)
    layers = parse_layers(model_args.keep_layers) if model_args.keep_layers else None
    if layers:
        model = keep_layers(model, layers)
    targets = teacher = None
    if model_args.teacher:
        log.info("Distilling from %s (weight %s): the teacher's answers for the %d training comments...",
                 model_args.teacher, model_args.distill_weight, len(train))
        teacher = teacher_probabilities(model_args.teacher, train["id"], train["text"], LABELS,
                                        training_args.per_device_eval_batch_size)
        targets = blend(multi_hot(train["labels"], len(LABELS)), teacher, model_args.distill_weight)
    train_data = encode(train, tokenizer, model_args.max_length, len(LABELS), targets, model_args.text_normalization)
    collator = DataCollatorWithPadding(tokenizer)
    if model_args.train_noise > 0:
        # Without a teacher a noisy copy keeps its gold labels: the best answer known for the clean comment.
        clean = teacher if teacher is not None else multi_hot(train["labels"], len(LABELS))
        train_data = train_data.add_column("text", train["text"]).add_column("teacher", clean.tolist())
        training_args.remove_unused_columns = False  # the collator needs the text and the teacher's answer
        collator = NoisyCollator(tokenizer, model_args.max_length, model_args.train_noise,
                                 model_args.text_normalization, training_args.seed)
    num_params = sum(p.numel() for p in model.parameters())
    log.info("%s: %.1fM parameters; %d train / %d dev comments from %s; world size %d", model_args.model_name_or_path,
             num_params / 1e6, len(train), len(dev), describe_source(data_args.data_dir), training_args.world_size)

    trainer = EmotionTrainer(
        model=model,
        args=training_args,
        train_dataset=train_data,
        eval_dataset=sort_by_length(encode(dev, tokenizer, model_args.max_length, len(LABELS),
                                           normalization=model_args.text_normalization)),
        data_collator=collator,
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

    if not trainer.is_world_process_zero():  # one process writes the checkpoint and evaluates it on all of dev
        return {}
    model = trainer.model.to(getattr(torch, model_args.save_dtype))
    tokenizer.model_max_length = model_args.max_length
    extra = {
        **base_model(model_args.model_name_or_path),
        **({"teacher_weights_sha256": Checkpoint.open(model_args.teacher).fingerprint} if model_args.teacher else {}),
        "num_parameters": num_params,
        "world_size": training_args.world_size,  # processes (torchrun / accelerate launch)
        "train_comments": len(train),
        "train_seconds": round(seconds, 1),
        "train_samples_per_second": round(result.metrics.get("train_samples_per_second", 0.0), 2),
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "best_dev_micro_f1_at_0.5": trainer.state.best_metric,
        "command": command_line(argv),
    }
    # Weights, tokenizer, thresholds and metrics land together: an app never loads half a checkpoint.
    # If the evaluation fails, the trained model is kept beside the output folder, never lost.
    kept = final_dir.with_name(f"{final_dir.name}-unevaluated")
    try:
        with Checkpoint.staged(final_dir, keep_as=kept) as stage:
            model.save_pretrained(stage.path)
            tokenizer.save_pretrained(stage.path)
            stage.save_training(training_config(model_args, data_args, training_args, preset_note, extra),
                                trainer.state.log_history)
            metrics = evaluate_checkpoint(stage, data_args.data_dir, data_args.max_eval_samples,
                                          training_args.per_device_eval_batch_size)
    except Exception:
        log.error("The evaluation after training failed; the trained model is kept in %s. After fixing the cause, "
                  "finish it with `python train_model.py --eval_only %s` and rename it to %s.", kept, kept, final_dir)
        raise
    log.info("%.1f min; wrote %s\n%s", seconds / 60, final_dir, format_summary(metrics))
    finish(final_dir, data_args.data_dir, data_args.max_eval_samples, run_args.choose_backend)
    warning = chance_warning(metrics, multi_hot(dev["labels"], len(LABELS)))
    if warning:  # last, so that it is the line a person reads
        log.warning("%s", warning)
    return metrics
