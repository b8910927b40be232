"""Error-analysis explorer: filter the test set, read the worst mistakes, see what gets confused."""

import tempfile
from functools import partial

import gradio as gr
import numpy as np
import pandas as pd

from ..analysis import OUTCOME_HELP, OUTCOMES, confused_pairs, error_table
from ..metrics import binarize
from ..predict import labels_above
from ..thresholds import PER_CLASS
from . import charts
from .common import as_global, chips, policy_controls
from .context import AppContext, DataUnavailable

ANY = "(any)"
SHOWN_ROWS = 300
TABLE_COLUMNS = ["id", "text", "gold", "predicted", "outcome", "loss", "max_prob"]


def filter_rows(
    ctx: AppContext, policy: str, value: float, gold: str, predicted: str, outcomes: list[str],
    low: float, high: float, query: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All rows matching the filters (worst first), and the confused pairs over those rows."""
    test = ctx.test_set(gr.Progress())
    thresholds = ctx.threshold_values(policy, value, ctx.test_thresholds)
    per_class = policy == PER_CLASS and ctx.test_thresholds is not None  # then the slider plays no part
    table = ctx.memo(("errors", policy, None if per_class else float(value)),
                     lambda: error_table(test.ids, test.texts, test.probs, test.y_true, thresholds, ctx.labels))
    y_pred = binarize(test.probs, thresholds)
    mask = np.ones(len(test.ids), dtype=bool)
    if gold in ctx.labels:
        mask &= test.y_true[:, ctx.labels.index(gold)].astype(bool)
    if predicted in ctx.labels:
        mask &= y_pred[:, ctx.labels.index(predicted)].astype(bool)
    max_prob = test.probs.max(1)
    mask &= (max_prob >= min(low, high)) & (max_prob <= max(low, high))
    if query and query.strip():
        mask &= np.array([query.strip().lower() in t.lower() for t in test.texts])
    rows = table[mask[table.index.to_numpy()]]
    rows = rows[rows["outcome"].isin(outcomes or OUTCOMES)]
    keep = rows.index.to_numpy()
    pairs = confused_pairs(test.y_true[keep], y_pred[keep], ctx.labels)
    return rows, pairs


def explore(ctx: AppContext, policy, value, gold, predicted, outcomes, low, high, query):
    """The filtered table (worst first), its confused pairs, a CSV of it, and the worst row in detail."""
    try:
        rows, pairs = filter_rows(ctx, policy, value, gold, predicted, outcomes, low, high, query)
    except DataUnavailable as err:
        return (str(err), pd.DataFrame(columns=TABLE_COLUMNS), pd.DataFrame(), gr.DownloadButton(visible=False),
                *show_comment(ctx, policy, value, None))
    counts = rows["outcome"].value_counts()
    summary = (f"**{len(rows):,}** comments match; showing the {min(len(rows), SHOWN_ROWS)} the model got most wrong "
               "(highest per-comment cross-entropy). " +
               " · ".join(f"{o}: {int(counts.get(o, 0))}" for o in OUTCOMES))
    with tempfile.NamedTemporaryFile("w", suffix="_errors.csv", delete=False, encoding="utf-8", newline="") as f:
        rows.to_csv(f, index=False)
    first = str(rows.iloc[0]["id"]) if len(rows) else None
    return (summary, rows.head(SHOWN_ROWS)[TABLE_COLUMNS], pairs.head(40),
            gr.DownloadButton(value=f.name, visible=len(rows) > 0), *show_comment(ctx, policy, value, first))


def show_comment(ctx: AppContext, policy: str, value: float, comment_id: str | None):
    """The comment, gold vs predicted, and its probability bars with gold labels starred."""
    if comment_id is None:
        return "", "", charts.message("No comment selected.")
    test = ctx.test_set()
    i = test.ids.index(comment_id)
    thresholds = ctx.threshold_values(policy, value, ctx.test_thresholds)
    probs, gold = test.probs[i], test.y_true[i].astype(bool)
    predicted = labels_above(probs, thresholds, ctx.labels)
    labels_html = (f"<b>Gold:</b> {chips([n for n, g in zip(ctx.labels, gold) if g], empty='none')}<br>"
                   f"<b>Predicted:</b> {chips(predicted)}")
    return test.texts[i], labels_html, charts.probability_bars(probs, ctx.labels, thresholds, gold,
                                                               title=f"Comment {comment_id} (★ = gold)")


def detail(ctx: AppContext, policy: str, value: float, table: pd.DataFrame, evt: gr.SelectData):
    """Selecting a row of the table shows that comment."""
    if table is None or len(table) == 0:
        return show_comment(ctx, policy, value, None)
    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    return show_comment(ctx, policy, value, str(table.iloc[int(row)]["id"]))


def pick_pair(pairs: pd.DataFrame, evt: gr.SelectData):
    """Choosing a confused pair filters the table to it."""
    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    return pairs.iloc[int(row)]["gold"], pairs.iloc[int(row)]["predicted_instead"]


def build(ctx: AppContext) -> list:
    policy, slider = policy_controls(ctx.test_thresholds)
    with gr.Row():
        gold = gr.Dropdown([ANY, *ctx.labels], value=ANY, label="Gold label")
        predicted = gr.Dropdown([ANY, *ctx.labels], value=ANY, label="Predicted label")
        query = gr.Textbox(label="Text contains", placeholder="search the comments")
    with gr.Row():
        outcomes = gr.CheckboxGroup(list(OUTCOMES), value=list(OUTCOMES), label="Outcome",
                                    info="; ".join(f"{k}: {v}" for k, v in OUTCOME_HELP.items()), scale=3)
        low = gr.Slider(0, 1, value=0, step=0.01, label="Top probability from", scale=1)
        high = gr.Slider(0, 1, value=1, step=0.01, label="to", scale=1)
    summary = gr.Markdown()
    table = gr.Dataframe(headers=TABLE_COLUMNS, interactive=False, max_height=420, wrap=True,
                         label="Comments, worst first (select a row)", elem_id="error-table")
    download = gr.DownloadButton("Download filtered rows (CSV)", visible=False)
    with gr.Row():
        with gr.Column(scale=2):
            comment = gr.Textbox(label="Selected comment", interactive=False, lines=3, elem_id="error-comment")
            labels_html = gr.HTML()
            pairs = gr.Dataframe(label="Most confused: gold label missed, other label predicted instead "
                                       "(select to filter)", interactive=False, max_height=360)
        with gr.Column(scale=3):
            bars = gr.Plot()
    fn = partial(explore, ctx)
    inputs = [policy, slider, gold, predicted, outcomes, low, high, query]
    outputs = [summary, table, pairs, download, comment, labels_html, bars]
    for control in (policy, gold, predicted, outcomes):
        control.change(fn, inputs, outputs, api_visibility="undocumented")
    for control in (low, high):
        control.release(fn, inputs, outputs, api_visibility="undocumented")
    query.submit(fn, inputs, outputs, api_visibility="undocumented")
    slider.release(as_global(fn), inputs, [policy, *outputs], api_visibility="undocumented")

    def on_select(policy_value: str, value: float, shown: pd.DataFrame, evt: gr.SelectData):
        return detail(ctx, policy_value, value, shown, evt)

    table.select(on_select, [policy, slider, table], [comment, labels_html, bars], api_visibility="undocumented")
    pairs.select(pick_pair, [pairs], [gold, predicted], api_visibility="undocumented")
    return [fn, inputs, outputs]
