"""Error-analysis explorer: filter the test set, read the worst mistakes, see what gets confused."""

import html
from functools import partial
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd

from ..analysis.tables import OUTCOME_HELP, OUTCOMES, confusion_matrix, error_table, matrix_pairs
from ..files import write_csv
from ..metrics import binarize
from ..analysis.slices import MIN_ROWS, TEXT_SLICES, MISLABELLED, headline
from .answers import probabilities_payload
from .assets import render_js
from .downloads import download_file
from .page import Page
from .tables import pick_table, shorten, table_html
from .threshold_controls import parse_setting
from .views import analysis_view, needs_test_set
from .context import AppContext
from .door import Refused, cells, door, event, one_of, text, whole
from .slices_tab import built_in
from .why import build_why, explain_view, refused

TITLE = "Errors"
ANY = "(any)"
SHOWN_ROWS = 50  # a person reads the first few dozen; the CSV holds every match (fewer rows draw faster)
SHOWN_PAIRS = 20  # the matrix below holds every pair
TEXT_SHOWN = 90  # characters of a comment in the table; the whole comment shows on select
TABLE_COLUMNS = ["outcome", "gold", "predicted", "text", "loss", "max_prob", "id"]
WIDTHS = dict(zip(TABLE_COLUMNS, ["9%", "16%", "16%", "41%", "6%", "6%", "6%"]))
PAIR_COLUMNS = ["gold", "predicted_instead", "count"]
HAS, CONFUSED = "has the gold / predicted label", "gold label missed, the predicted one given instead"
CORNER = "gold missed \\ predicted instead"
WORST, LABEL_ERRORS = "the model's worst mistakes first", "likely label errors first (cleanlab)"


def filter_rows(
    ctx: AppContext, setting: str | float, gold: str, predicted: str, match: str, outcomes: list[str],
    low: float, high: float, query: str, order: str = WORST, slice_name: str = ANY,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """All rows matching the filters (worst first, or least label quality first), and the confused
    pairs and matrix over those rows. ``match`` CONFUSED keeps the rows a confused pair counts: gold
    missed, predicted not gold."""
    test = ctx.data.test_set(gr.Progress())
    thresholds = ctx.model.thresholds_at(setting)
    table = ctx.data.memo(("errors", setting),
                     lambda: error_table(test.ids, test.texts, test.probs, test.y_true, thresholds, ctx.model.labels))
    y_pred = binarize(test.probs, thresholds).astype(bool)
    y_true = test.y_true.astype(bool)
    mask = np.ones(len(test.ids), dtype=bool)
    if gold in ctx.model.labels:
        j = ctx.model.labels.index(gold)
        mask &= y_true[:, j] & (~y_pred[:, j] if match == CONFUSED else True)
    if predicted in ctx.model.labels:
        j = ctx.model.labels.index(predicted)
        mask &= y_pred[:, j] & (~y_true[:, j] if match == CONFUSED else True)
    max_prob = test.probs.max(1)
    mask &= (max_prob >= min(low, high)) & (max_prob <= max(low, high))
    if query and query.strip():
        wanted = query.strip().lower()
        mask &= np.array([wanted in t.lower() for t in test.texts])
    if slice_name and slice_name != ANY:
        mask &= built_in(ctx).get(slice_name, np.zeros(len(mask), bool))
    rows = table[mask[table.index.to_numpy()]]
    rows = rows[rows["outcome"].isin(outcomes or OUTCOMES)]
    audit = label_audit(ctx)
    if audit is not None:
        rows = rows.join(audit, on="id")
        if order == LABEL_ERRORS:
            rows = rows.sort_values("label_quality", kind="stable", na_position="last")
    keep = rows.index.to_numpy()
    counts = confusion_matrix(test.y_true[keep], y_pred[keep])
    return rows, matrix_pairs(counts, ctx.model.labels), counts


def label_audit(ctx: AppContext) -> pd.DataFrame | None:
    """The test comments' label quality and suspect label, by id (None without an audit)."""
    audit, _ = ctx.model.audit
    if audit is None:
        return None

    def by_id() -> pd.DataFrame:
        test = audit.comments[audit.comments["split"] == "test"].set_index("id")
        return test[["quality", "suspect", "suspect_kind"]].rename(columns={"quality": "label_quality"})

    return ctx.data.memo(("audit", "test"), by_id)


def matrix_table(counts: np.ndarray, labels: list[str]):
    """The confusion matrix as a table a person clicks: zeros blank, counts shaded on a log scale
    (light enough that the numbers keep AA contrast)."""
    shown = pd.DataFrame(counts, columns=labels).astype(object).where(counts > 0, "")
    shown.insert(0, CORNER, labels)
    shade = np.log1p(counts) / max(np.log1p(counts).max(), 1)
    styles = pd.DataFrame("", index=shown.index, columns=shown.columns)
    styles.iloc[:, 1:] = np.where(counts > 0, [[f"background-color: rgba(46,134,171,{0.1 + 0.4 * v:.2f})"
                                                for v in row] for row in shade], "")
    return shown.style.apply(lambda _: styles, axis=None)


class Comment(NamedTuple):
    text: str
    payload: dict | None  # what render.js draws: probabilities, thresholds, gold
    quality: str


class Explored(NamedTuple):
    summary: str
    rows: str
    pairs: str
    matrix: object  # a styled frame
    download: object  # gr.DownloadButton
    text: str
    payload: dict | None
    quality: str

    @classmethod
    def missing(cls, why: str) -> "Explored":
        return cls(why, "", "", pd.DataFrame(), gr.DownloadButton(visible=False), *NO_COMMENT)


NO_COMMENT = Comment("", None, "")


def chosen_by_answer(gold: str, predicted: str, match: str, outcomes: list[str], labels: list[str]) -> list[str]:
    """The filters that pick comments by the model's own answer (empty when none does). An F1 over
    such rows restates the choice: "exact" alone scores 1.000, "predicted gratitude" inflates precision."""
    chosen = []
    if set(outcomes or OUTCOMES) != set(OUTCOMES):
        chosen.append("Outcome")
    if predicted in labels:
        chosen.append("Predicted label")
    if match == CONFUSED and gold in labels:  # a gold label the model missed
        chosen.append('"gold label missed"')
    return chosen


def filter_metrics(ctx: AppContext, setting, rows: pd.DataFrame, chosen: list[str] = ()) -> str:
    """The rows' micro and macro F1 with 95% intervals, next to the whole test set's; without the rows'
    when ``chosen`` names filters that pick them by the answer (``chosen_by_answer``)."""
    test = ctx.data.test_set()
    pred = binarize(test.probs, ctx.model.thresholds_at(setting)).astype(bool)
    whole = ctx.data.memo(("headline", setting), lambda: headline(test.y_true, pred))

    def figure(f: dict, key: str) -> str:
        low, high = f[f"{key}_95"]
        return "–" if np.isnan(f[f"{key}_f1"]) else f"{f[f'{key}_f1']:.3f} ({low:.3f}–{high:.3f})"

    overall = f"micro F1 {figure(whole, 'micro')}, macro F1 {figure(whole, 'macro')}"
    if chosen:
        return (f"No F1 for these comments: the {' and '.join(chosen)} filter{'s' if len(chosen) > 1 else ''} "
                f"choose{'' if len(chosen) > 1 else 's'} them by the model's own answer, so their F1 would only "
                f"restate that choice. Whole test set: {overall}.")
    found = headline(test.y_true, pred, rows.index.to_numpy())
    small = f" (under {MIN_ROWS} comments: not stable)" if found["comments"] < MIN_ROWS else ""
    return (f"These comments: micro F1 {figure(found, 'micro')}, macro F1 {figure(found, 'macro')}{small}; "
            f"whole test set: micro {figure(whole, 'micro')}, macro {figure(whole, 'macro')}.")


@needs_test_set(Explored.missing)
def explore(ctx: AppContext, setting, gold, predicted, match, outcomes, low, high, query, order=WORST,
            slice_name=ANY) -> Explored:
    """The filtered rows (worst first) and their confused pairs as clickable tables, the matrix, a
    CSV of every row, and the worst row in detail."""
    rows, pairs, matrix = filter_rows(ctx, setting, gold, predicted, match, outcomes, low, high, query, order, slice_name)
    counts = rows["outcome"].value_counts()
    how = ("whose labels cleanlab doubts most (lowest label quality)" if order == LABEL_ERRORS and "label_quality" in rows
           else "the model got most wrong (highest per-comment cross-entropy)")
    summary = (f"**{len(rows):,}** comments match; showing the {min(len(rows), SHOWN_ROWS)} {how}. " +
               " · ".join(f"{o}: {int(counts.get(o, 0))}" for o in OUTCOMES) + "  \n" +
               filter_metrics(ctx, setting, rows, chosen_by_answer(gold, predicted, match, outcomes, ctx.model.labels)))
    path = download_file("goemotions_test_errors.csv")
    write_csv(rows, path)
    first = str(rows.iloc[0]["id"]) if len(rows) else None
    return Explored(summary, rows_html(rows.head(SHOWN_ROWS)), pairs_html(pairs.head(SHOWN_PAIRS)),
                    matrix_table(matrix, ctx.model.labels), gr.DownloadButton(value=str(path), visible=len(rows) > 0),
                    *show_comment(ctx, setting, first))


def rows_html(rows: pd.DataFrame) -> str:
    shown = rows[TABLE_COLUMNS + (["label_quality"] if "label_quality" in rows else [])].copy()
    shown["text"] = [shorten(t, TEXT_SHOWN) for t in shown["text"]]
    caption = ("Comments, worst first: select a row for the whole comment" if len(rows)
               else "No comment matches these filters.")
    return table_html(shown, [{"id": str(i)} for i in rows["id"]], caption, WIDTHS)


def pairs_html(pairs: pd.DataFrame) -> str:
    caption = ("Most confused: gold label missed, other label predicted instead (select to filter to those comments)"
               if len(pairs) else "No gold label was missed for another among these comments.")
    return table_html(pairs[PAIR_COLUMNS], [{"gold": g, "predicted": p} for g, p in
                                            zip(pairs["gold"], pairs["predicted_instead"])], caption)


def show_comment(ctx: AppContext, setting: str | float, comment_id: str | None) -> Comment:
    """The whole comment, what the browser needs to draw its labels and bars (gold starred), and
    what the label audit says of it."""
    if comment_id is None:
        return NO_COMMENT
    test = ctx.data.test_set()
    try:
        i = test.ids.index(comment_id)
    except ValueError:
        raise Refused(f"No test comment has the id {comment_id[:64]!r}.") from None
    thresholds = ctx.model.thresholds_at(setting)
    payload = probabilities_payload(ctx.model.labels, test.probs[i], thresholds, test.y_true[i])
    return Comment(test.texts[i], payload, quality_note(ctx, comment_id))


def quality_note(ctx: AppContext, comment_id: str) -> str:
    audit = label_audit(ctx)
    if audit is None or comment_id not in audit.index:
        return ""
    row = audit.loc[comment_id]
    suspect = f"; suspect label: <b>{html.escape(row['suspect'])}</b> ({row['suspect_kind']})" if row["suspect"] else ""
    return (f"<p class='note'>Label quality {row['label_quality']:.2f} (cleanlab, 0 to 1: lower means its gold labels "
            f"are more likely wrong){suspect}.</p>")


def explain_selected(ctx: AppContext, text: str, payload: dict | None):
    """The Why view of the selected comment: neighbours judged against its gold labels."""
    if not text or not payload:
        return refused(ValueError("Select a comment in the table first."))
    return explain_view(ctx, text, [ctx.model.labels[j] for j in payload.get("gold", [])], "gold")


@door(evt=event(id=text(64)))
def detail(ctx: AppContext, setting: str, evt: gr.EventData):
    """Selecting a row of the table shows that comment."""
    return show_comment(ctx, parse_setting(setting), str(evt.id))


def pick_pair(evt: gr.EventData):
    """Choosing a confused pair filters the table to exactly the comments it counts."""
    return evt.gold, evt.predicted, CONFUSED


def pick_cell(labels: list[str], evt: gr.SelectData):
    """Choosing a cell filters to the comments it counts; choosing a row's name, to that label's misses."""
    row, column = evt.index
    return labels[row], labels[column - 1] if column > 0 else ANY, CONFUSED


def build(page: Page, tab: gr.Tab) -> None:
    ctx = page.ctx
    gr.Markdown("Test comments are shown as written on Reddit; some are offensive or explicit.", elem_classes="muted")
    with gr.Row():
        gold = gr.Dropdown([ANY, *ctx.model.labels], value=ANY, label="Gold label")
        predicted = gr.Dropdown([ANY, *ctx.model.labels], value=ANY, label="Predicted label")
        query = gr.Textbox(label="Text contains", placeholder="search the comments (Enter)",
                           max_length=page.limits.max_query)  # the browser's cap; the door checks it on the server
        slice_name = gr.Dropdown([ANY, *TEXT_SLICES, MISLABELLED], value=ANY, label="Slice", elem_id="error-slice")
    with gr.Row():
        match = gr.Radio([HAS, CONFUSED], value=HAS, label="Comments whose", scale=2)
        outcomes = gr.CheckboxGroup(list(OUTCOMES), value=list(OUTCOMES), label="Outcome",
                                    info="; ".join(f"{k}: {v}" for k, v in OUTCOME_HELP.items()), scale=3)
        order = gr.Radio([WORST, LABEL_ERRORS], value=WORST, label="Order", scale=2)
    with gr.Row():
        low = gr.Slider(0, 1, value=0, step=0.01, label="Top probability from")
        high = gr.Slider(0, 1, value=1, step=0.01, label="to")
    summary = gr.Markdown()
    selected = gr.JSON(None, visible=False)
    table = pick_table("error-table")
    download = gr.DownloadButton("Download filtered rows (CSV)", visible=False)
    with gr.Row():
        with gr.Column(scale=2):
            comment = gr.Textbox(label="Selected comment", interactive=False, lines=3, elem_id="error-comment")
            quality = gr.HTML(padding=False, elem_id="error-quality")
            labels_html = gr.HTML(elem_id="error-labels")
            groups = gr.HTML()
            pairs = pick_table("pairs-table")
        with gr.Column(scale=3):
            bars = gr.HTML(elem_id="error-bars")
    # Closed until asked for: a hidden table costs nothing to redraw when the threshold moves.
    with gr.Accordion("Confusion matrix: every gold-missed × predicted-instead pair", open=False):
        matrix = gr.Dataframe(label="Rows the gold label missed, columns the label predicted instead (select a cell "
                                    "to filter to those comments; a comment may count in several cells)",
                              interactive=False, max_height=520, pinned_columns=1, elem_id="confusion-matrix")
    why = build_why(page, "Why? Word effects, similar training comments and label agreement for the selected comment",
                    partial(explain_selected, ctx), [comment, selected], "error-why")
    filters = [gold, predicted, match, outcomes, low, high, query, order, slice_name]
    analysis_view(page, tab, door(query=text(page.limits.max_query, label='The "Text contains" filter'))(partial(explore, ctx)), filters,
                  [summary, table, pairs, matrix, download, comment, selected, quality],
                  triggers=(gold.change, predicted.change, match.change, outcomes.change, low.release, high.release,
                            query.submit, order.change, slice_name.change))
    selected.change(None, [why], [why], js="(e) => e && e.effects ? {stale: true} : e")

    def on_pick(setting: str, evt: gr.EventData):
        return detail(ctx, setting, evt)

    table.pick(on_pick, [page.setting], [comment, selected, quality], api_visibility="undocumented", show_progress="hidden")
    selected.change(None, [selected], [labels_html, bars, groups],
                    js=render_js("payload") + "return payload ? render(payload, POLICY.PER_CLASS, 0) : ['', '', '']; }")
    label = one_of([ANY, *ctx.model.labels], label="The label")
    pairs.pick(door(evt=event(gold=label, predicted=label))(pick_pair), None, [gold, predicted, match],
               api_visibility="undocumented")
    n = len(ctx.model.labels)

    @door(evt=event(index=cells(whole(0, n - 1, label="The cell's row"), whole(0, n, label="The cell's column"))))
    def on_cell(evt: gr.SelectData):
        return pick_cell(ctx.model.labels, evt)

    matrix.select(on_cell, None, [gold, predicted, match], api_visibility="undocumented")
