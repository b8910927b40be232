"""Per-class charts: precision / recall / F1 with support, train vs test distribution, frequency vs F1."""

from __future__ import annotations

from functools import partial

import gradio as gr

from ..analysis import frequency_vs_f1
from ..metrics import per_class_table
from . import charts
from .common import as_global, policy_controls
from .context import AppContext, DataUnavailable


def class_charts(ctx: AppContext, policy: str, value: float, metric: str):
    try:
        test = ctx.test_set(gr.Progress())
    except DataUnavailable as err:
        empty = charts.message("No test data loaded.")
        return str(err), empty, empty, empty
    table = per_class_table(test.probs, test.y_true, ctx.labels, ctx.threshold_values(policy, value, ctx.test_thresholds))
    bars = charts.metric_bars(table, metric)
    distribution = charts.class_distribution(ctx.labels, test.train_counts, test.y_true.sum(0))
    if test.train_counts is None:
        scatter = charts.message("The training split could not be loaded, so label frequency is unknown.")
        note = "Training counts unavailable."
    else:
        r = frequency_vs_f1(test.train_counts, table["f1"].to_numpy())
        scatter = charts.frequency_vs_f1(ctx.labels, test.train_counts, table["f1"].to_numpy(), r)
        note = (f"Correlation of log training frequency with test F1: **r = {r:.2f}**. "
                "Rare labels are harder; the tuned per-class thresholds narrow the gap.")
    return note, bars, distribution, scatter


def build(ctx: AppContext) -> list:
    policy, slider = policy_controls(ctx.test_thresholds)
    metric = gr.Radio(["f1", "precision", "recall"], value="f1", label="Sort and show")
    note = gr.Markdown()
    bars = gr.Plot()
    with gr.Row():
        distribution = gr.Plot()
        scatter = gr.Plot()
    fn = partial(class_charts, ctx)
    inputs, outputs = [policy, slider, metric], [note, bars, distribution, scatter]
    policy.change(fn, inputs, outputs, api_visibility="undocumented")
    metric.change(fn, inputs, outputs, api_visibility="undocumented")
    slider.release(as_global(fn), inputs, [policy, *outputs], api_visibility="undocumented")
    return [fn, inputs, outputs]
