"""Assemble the Gradio Blocks from the tab modules."""

from __future__ import annotations

import gradio as gr

from . import about_tab, classes_tab, errors_tab, metrics_tab, predict_tab
from .common import CSS
from .context import AppContext
from .inputs import InputError, Limits, check_batch, clean_text

TITLE = "GoEmotions: multi-label emotion classifier for Reddit-style comments"


def api_predict(ctx: AppContext, limits: Limits, text: str, threshold: float | None = None) -> dict:
    """Predict the emotions of one comment. threshold: None uses the checkpoint's tuned per-class
    thresholds; a number in [0, 1] applies to every label."""
    try:
        text, notices = clean_text(text, limits)
        p = ctx.classifier.predict(text, threshold=threshold, top_k=3)
    except (InputError, ValueError) as err:
        raise gr.Error(str(err)) from None
    return {"labels": p.labels, "top": p.top, "probabilities": p.probabilities, "notices": notices}


def api_predict_batch(ctx: AppContext, limits: Limits, texts: list[str], threshold: float | None = None) -> list[dict]:
    """Predict the emotions of many comments (one dict each, in order)."""
    try:
        texts = check_batch([t.strip() for t in texts if t and t.strip()], limits)
        predictions = ctx.classifier.predict(texts, threshold=threshold, top_k=3)
    except (InputError, ValueError) as err:
        raise gr.Error(str(err)) from None
    return [{"text": p.text, "labels": p.labels, "top": p.top, "probabilities": p.probabilities} for p in predictions]


def build_app(ctx: AppContext, limits: Limits | None = None) -> gr.Blocks:
    limits = limits or Limits()
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n27 emotions + neutral, fine-tuned on GoEmotions. Drag a threshold to see "
                    "the predictions change; the analysis tabs recompute everything on the test set.")
        with gr.Tab("Predict"):
            predict_tab.build(ctx, limits)
        with gr.Tab("Per-class charts") as classes:
            fn, inputs, outputs = classes_tab.build(ctx)
        classes.select(fn, inputs, outputs, api_visibility="undocumented")
        with gr.Tab("Test-set metrics") as metrics:
            m_fn, m_inputs, m_outputs, curves, c_inputs, c_outputs = metrics_tab.build(ctx)
        metrics.select(m_fn, m_inputs, m_outputs, api_visibility="undocumented").then(
            curves, c_inputs, c_outputs, api_visibility="undocumented")
        with gr.Tab("Error analysis") as errors:
            e_fn, e_inputs, e_outputs = errors_tab.build(ctx)
        errors.select(e_fn, e_inputs, e_outputs, api_visibility="undocumented")
        with gr.Tab("About"):
            gr.Markdown(about_tab.about_markdown(ctx))

        def predict(text: str, threshold: float | None = None) -> dict:
            """Emotions of one comment: labels above threshold (None = tuned per-class), top 3, all probabilities."""
            return api_predict(ctx, limits, text, threshold)

        def predict_batch(texts: list[str], threshold: float | None = None) -> list[dict]:
            """Emotions of many comments, one result each, in order."""
            return api_predict_batch(ctx, limits, texts, threshold)

        gr.api(predict, api_name="predict")
        gr.api(predict_batch, api_name="predict_batch")
    return demo


__all__ = ["build_app", "TITLE", "CSS"]
