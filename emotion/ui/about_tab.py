"""About: which checkpoint is loaded, what it was trained from, how it scores on test."""

from __future__ import annotations

import html

from ..card import markdown_table, summary_table
from .common import backend_note
from .context import AppContext


def about_markdown(ctx: AppContext) -> str:
    config = ctx.checkpoint.training_config
    test = ctx.checkpoint.metrics.get("test", {})
    lines = [
        f"**Checkpoint:** `{html.escape(str(ctx.checkpoint.path))}`  ",
        f"**Base model:** `{html.escape(str(config.get('base_model', 'unknown')))}` "
        f"({config.get('num_parameters', 0) / 1e6:.1f}M parameters), "
        f"trained on {config.get('train_comments', '?')} comments in {config.get('train_seconds', 0) / 60:.0f} min  ",
        f"**Labels:** {len(ctx.labels)} ({', '.join(ctx.labels)})  ",
    ]
    lines.append(f"**Inference:** {backend_note(ctx)}  ")
    if ctx.thresholds is not None:
        line = f"**Thresholds:** global {ctx.thresholds.global_threshold:.2f}, per-class tuned on dev"
        if ctx.thresholds != ctx.test_thresholds:
            line += (f", on `{ctx.classifier.backend}`'s own probabilities (the analysis tabs use the ones tuned on "
                     f"torch's: global {ctx.test_thresholds.global_threshold:.2f})")
        lines.append(line + "  ")
    if test:
        lines += ["", "**Test metrics**", "", markdown_table(summary_table(test))]
        if ctx.classifier.backend != "torch":
            lines += ["", f"These figures and the analysis tabs use the probabilities the torch model stored at "
                          f"training time; the Predict tab runs `{ctx.classifier.backend}`, whose answers can differ "
                          "for comments near a threshold (its dev figures are in the checkpoint's backend choice, "
                          "`inference.json`)."]
    card = ctx.checkpoint.card_file
    if card.is_file():
        lines += ["", f"The model card, with the recipe, limitations and per-class results, is `{card}`."]
    lines += ["", "GoEmotions: Demszky et al. (2020), Google Research, CC BY 4.0. Comments are Reddit English; "
              "labels are noisy, and rare emotions (grief, pride, relief, nervousness) are hard to detect."]
    return "\n".join(lines)
