"""The model card (``README.md`` in the checkpoint folder): ``model_card.md`` rendered with
huggingface_hub's ``ModelCard`` from the checkpoint's own files (metrics, per-class table, training config)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.tables import frequency_vs_f1
from ..checkpoint import FP32_ROLES, Checkpoint
from ..metrics import SUMMARY_NAMES
from ..serve.model import MINILM_ALIAS, MINILM_HUB_ID
from ..analysis.robustness import markdown as noise_markdown
from ..thresholds import POLICY_NAMES

TEMPLATE = Path(__file__).with_name("model_card.md")
PROBE_COLUMNS = ["test", "kind", "cases", "failures", "failure_rate"]


def markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def summary_table(by_policy: dict[str, dict[str, float]]) -> pd.DataFrame:
    """One row per threshold policy of a split's metrics, the headline figures under their short names."""
    return pd.DataFrame([{"thresholds": POLICY_NAMES.get(policy, policy), **{n: v[k] for k, n in SUMMARY_NAMES.items()}}
                         for policy, v in by_policy.items()])


def origin(config: dict, base_id: str, members: list[str]) -> str:
    """Where the weights come from: a fine-tuned pretrained model, a student distilled from a teacher, or members."""
    if members:
        return f"An ensemble of {len(members)} fine-tuned models"
    millions = config.get("num_parameters", 0) / 1e6
    if not config.get("teacher"):
        return f"`{base_id}` ({millions:.1f}M parameters) fine-tuned"
    layers = f"layers {config['keep_layers']} of " if config.get("keep_layers") else ""
    hidden = (f"; plus a hidden-state loss of weight {config['distill_hidden_weight']} toward the teacher layers the "
              "student's were copied from" if config.get("distill_hidden_weight") else "")
    return (f"A {millions:.1f}M-parameter student started from {layers}`{config.get('initialized_from', base_id)}` "
            f"(itself from `{base_id}`) and distilled from the fine-tuned `{config['teacher']}` (targets: "
            f"{config.get('distill_weight')} teacher probabilities, the rest gold labels{hidden}), trained")


def write_model_card(checkpoint: Checkpoint, train_counts: np.ndarray | None = None) -> Path:
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    metrics, config = checkpoint.metrics, checkpoint.training_config
    per_class = checkpoint.per_class
    members = [m.name for m in checkpoint.members]
    # An ensemble has no training config of its own; its first member says what it descends from.
    base = str((checkpoint.members or [checkpoint])[0].training_config.get("base_model", "unknown"))
    base_id = MINILM_HUB_ID if base.endswith(MINILM_ALIAS) else base
    test = metrics["test"]
    tuned = test["per_class_tuned"]
    ids, _ = checkpoint.probabilities("test")
    dataset = dict(task_type="text-classification", task_name="Multi-label emotion classification",
                   dataset_type="google-research-datasets/go_emotions", dataset_name="GoEmotions (simplified)",
                   dataset_config="simplified", dataset_split="test", metric_type="f1")
    data = ModelCardData(
        language="en", license="apache-2.0", library_name="transformers", pipeline_tag="text-classification",
        base_model=base_id, datasets=["google-research-datasets/go_emotions"], model_name=checkpoint.name,
        tags=["emotion", "multi-label-classification", "goemotions", "reddit"], metrics=["f1", "precision", "recall"],
        eval_results=[
            EvalResult(**dataset, metric_name="macro F1 (per-class thresholds tuned on dev)",
                       metric_value=round(tuned["macro_f1"], 4)),
            EvalResult(**dataset, metric_name="micro F1 (global threshold tuned on dev)",
                       metric_value=round(test["global_tuned"]["micro_f1"], 4)),
        ],
    )
    per_class_table = per_class[["label", "threshold", "precision", "recall", "f1", "support"]].sort_values(
        "f1", ascending=False)
    experiments = checkpoint.experiments
    probe, robustness = checkpoint.probe(), checkpoint.robustness()
    card = ModelCard.from_template(
        data, template_path=str(TEMPLATE), name=checkpoint.name, origin=origin(config, base_id, members), members=members,
        max_length=checkpoint.max_length, global_threshold=checkpoint.thresholds().global_threshold,
        n_test=len(ids), test_table=markdown_table(summary_table(test)), tuned=tuned,
        correlation=None if train_counts is None else frequency_vs_f1(train_counts, per_class["f1"].to_numpy()),
        per_class_table=markdown_table(per_class_table), config=config, args=config.get("training_arguments", {}),
        recipe_table=markdown_table(experiments) if experiments is not None else "(not recorded)",
        int8_fp32="; ".join(f"`{role}` ({FP32_ROLES.get(role, 'unknown')})" for role in checkpoint.int8_fp32),
        robustness=robustness,
        robustness_table=noise_markdown(pd.DataFrame(robustness["table"])) if robustness else "",
        probe=probe, probe_table=markdown_table(pd.DataFrame(probe["table"])[PROBE_COLUMNS]) if probe else "",
    )
    return checkpoint.save_card(str(card).rstrip("\n") + "\n")
