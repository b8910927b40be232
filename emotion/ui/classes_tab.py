"""Per-class charts: precision / recall / F1 with support, train vs test distribution, frequency vs F1."""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import gradio as gr
import numpy as np

from ..analysis.tables import frequency_vs_f1
from ..metrics import per_class_table
from ..thresholds import GLOBAL, PER_CLASS
from . import charts
from .page import Page
from .views import analysis_view, needs_test_set
from .context import AppContext

TITLE = "Per class"


def classes_in_words(table, metric: str, train_counts) -> str:
    """What the three charts show, as text: their alternative for screen readers and a quick read."""
    ranked = table.sort_values(metric, kind="stable")  # the bar chart's order

    def name(rows) -> str:
        return ", ".join(f"{r.label} {getattr(r, metric):.2f} (n={r.support})" for r in rows.itertuples())
    words = f"In words: highest {metric}: {name(ranked.tail(3)[::-1])}; lowest: {name(ranked.head(3))}."
    if train_counts is not None:
        order = np.argsort(train_counts)
        labels = table["label"].tolist()
        words += (f" Training comments per label run from {int(train_counts[order[0]]):,} ({labels[order[0]]}) "
                  f"to {int(train_counts[order[-1]]):,} ({labels[order[-1]]}).")
    return words


class ClassCharts(NamedTuple):
    note: str
    bars: object  # a plotly figure
    distribution: object
    scatter: object
    in_words: str

    @classmethod
    def missing(cls, why: str) -> "ClassCharts":
        return cls(why, charts.no_test_data(), charts.no_test_data(), charts.no_test_data(), "")


@needs_test_set(ClassCharts.missing)
def class_charts(ctx: AppContext, setting: str | float, metric: str) -> ClassCharts:
    test = ctx.data.test_set(gr.Progress())
    table = per_class_table(test.probs, test.y_true, ctx.model.labels, ctx.model.thresholds_at(setting))
    bars = charts.metric_bars(table, metric)
    distribution = charts.class_distribution(ctx.model.labels, test.train_counts, test.y_true.sum(0))
    if test.train_counts is None:
        return ClassCharts("Training counts unavailable.", bars, distribution,
                           charts.message("The training split could not be loaded, so label frequency is unknown."),
                           classes_in_words(table, metric, None))
    f1 = table["f1"].to_numpy()
    r = frequency_vs_f1(test.train_counts, f1)
    note = f"Correlation of log training frequency with test F1 at this setting: **r = {r:.2f}**."
    if ctx.model.test_thresholds is not None:
        # Stated from the data: does tuning per class make rare labels less of a handicap?
        def r_at(choice):
            return frequency_vs_f1(test.train_counts, per_class_table(
                test.probs, test.y_true, ctx.model.labels, ctx.model.thresholds_at(choice))["f1"].to_numpy())
        r_class, r_global = r_at(PER_CLASS), r_at(GLOBAL)
        verdict = "weaker" if abs(r_class) < abs(r_global) else "not weaker"
        note += (f" With the tuned per-class thresholds r = {r_class:.2f}, with the tuned global one r = "
                 f"{r_global:.2f}: per class, the link between rarity and F1 is {verdict}.")
    return ClassCharts(note, bars, distribution, charts.frequency_vs_f1(ctx.model.labels, test.train_counts, f1, r),
                       classes_in_words(table, metric, test.train_counts))


def build(page: Page, tab: gr.Tab) -> None:
    metric = gr.Radio(["f1", "precision", "recall"], value="f1", label="Sort and show")
    note = gr.Markdown()
    bars = gr.Plot()
    with gr.Row():
        distribution = gr.Plot()
        scatter = gr.Plot()
    in_words = gr.Markdown(elem_id="classes-in-words")
    analysis_view(page, tab, partial(class_charts, page.ctx), [metric], [note, bars, distribution, scatter, in_words],
                  triggers=(metric.change,))
