"""Test-set metrics browser: everything recomputed from stored probabilities, no model call."""

from __future__ import annotations

from functools import partial

import gradio as gr
import pandas as pd

from ..analysis import cooccurrence, labels_per_comment, pr_curve, reliability, threshold_sweep
from ..metrics import binarize, compute_metrics, per_class_table
from ..thresholds import GLOBAL
from . import charts
from .common import as_global, policy_controls
from .context import AppContext, DataUnavailable

HEADLINE = [("micro_f1", "micro F1"), ("macro_f1", "macro F1"), ("weighted_f1", "weighted F1"),
            ("samples_f1", "samples F1"), ("micro_precision", "micro precision"), ("micro_recall", "micro recall"),
            ("macro_precision", "macro precision"), ("macro_recall", "macro recall"),
            ("subset_accuracy", "subset accuracy"), ("hamming_loss", "hamming loss")]


def headline_markdown(metrics: dict[str, float], n: int) -> str:
    cells = " | ".join(f"{metrics[k]:.4f}" for k, _ in HEADLINE)
    return (f"Test set, {n:,} comments.\n\n| {' | '.join(name for _, name in HEADLINE)} |\n"
            f"|{'---|' * len(HEADLINE)}\n| {cells} |")


def metrics_view(ctx: AppContext, policy: str, value: float):
    """The threshold-dependent outputs: headline metrics, per-class table, sweep, histogram, co-occurrence."""
    try:
        test = ctx.test_set(gr.Progress())
    except DataUnavailable as err:
        empty = charts.message("No test data loaded.")
        return str(err), pd.DataFrame(), empty, empty, empty, empty
    thresholds = ctx.threshold_values(policy, value, ctx.test_thresholds)
    y_pred = binarize(test.probs, thresholds)
    metrics = compute_metrics(test.probs, test.y_true, thresholds)
    table = per_class_table(test.probs, test.y_true, ctx.labels, thresholds).round(3)
    sweep = ctx.memo("sweep", lambda: threshold_sweep(test.probs, test.y_true))
    current = float(value) if policy == GLOBAL else None
    return (
        headline_markdown(metrics, len(test.ids)),
        table,
        charts.threshold_sweep(sweep, current),
        charts.labels_per_comment(labels_per_comment(test.y_true, y_pred)),
        ctx.memo("gold_cooccurrence", lambda: charts.heatmap(cooccurrence(test.y_true), ctx.labels,
                                                             "Gold label co-occurrence (comments)")),
        charts.heatmap(cooccurrence(y_pred), ctx.labels, "Predicted label co-occurrence (comments)"),
    )


def curves_view(ctx: AppContext, label: str | None):
    """Threshold-free views: precision-recall curves and calibration."""
    try:
        test = ctx.test_set(gr.Progress())
    except DataUnavailable:
        empty = charts.message("No test data loaded.")
        return empty, empty
    curves = [("micro-average", *pr_curve(test.probs, test.y_true))]
    if label in ctx.labels:
        curves.append((label, *pr_curve(test.probs, test.y_true, ctx.labels.index(label))))
    table, ece = ctx.memo("reliability", lambda: reliability(test.probs, test.y_true))
    return charts.pr_curves(curves), charts.reliability(table, ece)


def build(ctx: AppContext) -> list:
    policy, slider = policy_controls(ctx.test_thresholds)
    headline = gr.Markdown()
    with gr.Row():
        sweep = gr.Plot()
        hist = gr.Plot()
    table = gr.Dataframe(label="Per-class metrics (click a header to sort)", interactive=False, max_height=420)
    with gr.Row():
        label = gr.Dropdown(ctx.labels, value=None, label="Add a per-class precision-recall curve for")
    with gr.Row():
        pr = gr.Plot()
        calibration = gr.Plot()
    with gr.Row():
        gold_co = gr.Plot()
        pred_co = gr.Plot()
    fn, curves = partial(metrics_view, ctx), partial(curves_view, ctx)
    inputs, outputs = [policy, slider], [headline, table, sweep, hist, gold_co, pred_co]
    policy.change(fn, inputs, outputs, api_visibility="undocumented")
    slider.change(as_global(fn), inputs, [policy, *outputs], api_visibility="undocumented",
                  trigger_mode="always_last")
    label.change(curves, [label], [pr, calibration], api_visibility="undocumented")
    return [fn, inputs, outputs, curves, [label], [pr, calibration]]
