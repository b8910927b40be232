"""Predict tab: one comment with a live threshold, Ekman and sentiment groups, and batch mode.

The server sends a comment's probabilities once; the labels, chart and groups for any threshold
are drawn in the browser (``render.js``), so dragging the slider makes no request.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from functools import partial

import gradio as gr
import numpy as np
import pandas as pd

from ..serve.predict import labels_above
from ..files import write_csv
from ..serve.scoring import EMOTIONS, prob_column, without_answers
from ..thresholds import CHECKPOINT, PER_CLASS, ThresholdError
from .answers import probabilities_payload, visitor_classifier
from .assets import render_js
from .downloads import download_file
from .notes import NOTE, backend_note, notice
from .page import Page
from .threshold_controls import clamp_js, policy_controls
from .inputs import InputError, read_batch, read_comment
from .why import build_why, explain_view, refused

TITLE = "Predict"
TOP = "top"  # the batch table's column of the three most probable labels
log = logging.getLogger(__name__)
# Batches (the Batch mode button and /predict_batch) take one worker and their own share of the queue, so a
# flood of them never holds a single prediction (emotion.ui.server.bound_queue).
BATCH_QUEUE = {"concurrency_limit": 1, "concurrency_id": "batch"}
# After the answer is drawn (two frames on), scroll the least that brings it onto the screen: whole, or
# from its top when it is taller than the screen (many labels over a low threshold).
SHOW_ANSWER_JS = """(result) => {
  if (result && result.stale) return;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const answer = document.getElementById("predict-answer");
    if (!answer) return;
    const box = answer.getBoundingClientRect();
    if (box.top >= 0 && box.bottom <= window.innerHeight) return;
    answer.scrollIntoView({block: box.top < 0 || box.height > window.innerHeight ? "start" : "nearest"});
  }));
}"""
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


@dataclass(frozen=True)
class CommentBox:
    """What the Predict tab hands a tab that puts a comment in its box (the Probe tab's failing cases)."""

    text: gr.Textbox
    steps: list  # (fn, inputs, outputs, queue options) each: predict the comment, then explain it

    def follow(self, event):
        """``event`` (which put a comment in ``text``), then the comment predicted and explained."""
        for fn, inputs, outputs, queue in self.steps:
            event = event.then(fn, inputs, outputs, api_visibility="undocumented", **queue)
        return event


def predict_one(page: Page, text: str, profile: dict | None = None) -> tuple[dict | None, str]:
    """The comment's payload and notices; an input error replaces the old result with its message.
    ``profile``: the visitor's from the Adapt tab (its new labels come back in their own group)."""
    try:
        classifier = visitor_classifier(page.ctx, profile)
        text, notices = read_comment(classifier, text, page.limits)
    except (InputError, ThresholdError) as err:
        log.info("input refused: %s", err)
        return None, notice(err)
    probs = classifier.predict_probabilities([text])[0]
    tuned = classifier.thresholds
    notes = "".join(notice(n, NOTE) for n in notices)
    payload = probabilities_payload(classifier.labels, probs, None if tuned is None else tuned.array(classifier.labels))
    new = list(range(len(page.ctx.model.labels), len(classifier.labels)))
    return ({**payload, "new": new, "profile": classifier.profile.name} if new else payload), notes


def explain_one(page: Page, text: str, profile: dict | None = None):
    """The Why view of the comment in the box: neighbours judged against its predicted labels."""
    try:
        classifier = visitor_classifier(page.ctx, profile)
        text, _ = read_comment(classifier, text, page.limits)
    except (InputError, ThresholdError) as err:
        log.info("input refused: %s", err)
        return refused(err)
    return explain_view(page.ctx, text, classifier.predict(text).labels, "predicted", classifier)


def batch_table(page: Page, texts: list[str], rows: pd.DataFrame, policy: str, value: float,
                profile: dict | None = None, top_k: int = 3) -> tuple[pd.DataFrame, list[str]]:
    """Emotions and the top three, then the input rows (every column, in order), then all probabilities
    (``prob_<label>``, as score.py writes them); and the input's columns that this answer replaces (an
    earlier answer's, as in a file scored before). Each comment is scored alone, so it gets the same
    probabilities it gets on its own."""
    ctx = page.ctx
    classifier = visitor_classifier(ctx, profile)
    labels = classifier.labels
    thresholds = classifier.threshold_array(PER_CLASS if policy == PER_CLASS else float(value))
    probs = np.full((len(texts), len(labels)), np.nan)
    filled = [i for i, text in enumerate(texts) if text.strip()]
    probs[filled] = ctx.model.score([texts[i] for i in filled], classifier)
    results = [{EMOTIONS: ", ".join(labels_above(p, thresholds, labels)),
                TOP: ", ".join(f"{labels[i]} {p[i]:.2f}" for i in np.argsort(-p, kind="stable")[:top_k])}
               if np.isfinite(p).all() else {EMOTIONS: "(empty text, not scored)", TOP: ""} for p in probs]
    columns = pd.DataFrame(probs.round(4), columns=[prob_column(name) for name in labels])
    kept, replaced = without_answers(rows.reset_index(drop=True), [EMOTIONS, TOP, *columns.columns])
    return pd.concat([pd.DataFrame(results), kept, columns], axis=1), replaced


def predict_many(page: Page, lines: str, upload, policy: str, value: float, profile: dict | None = None):
    try:
        texts, rows, name = read_batch(lines, upload, page.limits)
        table, replaced = batch_table(page, texts, rows, policy, value, profile)
    except (InputError, ThresholdError) as err:
        log.info("batch refused: %s", err)
        return gr.skip(), gr.DownloadButton(visible=False), notice(err)
    path = download_file(name)
    write_csv(table, path)
    empty = sum(not t.strip() for t in texts)
    note = f"{len(texts):,} rows scored" + (f"; {empty} with empty text kept in place, unscored." if empty else ".")
    if replaced:  # a file scored before: its old answers make way for these
        shown = ", ".join(replaced[:4]) + (f" and {len(replaced) - 4} more" if len(replaced) > 4 else "")
        note += f" The file's columns {shown} held an earlier answer; this answer replaces them."
    return table, gr.DownloadButton(value=str(path), visible=True), notice(note, NOTE)


def build(page: Page, tab: gr.Tab) -> CommentBox:
    ctx = page.ctx
    result = gr.JSON(None, visible=False)
    with gr.Row():
        with gr.Column(scale=2):
            text = gr.Textbox(label="Comment", lines=1, max_lines=12, max_length=page.limits.max_chars,
                              placeholder="Paste a Reddit comment, or pick an example below",
                              info="Enter predicts; Shift+Enter starts a new line.")
            button = gr.Button("Predict", variant="primary")
            # The answer right under the button: on a phone it is on screen when Predict is pressed
            # (the threshold controls below it used to push it ~1,090 px down an 812 px screen).
            with gr.Column(elem_id="predict-answer"):
                notice = gr.HTML(padding=False)
                summary = gr.HTML(label="Predicted emotions")
                groups = gr.HTML()
            policy, slider = policy_controls(ctx.model.thresholds)
            if ctx.model.thresholds is not None and ctx.model.thresholds.origin != CHECKPOINT:
                there = "" if ctx.model.test_thresholds is None else (
                    f" (global {ctx.model.test_thresholds.global_threshold:.2f} there, "
                    f"{ctx.model.thresholds.global_threshold:.2f} here)")
                gr.Markdown(f"Thresholds here: {html.escape(ctx.model.thresholds.source, quote=False)}. The Test set tabs "
                            f"show the scores the original (torch) model stored, with its own thresholds{there}.",
                            elem_classes="muted")
            active = gr.HTML(elem_id="active-profile", padding=False)
            examples = gr.Examples(EXAMPLES, inputs=[text], label="Examples (written for this demo; a click predicts)")
            gr.Markdown(f"Model: `{ctx.model.classifier.name}` on {backend_note(ctx, detail=False)}.", elem_id="backend-note")
        with gr.Column(scale=3):
            bars = gr.HTML(elem_id="probability-bars")
    drawn = [summary, bars, groups]
    for event in (button.click, text.submit, examples.load_input_event.then):
        event(partial(predict_one, page), [text, page.profile], [result, notice], api_visibility="undocumented")
    steps = [(partial(predict_one, page), [text, page.profile], [result, notice], {})]
    text.input(None, [result], [result], js="(r) => r && r.probabilities ? {stale: true} : r")
    # A profile from the Adapt tab answers with its thresholds and heads: the comment is predicted again.
    page.profile.change(lambda t, p: predict_one(page, t, p) if (t or "").strip() else (gr.skip(), gr.skip()),
                        [text, page.profile], [result, notice], api_visibility="undocumented")
    view = render_js("result", "policy", "value")
    for event in (result.change, policy.change):
        event(None, [result, policy, slider], drawn, js=view + "return render(result, policy, value); }")
    # A new answer (or refusal) that lands off screen, as after an example clicked far below, is scrolled to.
    result.change(None, [result], None, js=SHOW_ANSWER_JS)
    # Dragging the slider, typing a number (the slider keeps it in range) or resetting it means "use this global value".
    slider.change(None, [result, policy, slider], [policy, *drawn],
                  js=view + f"const v = {clamp_js('value')}; return [POLICY.GLOBAL, ...render(result, POLICY.GLOBAL, v)]; }}")
    page.profile.change(None, [page.profile], [active], js=(
        "(p) => p ? `<p class='note'>Per-class thresholds: your profile <b>${String(p.name).replace(/[&<>]/g, '')}"
        "</b> from the Adapt tab${p.heads && Object.keys(p.heads).length ? ', with its own labels' : ''}.</p>` : ''"))

    why = build_why(page, "Why? The words behind each label, and similar training comments",
                    partial(explain_one, page), [text, page.profile], "why", steps)
    text.input(None, [why], [why], js="(e) => e && e.effects ? {stale: true} : e")

    with gr.Accordion("Batch mode: many comments at once", open=False):
        gr.Markdown(page.limits.describe())
        with gr.Row():
            lines = gr.Textbox(label="One comment a line", lines=6, scale=3)
            upload = gr.File(label="…or upload .csv / .txt (not both)", file_types=[".csv", ".txt"], scale=2)
        run = gr.Button("Predict all")
        batch_note = gr.HTML()
        table = gr.Dataframe(label="Results: emotions and top 3, your columns, then every probability",
                             interactive=False, max_height=400, max_chars=80)
        download = gr.DownloadButton("Download CSV", visible=False)
        run.click(partial(predict_many, page), [lines, upload, policy, slider, page.profile], [table, download, batch_note],
                  api_name="batch_table", api_visibility="undocumented", **BATCH_QUEUE)
    return CommentBox(text, steps)
