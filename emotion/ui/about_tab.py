"""About: which checkpoint is loaded, what it was trained from, how it scores on test."""

from __future__ import annotations

import html
import os
from pathlib import Path

import gradio as gr

from ..train.card import markdown_table, summary_table
from ..checkpoint import ALTERNATIVE_CHECKPOINT, DEFAULT_CHECKPOINT
from ..serve.backends import is_reference
from ..thresholds import CHECKPOINT
from .notes import backend_note
from .page import Page
from .context import AppContext

TITLE = "About"


def shown_path(path: Path) -> str:
    """A path as the person knows it: relative to where the app runs when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path(os.getcwd()).resolve()))
    except ValueError:
        return Path(path).name


def standing(path: Path) -> str:
    """Which of the shipped models this is, in words, or nothing for a model of the user's."""
    shipped = {DEFAULT_CHECKPOINT.resolve(): "the shipped default", ALTERNATIVE_CHECKPOINT.resolve(): "the shipped alternative"}
    which = shipped.get(Path(path).resolve())
    return f" ({which})" if which else ""


def about_markdown(ctx: AppContext) -> str:
    config = ctx.model.checkpoint.training_config
    test = ctx.model.checkpoint.metrics.get("test", {})
    layers = ctx.model.checkpoint.config.get("num_hidden_layers")
    lines = [
        f"**Checkpoint:** `{html.escape(shown_path(ctx.model.checkpoint.path))}`{standing(ctx.model.checkpoint.path)}"
        + (f", {layers} layers" if layers else "") + "  ",
        f"**Base model:** `{html.escape(str(config.get('base_model', 'unknown')))}` "
        f"({config.get('num_parameters', 0) / 1e6:.1f}M parameters), "
        f"trained on {config.get('train_comments', '?')} comments in {config.get('train_seconds', 0) / 60:.0f} min  ",
        f"**Labels:** {len(ctx.model.labels)} ({', '.join(ctx.model.labels)})  ",
    ]
    lines.append(f"**Inference:** {backend_note(ctx)}  ")
    if ctx.model.thresholds is not None:
        line = (f"**Thresholds:** {html.escape(ctx.model.classifier.describe_thresholds(), quote=False)} "
                f"(global {ctx.model.thresholds.global_threshold:.2f})")
        if ctx.model.thresholds.origin != CHECKPOINT and ctx.model.test_thresholds is not None:
            line += (f"; the Test set tabs use the original (torch) model's, tuned on dev "
                     f"(global {ctx.model.test_thresholds.global_threshold:.2f})")
        lines.append(line + "  ")
    if test:
        lines += ["", "**Test metrics**", "", markdown_table(summary_table(test))]
        if not is_reference(ctx.model.classifier.backend):
            lines += ["", f"These figures and the analysis tabs use the probabilities the torch model stored at "
                          f"training time; the Predict tab runs `{ctx.model.classifier.backend}`, whose answers can differ "
                          "for comments near a threshold (its dev figures are in the checkpoint's backend choice, "
                          "`inference.json`)."]
    card = ctx.model.checkpoint.card_file
    if card.is_file():
        lines += ["", f"The model card, with the recipe, limitations and per-class results, is `{shown_path(card)}`."]
    lines += ["", "GoEmotions: Demszky et al. (2020), Google Research, CC BY 4.0. Comments are Reddit English; "
              "labels are noisy, and rare emotions (grief, pride, relief, nervousness) are hard to detect."]
    return "\n".join(lines)


def build(page: Page, tab: gr.Tab) -> None:
    gr.Markdown(about_markdown(page.ctx))
