"""The model card (``README.md`` in the checkpoint folder), in the Hugging Face format, written
from the checkpoint's own files: metrics, per-class table, training config, recipe experiments."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import checkpoint as ckpt
from .analysis import frequency_vs_f1

POLICY_NAMES = {"global_0.5": "global 0.5", "global_tuned": "global, tuned on dev",
                "per_class_tuned": "per-class, tuned on dev"}
SUMMARY_NAMES = {"micro_f1": "micro F1", "macro_f1": "macro F1", "weighted_f1": "weighted F1",
                 "micro_precision": "micro P", "micro_recall": "micro R"}
EXPERIMENTS = "recipe_experiments.csv"  # optional: the dev table of recipes tried, kept beside the card


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def write_model_card(folder: str | os.PathLike, train_counts: np.ndarray | None = None) -> Path:
    folder = Path(folder)
    metrics = ckpt.read_json(folder / ckpt.METRICS)
    config = ckpt.read_json(folder / ckpt.TRAINING_CONFIG) if (folder / ckpt.TRAINING_CONFIG).is_file() else {}
    thresholds = ckpt.read_json(folder / ckpt.THRESHOLDS)
    per_class = pd.read_csv(folder / ckpt.PER_CLASS)
    base = str(config.get("base_model", "unknown"))
    base_id = "sentence-transformers/all-MiniLM-L6-v2" if base.endswith("all-MiniLM-L6-v2") else base
    test = metrics["test"]
    n_test = len(pd.read_parquet(folder / ckpt.probabilities_file("test"), columns=["id"]))
    tuned = test["per_class_tuned"]

    test_table = pd.DataFrame([{"thresholds": POLICY_NAMES.get(p, p), **{n: v[k] for k, n in SUMMARY_NAMES.items()}}
                               for p, v in test.items()])
    per_class_md = _markdown_table(per_class[["label", "threshold", "precision", "recall", "f1", "support"]]
                                   .sort_values("f1", ascending=False))
    correlation = ""
    if train_counts is not None:
        r = frequency_vs_f1(train_counts, per_class["f1"].to_numpy())
        correlation = (f"Pearson correlation between log training frequency and per-class test F1: **r = {r:.2f}** "
                       "— frequent labels are learned well, rare ones are not.")
    experiments = folder / EXPERIMENTS
    recipe_table = _markdown_table(pd.read_csv(experiments)) if experiments.is_file() else "(not recorded)"
    args = config.get("training_arguments", {})
    yaml = f"""---
language: en
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
base_model: {base_id}
datasets:
- google-research-datasets/go_emotions
tags:
- emotion
- multi-label-classification
- goemotions
- reddit
metrics:
- f1
- precision
- recall
model-index:
- name: {folder.name}
  results:
  - task:
      type: text-classification
      name: Multi-label emotion classification
    dataset:
      name: GoEmotions (simplified)
      type: google-research-datasets/go_emotions
      config: simplified
      split: test
    metrics:
    - type: f1
      name: macro F1 (per-class thresholds tuned on dev)
      value: {tuned['macro_f1']:.4f}
    - type: f1
      name: micro F1 (global threshold tuned on dev)
      value: {test['global_tuned']['micro_f1']:.4f}
---"""
    origin = f"`{base_id}` ({config.get('num_parameters', 0) / 1e6:.1f}M parameters) fine-tuned"
    if config.get("teacher"):
        layers = f"layers {config['keep_layers']} of " if config.get("keep_layers") else ""
        origin = (f"A {config.get('num_parameters', 0) / 1e6:.1f}M-parameter student started from {layers}"
                  f"`{config.get('initialized_from', base_id)}` (itself from `{base_id}`) and distilled from the "
                  f"fine-tuned `{config['teacher']}` (targets: {config.get('distill_weight')} teacher probabilities, "
                  f"the rest gold labels"
                  + (f"; plus a hidden-state loss of weight {config['distill_hidden_weight']} toward the teacher "
                     "layers the student's were copied from" if config.get("distill_hidden_weight") else "")
                  + "), trained")
    distilled = ("\n`distillation.json` compares this student's dev F1 with its teacher's." if config.get("teacher")
                 else "")
    body = f"""
# {folder.name}: emotion classifier for short informal English text

{origin} on GoEmotions (simplified) to tag
a comment with any of 27 emotions or neutral. Multi-label: a linear head on [CLS] with one sigmoid per
label. Loads with `AutoModelForSequenceClassification` and `AutoTokenizer` alone (no remote code).

```python
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
tok = AutoTokenizer.from_pretrained("{folder.name}")
model = AutoModelForSequenceClassification.from_pretrained("{folder.name}", dtype=torch.float32)
probs = torch.sigmoid(model(**tok(["thanks, you made my day!"], truncation=True, max_length=128,
                                  return_tensors="pt")).logits)[0]
```

Use the thresholds in `thresholds.json` (global {thresholds['global']:.2f}, or one per label), tuned on the
dev split: 0.5 is far too high for most labels.

## Intended use and limitations
- For research and exploration of emotion in short English comments, e.g. the interactive app in this
  repository. Not for decisions about people: predictions are noisy and carry annotator biases.
- Trained on Reddit comments from 2005-2019 in English; other registers, languages and platforms will
  score worse. Names are masked as `[NAME]` in training data.
- GoEmotions labels are noisy (raters often disagree); the rare labels (grief, pride, relief,
  nervousness, embarrassment) have few examples and low F1; neutral dominates.
- Inputs longer than {config.get('max_length', 128)} tokens are truncated.

## Test results
GoEmotions test split ({n_test:,} comments), thresholds tuned on the dev split only.

{_markdown_table(test_table)}

Average labels per comment: gold {tuned['labels_per_comment_true']:.2f}, predicted
{tuned['labels_per_comment_pred']:.2f} (per-class thresholds). Subset accuracy {tuned['subset_accuracy']:.4f},
hamming loss {tuned['hamming_loss']:.4f}.

{correlation}

### Per class (test, per-class thresholds)
{per_class_md}

## Training recipe
Command: `{config.get('command', 'python train_model.py')}`

- preset `{config.get('preset')}`; max length {config.get('max_length')}; batch {args.get('per_device_train_batch_size')};
  learning rate {args.get('learning_rate')} for the encoder and {config.get('head_learning_rate') or args.get('learning_rate')}
  for the pooler and classifier; {args.get('num_train_epochs')} epochs; warm-up {args.get('warmup_steps')};
  {args.get('lr_scheduler_type')} decay; weight decay {args.get('weight_decay')}; loss `{config.get('loss')}`;
  best checkpoint by dev `{args.get('metric_for_best_model')}`, evaluated every {args.get('eval_steps')} steps.
- {config.get('train_comments')} training comments; {config.get('train_seconds', 0) / 60:.0f} minutes,
  {config.get('train_samples_per_second')} samples/s on {config.get('environment', {}).get('cpu_threads')} CPU threads
  (CUDA: {config.get('environment', {}).get('cuda')}).
- Per-class thresholds are each label's best dev threshold shrunk toward the global one by its dev support;
  the shrinkage strength was chosen by 5-fold cross-validation within dev (`threshold_tuning.json`).

### Recipes tried (dev split only)
{recipe_table}

## Files
`thresholds.json`, `metrics.json` (dev and test, three threshold policies), `per_class.csv`,
`training_results.csv`, `training_config.json`, `training_log.json`, and `dev_/test_probabilities.parquet`
(comment id + 28 probabilities; no texts or labels). Plain `transformers` loads the model; the project's
`EmotionClassifier` can also run it on ONNX Runtime (fp32, or int8 weights and activations), and
`inference.json`, when present, names the default backend chosen on dev with each backend's dev speed, F1 and thresholds tuned on its own dev probabilities.{distilled}

## Citation
Demszky et al., 2020. *GoEmotions: A Dataset of Fine-Grained Emotions.* ACL. The data is CC BY 4.0.
"""
    path = folder / ckpt.MODEL_CARD
    path.write_text(yaml + "\n" + body)
    return path
