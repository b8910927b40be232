"""Label quality: where the data's own labels are likely wrong, from the stored cleanlab audit (audit.py)."""

from __future__ import annotations

import html

import gradio as gr

from ..analysis.audit import SOURCES
from ..files import write_csv
from .downloads import download_file
from .notes import MUTED, NOTE, notice
from .page import Page
from .tables import shorten, table_html
from .context import AppContext, DataUnavailable

TITLE = "Label quality"
SHOWN = 50
COMMENT_COLUMNS = {"quality": "label quality", "suspect": "suspect label", "suspect_kind": "the suspect label is",
                   "gold": "gold labels"}
TEXT_SHOWN = 140
LABEL_COLUMNS = {"class_name": "label", "label_issues": "given, likely wrong", "inverse_label_issues": "missing, likely right",
                 "label_noise": "share of its labels likely wrong", "label_quality_score": "quality (1 = clean)"}


def quality_view(ctx: AppContext, split: str):
    """A summary, the labels by estimated noise, the most swapped pairs, the comments most likely
    mislabelled (texts when the data folder is there), and a CSV of every comment's verdict."""
    audit, about = ctx.model.audit
    if audit is None:
        return notice(about, NOTE), "", "", "", gr.DownloadButton(visible=False)
    comments = audit.comments[audit.comments["split"] == split].drop(columns="split")
    try:
        rows = ctx.data.split(split)
        position = {i: k for k, i in enumerate(rows.ids)}
        comments = comments.assign(
            gold=[", ".join(ctx.model.labels[j] for j in rows.labels[position[i]]) if i in position else "" for i in comments["id"]],
            text=[rows.texts[position[i]] if i in position else "" for i in comments["id"]])
        texts_note = "Texts are shown as written on Reddit; some are offensive or explicit."
    except DataUnavailable:
        texts_note = ("Without the data folder the comments are shown by id only: start the app with "
                      "--data_dir to read them.")
    flagged = int(comments["issue"].sum())
    summary = (f"<p><b>{flagged:,}</b> of {len(comments):,} {split} comments ({flagged / max(len(comments), 1):.0%}) likely "
               f"carry a wrong or missing label, by cleanlab's multi-label audit on {html.escape(SOURCES[split])}. "
               "A vendor's published audit of 1,000 random GoEmotions comments judged 31% to carry a clear error.</p>"
               + notice(texts_note, MUTED))
    labels = audit.labels[audit.labels["split"] == split][list(LABEL_COLUMNS)].rename(columns=LABEL_COLUMNS)
    labels = labels.round({"share of its labels likely wrong": 4, "quality (1 = clean)": 4})
    pairs = audit.pairs[audit.pairs["split"] == split].drop(columns="split").head(20)
    pairs.columns = ["given, likely wrong", "missing, likely right", "comments"]
    shown = comments.head(SHOWN).copy()
    columns = ["quality", "suspect", "suspect_kind", *(["gold", "text"] if "text" in shown else []), "id"]
    if "text" in shown:
        shown["text"] = [shorten(t, TEXT_SHOWN) for t in shown["text"]]
    path = download_file(f"goemotions_{split}_label_quality.csv")
    write_csv(comments, path)
    return (summary,
            table_html(labels, None, "Labels by estimated noise, noisiest first"),
            table_html(pairs, None, "Most swapped: a given label likely wrong where another is likely missing"),
            table_html(shown[columns].rename(columns=COMMENT_COLUMNS), None,
                       f"The {len(shown)} comments most likely mislabelled (lowest label quality)"),
            gr.DownloadButton(value=str(path), visible=True))


def build(page: Page, tab: gr.Tab) -> None:
    split = gr.Radio(["train", "dev", "test"], value="test", label="Split")
    summary = gr.HTML()
    labels = gr.HTML(elem_id="quality-labels")
    pairs = gr.HTML(elem_id="quality-pairs")
    comments = gr.HTML(elem_id="quality-comments")
    download = gr.DownloadButton("Download every comment's verdict (CSV)", visible=False)

    def show(chosen: str):
        return quality_view(page.ctx, chosen)

    outputs = [summary, labels, pairs, comments, download]
    tab.select(show, [split], outputs, api_visibility="undocumented", show_progress="hidden")
    split.change(show, [split], outputs, api_visibility="undocumented")
