"""Test-set metrics browser: everything recomputed from stored probabilities, no model call."""

from __future__ import annotations

import html
from functools import partial
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd

from ..analysis.tables import cooccurrence, label_ece, labels_per_comment, pr_curve, reliability, threshold_sweep
from ..metrics import binarize, compute_metrics, per_class_table
from ..thresholds import PER_CLASS
from . import charts
from .page import Page
from .views import analysis_view, needs_test_set
from .context import AppContext

TITLE = "Metrics"

HEADLINE = [("micro_f1", "micro F1"), ("macro_f1", "macro F1"), ("weighted_f1", "weighted F1"),
            ("samples_f1", "samples F1"), ("micro_precision", "micro precision"), ("micro_recall", "micro recall"),
            ("macro_precision", "macro precision"), ("macro_recall", "macro recall"),
            ("subset_accuracy", "subset accuracy"), ("hamming_loss", "hamming loss")]


def headline_html(metrics: dict[str, float], n: int) -> str:
    """The headline figures as cards that wrap, so a phone shows them whole."""
    cards = "".join(f"<div><b>{metrics[k]:.4f}</b><span>{html.escape(name)}</span></div>" for k, name in HEADLINE)
    return f"<p>Test set, {n:,} comments.</p><div class='stats'>{cards}</div>"


def charts_in_words(sweep: pd.DataFrame, per_comment: pd.DataFrame, gold_pairs, predicted_pairs, labels) -> str:
    """What the charts below show, as text: their alternative for screen readers and a quick read."""
    def best(column: str) -> str:
        row = sweep.loc[sweep[column].idxmax()]
        return f"{column.replace('_', ' ')} peaks at {row[column]:.3f} (threshold {row['threshold']:.2f})"

    def share(column: str) -> str:
        counts = per_comment[column].to_numpy()
        total = max(counts.sum(), 1)
        return f"{counts[0] / total:.0%} none, {counts[1] / total:.0%} one, {counts[2:].sum() / total:.0%} two or more"

    def top_pairs(matrix) -> str:
        upper = np.triu(matrix, 1)
        order = np.argsort(upper, axis=None)[::-1][:3]
        return ", ".join(f"{labels[i]} & {labels[j]} ({upper[i, j]})" for i, j in zip(*np.unravel_index(order, upper.shape)))

    return (f"In words: with one global threshold on test, {best('micro_f1')} and {best('macro_f1')}. "
            f"Labels per comment, gold: {share('true')}; predicted: {share('predicted')}. "
            f"Most frequent pairs, gold: {top_pairs(gold_pairs)}; predicted: {top_pairs(predicted_pairs)}.")


class MetricsView(NamedTuple):
    headline: str
    table: pd.DataFrame
    sweep: object  # plotly figures
    per_comment: object
    gold_pairs: object
    predicted_pairs: object
    in_words: str

    @classmethod
    def missing(cls, why: str) -> "MetricsView":
        empty = charts.no_test_data()
        return cls(why, pd.DataFrame(), empty, empty, empty, empty, "")


class CurvesView(NamedTuple):
    pr_curves: object
    reliability: object
    in_words: str

    @classmethod
    def missing(cls, why: str) -> "CurvesView":
        return cls(charts.no_test_data(), charts.no_test_data(), "")


@needs_test_set(MetricsView.missing)
def metrics_view(ctx: AppContext, setting: str | float) -> MetricsView:
    """The threshold-dependent outputs: headline metrics, per-class table, sweep, histogram, co-occurrence."""
    test = ctx.data.test_set(gr.Progress())
    thresholds = ctx.model.thresholds_at(setting)
    y_pred = binarize(test.probs, thresholds)
    metrics = compute_metrics(test.probs, test.y_true, thresholds)
    table = per_class_table(test.probs, test.y_true, ctx.model.labels, thresholds).round(3)
    sweep = ctx.data.memo("sweep", lambda: threshold_sweep(test.probs, test.y_true))
    current = None if setting == PER_CLASS else float(setting)
    per_comment = labels_per_comment(test.y_true, y_pred)
    gold_pairs, predicted_pairs = cooccurrence(test.y_true), cooccurrence(y_pred)
    return MetricsView(
        headline_html(metrics, len(test.ids)),
        table,
        charts.threshold_sweep(sweep, current),
        charts.labels_per_comment(per_comment),
        ctx.data.memo("gold_cooccurrence", lambda: charts.heatmap(gold_pairs, ctx.model.labels, "Gold labels together (comments)")),
        charts.heatmap(predicted_pairs, ctx.model.labels, "Predicted labels together (comments)"),
        charts_in_words(sweep, per_comment, gold_pairs, predicted_pairs, ctx.model.labels),
    )


@needs_test_set(CurvesView.missing)
def curves_view(ctx: AppContext, label: str | None) -> CurvesView:
    """Threshold-free views: precision-recall curves and calibration."""
    test = ctx.data.test_set(gr.Progress())
    curves = [("micro-average", *pr_curve(test.probs, test.y_true))]
    if label in ctx.model.labels:
        curves.append((label, *pr_curve(test.probs, test.y_true, ctx.model.labels.index(label))))
    table, ece = ctx.data.memo("reliability", lambda: reliability(test.probs, test.y_true))
    per_label = ctx.data.memo("label_ece", lambda: label_ece(test.probs, test.y_true))
    filled = table[table["count"] > 0]
    worst = filled.loc[(filled["confidence"] - filled["frequency"]).abs().idxmax()]
    words = ("In words: average precision " + ", ".join(f"{name} {ap:.3f}" for name, _, _, ap in curves) +
             f". Calibration error {ece:.4f} pooled over every comment × label, {per_label:.4f} as the mean of "
             f"the labels' own; the widest gap: predicted {worst['confidence']:.2f}, observed "
             f"{worst['frequency']:.2f} ({int(worst['count']):,} cells).")
    return CurvesView(charts.pr_curves(curves), charts.reliability(table, ece, per_label), words)


def build(page: Page, tab: gr.Tab) -> None:
    ctx = page.ctx
    headline = gr.HTML()
    with gr.Row():
        sweep = gr.Plot()
        hist = gr.Plot()
    # Closed until asked for (the Per class view charts the same figures): a hidden table costs nothing
    # to redraw when the threshold moves or the tab shows again.
    with gr.Accordion("Per-class metrics table (sortable from each column's menu)", open=False):
        table = gr.Dataframe(label="Per-class metrics", interactive=False, max_height=420)
    with gr.Row():
        label = gr.Dropdown(ctx.model.labels, value=None, label="Add a per-class precision-recall curve for")
    with gr.Row():
        pr = gr.Plot()
        calibration = gr.Plot()
    curves_in_words = gr.Markdown(elem_id="curves-in-words")
    with gr.Row():
        gold_co = gr.Plot()
        pred_co = gr.Plot()
    in_words = gr.Markdown(elem_id="charts-in-words")
    analysis_view(page, tab, partial(metrics_view, ctx), [], [headline, table, sweep, hist, gold_co, pred_co, in_words])
    analysis_view(page, tab, lambda _setting, chosen: curves_view(ctx, chosen), [label], [pr, calibration, curves_in_words],
                  triggers=(label.change,), threshold_free=True)
