"""Plotly figures for the app; each takes tables or arrays and returns a figure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PREDICTED, OTHER, GOLD, ACCENT = "#e4572e", "#a8b3c4", "#2e86ab", "#444444"
_LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10), font=dict(size=12))


def _fig(title: str, height: int = 420, **layout) -> go.Figure:
    return go.Figure(layout={**_LAYOUT, "title": title, "height": height, **layout})


def metric_bars(table: pd.DataFrame, metric: str) -> go.Figure:
    """Per-class ``metric`` sorted, with support in the bar labels."""
    table = table.sort_values(metric, kind="stable")
    fig = _fig(f"Per-class {metric} (test)", height=max(420, 22 * len(table)), showlegend=False,
               xaxis=dict(range=[0, 1.08], title=metric))
    fig.add_bar(x=table[metric], y=table["label"], orientation="h", marker_color=GOLD,
                text=[f"{v:.2f} · n={s}" for v, s in zip(table[metric], table["support"])], textposition="outside",
                cliponaxis=False, customdata=table[["precision", "recall", "f1", "support"]].to_numpy(),
                hovertemplate="%{y}<br>P %{customdata[0]:.3f} R %{customdata[1]:.3f} F1 %{customdata[2]:.3f}"
                              "<br>support %{customdata[3]}<extra></extra>")
    return fig


def class_distribution(labels: Sequence[str], train: np.ndarray | None, test: np.ndarray) -> go.Figure:
    fig = _fig("Comments per label (log scale)", height=460, yaxis=dict(type="log", title="comments"),
               barmode="group", legend=dict(orientation="h", y=1.1))
    if train is not None:
        fig.add_bar(x=list(labels), y=train, name="train", marker_color=OTHER)
    fig.add_bar(x=list(labels), y=test, name="test", marker_color=GOLD)
    return fig


def frequency_vs_f1(labels: Sequence[str], train: np.ndarray, f1: np.ndarray, r: float) -> go.Figure:
    fig = _fig(f"Training frequency vs test F1 (Pearson r on log frequency = {r:.2f})", height=460,
               xaxis=dict(type="log", title="training comments with the label"), yaxis=dict(title="F1", range=[0, 1]))
    fig.add_scatter(x=train, y=f1, mode="markers+text", text=list(labels), textposition="top center",
                    marker=dict(color=GOLD, size=9), hovertemplate="%{text}: n=%{x}, F1 %{y:.3f}<extra></extra>")
    return fig


def threshold_sweep(sweep: pd.DataFrame, current: float | None) -> go.Figure:
    fig = _fig("One global threshold: metrics vs threshold (test)", xaxis=dict(title="threshold"),
               yaxis=dict(range=[0, 1]), legend=dict(orientation="h", y=1.12))
    for column in ("micro_f1", "macro_f1", "micro_precision", "micro_recall"):
        fig.add_scatter(x=sweep["threshold"], y=sweep[column], mode="lines", name=column)
    if current is not None:
        fig.add_vline(x=current, line_dash="dash", line_color=ACCENT, annotation_text=f"{current:.2f}")
    return fig


def pr_curves(curves: list[tuple[str, np.ndarray, np.ndarray, float]]) -> go.Figure:
    fig = _fig("Precision-recall (test)", xaxis=dict(title="recall", range=[0, 1]),
               yaxis=dict(title="precision", range=[0, 1.02]), legend=dict(orientation="h", y=1.12))
    fig.update_layout(showlegend=True)  # the legend carries the average precision, even for one curve
    for name, precision, recall, ap in curves:
        keep = np.unique(np.linspace(0, len(recall) - 1, min(len(recall), 400)).astype(int))  # a readable line, not 150k points
        fig.add_scatter(x=recall[keep], y=precision[keep], mode="lines", name=f"{name} (AP {ap:.3f})")
    return fig


def labels_per_comment(table: pd.DataFrame) -> go.Figure:
    fig = _fig("Labels per comment: gold vs predicted", xaxis=dict(title="labels", dtick=1),
               yaxis=dict(title="comments"), barmode="group", legend=dict(orientation="h", y=1.12))
    fig.add_bar(x=table["labels"], y=table["true"], name="gold", marker_color=GOLD)
    fig.add_bar(x=table["labels"], y=table["predicted"], name="predicted", marker_color=PREDICTED)
    return fig


def heatmap(matrix: np.ndarray, labels: Sequence[str], title: str) -> go.Figure:
    """Co-occurrence counts off the diagonal (each label's own count would wash out the colours),
    on a log colour scale, every label named."""
    off = np.asarray(matrix, dtype=float).copy()
    np.fill_diagonal(off, np.nan)
    ticks = dict(tickmode="array", tickvals=list(labels), tickfont=dict(size=10))
    fig = _fig(f"{title}<br><sup>diagonal left blank; colour on a log scale</sup>", height=680,
               xaxis=dict(tickangle=-60, **ticks), yaxis=dict(autorange="reversed", **ticks))
    fig.add_heatmap(z=np.log10(off + 1), x=list(labels), y=list(labels), colorscale="Blues", customdata=off,
                    hovertemplate="%{y} & %{x}: %{customdata} comments<extra></extra>",
                    colorbar=dict(title="comments", tickvals=[0, 1, 2, 3], ticktext=["0", "9", "99", "999"]))
    return fig


def reliability(table: pd.DataFrame, ece: float, macro_ece: float) -> go.Figure:
    """``ece`` pools every comment × label cell (mostly easy zeros); ``macro_ece`` averages each label's own."""
    fig = _fig(f"Reliability (every comment × label)<br><sup>ECE pooled {ece:.4f}; mean of the labels' own "
               f"{macro_ece:.4f}</sup>", xaxis=dict(title="mean predicted probability", range=[0, 1]),
               yaxis=dict(title="observed frequency", range=[0, 1]), legend=dict(orientation="h", y=1.12))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect", line=dict(dash="dot", color=OTHER))
    filled = table[table["count"] > 0]
    fig.add_scatter(x=filled["confidence"], y=filled["frequency"], mode="lines+markers", name="model",
                    marker=dict(color=PREDICTED), customdata=filled["count"],
                    hovertemplate="confidence %{x:.3f}<br>frequency %{y:.3f}<br>n=%{customdata}<extra></extra>")
    return fig


def no_test_data() -> go.Figure:
    """What a chart of the test set shows while there is none (``views.needs_test_set``)."""
    return message("No test data loaded.")


def message(text: str) -> go.Figure:
    """An empty figure that says why there is nothing to draw."""
    fig = _fig("", height=200, xaxis=dict(visible=False), yaxis=dict(visible=False))
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig
