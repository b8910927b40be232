"""Predict tab: one comment with a live threshold, Ekman and sentiment groups, and batch mode."""

from __future__ import annotations

import html
import tempfile
from functools import partial

import gradio as gr
import numpy as np
import pandas as pd

from ..groups import GROUPINGS, group_scores
from ..predict import labels_above
from ..thresholds import GLOBAL
from . import charts
from .common import backend_note, chips, policy_controls
from .context import AppContext
from .inputs import InputError, Limits, check_batch, clean_text, lines_to_texts, read_upload

# Written for this app in the style of Reddit comments; not taken from any data set.
EXAMPLES = [
    "Thank you so much for this, you honestly made my whole week!",
    "lmao I can't believe he actually said that on live TV",
    "Wait, so how does the second part work? I'm lost.",
    "This is the third time my package got 'lost'. I'm done with this company.",
    "I'm really sorry for your loss. Sending hugs to you and your family.",
    "Not gonna lie, I'm kind of nervous about the interview tomorrow.",
    "Oh wow, I never realized the two shows had the same writer.",
    "ok",
]


def run_model(ctx: AppContext, text: str, limits: Limits) -> tuple[np.ndarray, list[str]]:
    """Probabilities for one comment, and notices about what was cleaned or cut."""
    text, notices = clean_text(text, limits)
    clf = ctx.classifier
    n_tokens = clf.count_tokens(text)
    if n_tokens > clf.max_length:
        notices.append(f"The model reads the first {clf.max_length} tokens; this comment has {n_tokens}, "
                       "so its end is not taken into account.")
    return clf.predict_probabilities([text])[0], notices


def render(ctx: AppContext, probs: np.ndarray | None, policy: str, value: float):
    """Predicted labels, the bar chart and the group views for stored probabilities: no model call."""
    if probs is None:
        return "", charts.message("Type a comment and press Predict."), ""
    labels = ctx.labels
    thresholds = ctx.threshold_values(policy, value, ctx.thresholds)
    predicted = probs >= thresholds
    names = labels_above(probs, thresholds, labels)
    summary = chips(names, [float(probs[labels.index(n)]) for n in names])
    groups = []
    for title, grouping in GROUPINGS.items():
        rows = group_scores(probs, predicted, labels, grouping)
        groups.append(f"<b>{title}:</b> " + chips(
            [g for g, _, hit, _ in rows if hit], [s for _, s, hit, _ in rows if hit], empty="none"))
    return summary, charts.probability_bars(probs, labels, thresholds), "<br>".join(groups)


def predict_one(ctx: AppContext, limits: Limits, text: str, policy: str, value: float):
    try:
        probs, notices = run_model(ctx, text, limits)
    except InputError as err:
        raise gr.Error(str(err)) from None
    notice = "<br>".join(html.escape(n) for n in notices)
    return (probs, *render(ctx, probs, policy, value), notice)


def batch_table(ctx: AppContext, texts: list[str], policy: str, value: float, top_k: int = 3) -> pd.DataFrame:
    probs = ctx.classifier.predict_probabilities(texts)
    thresholds = ctx.threshold_values(policy, value, ctx.thresholds)
    labels = ctx.labels
    rows = [{"text": text, "emotions": ", ".join(labels_above(p, thresholds, labels)),
             "top": ", ".join(f"{labels[i]} {p[i]:.2f}" for i in np.argsort(-p, kind="stable")[:top_k])}
            for text, p in zip(texts, probs)]
    return pd.concat([pd.DataFrame(rows), pd.DataFrame(probs.round(4), columns=list(labels))], axis=1)


def predict_many(ctx: AppContext, limits: Limits, lines: str, upload, policy: str, value: float):
    try:
        texts = read_upload(upload, limits) if upload else lines_to_texts(lines)
        texts = check_batch(texts, limits)
    except InputError as err:
        raise gr.Error(str(err)) from None
    table = batch_table(ctx, texts, policy, value)
    with tempfile.NamedTemporaryFile("w", suffix="_emotions.csv", delete=False, encoding="utf-8", newline="") as f:
        table.to_csv(f, index=False)
    return table, gr.DownloadButton(value=f.name, visible=True)


def build(ctx: AppContext, limits: Limits) -> None:
    state = gr.State(None)
    with gr.Row():
        with gr.Column(scale=2):
            text = gr.Textbox(label="Comment", lines=4, max_length=limits.max_chars,
                              placeholder="Paste a Reddit comment, or pick an example below")
            button = gr.Button("Predict", variant="primary")
            own = ctx.thresholds != ctx.test_thresholds  # the backend has thresholds of its own
            policy, slider = policy_controls(ctx.thresholds, tuned_for=f" for {ctx.classifier.backend}" if own else "")
            notice = gr.HTML()
            summary = gr.HTML(label="Predicted emotions")
            groups = gr.HTML()
            gr.Examples(EXAMPLES, inputs=text, label="Examples (written for this demo)")
            gr.Markdown(f"Model: `{ctx.classifier.name}` on {backend_note(ctx, detail=False)}.", elem_id="backend-note")
        with gr.Column(scale=3):
            plot = gr.Plot(label="All 28 probabilities")
    outputs = [summary, plot, groups]
    for event in (button.click, text.submit):
        event(partial(predict_one, ctx, limits), [text, policy, slider], [state, *outputs, notice],
              api_visibility="undocumented")
    rerender = partial(render, ctx)
    policy.change(rerender, [state, policy, slider], outputs, api_visibility="undocumented")
    # Dragging the slider means "use this global value".
    slider.input(lambda *a: (GLOBAL, *rerender(a[0], GLOBAL, a[2])), [state, policy, slider],
                 [policy, *outputs], api_visibility="undocumented", trigger_mode="always_last")

    with gr.Accordion("Batch mode: many comments at once", open=False):
        gr.Markdown(limits.describe())
        with gr.Row():
            lines = gr.Textbox(label="One comment a line", lines=6, scale=3)
            upload = gr.File(label="…or upload .csv / .txt", file_types=[".csv", ".txt"], scale=2)
        run = gr.Button("Predict all")
        table = gr.Dataframe(label="Results", interactive=False, max_height=400, wrap=True)
        download = gr.DownloadButton("Download CSV", visible=False)
        run.click(partial(predict_many, ctx, limits), [lines, upload, policy, slider], [table, download],
                  api_name="batch_table", api_visibility="undocumented")
