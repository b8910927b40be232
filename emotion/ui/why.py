"""What the Predict tab and the error explorer show of *why*: word effects (``explain``) and the
most similar training comments (``similar``), formatted for the page and the API."""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd

from ..analysis.explain import Explanation, explain
from ..analysis.similar import label_agreement
from .assets import render_js
from .notes import MUTED, NOTE, notice
from .page import Page
from .tables import shorten, table_html
from .context import AppContext, DataUnavailable

NONE = "(none)"
# Explanations (about 30 forward passes each) share one worker and their own part of the queue, so a
# burst of them never holds or refuses a prediction (emotion.ui.server.bound_queue).
EXPLAIN_QUEUE = {"concurrency_limit": 1, "concurrency_id": "explain"}
NEIGHBOURS = 5
TEXT_SHOWN = 160


class IndexNotReady(RuntimeError):
    """The index of training comments is being built; the message says how long to wait."""


def explanation_note(ctx: AppContext, found: Explanation) -> str:
    return (f"Each word was masked in turn, with the comment in the same batch ({len(found.spans)} words, one pass on "
            f"{ctx.model.classifier.backend}). Its answers move by up to {found.noise:.2f} with their batch mates: "
            "effects smaller than that are noise.")


def similar(ctx: AppContext, text: str, k: int = NEIGHBOURS) -> list[dict]:
    """The ``k`` training comments nearest ``text``: id, similarity, gold labels and text."""
    index = ctx.neighbours.index()  # DataUnavailable when there is no data to index
    if index is None:
        raise IndexNotReady(ctx.neighbours.status())
    train = ctx.data.train_set
    vector = ctx.neighbours.embedder.embed([text])[0]
    return [{"id": train.ids[n.index], "similarity": round(n.similarity, 4),
             "labels": [ctx.model.labels[j] for j in train.labels[n.index]], "text": train.texts[n.index]}
            for n in index.nearest(vector, k)]


def similar_html(ctx: AppContext, text: str, labels: list[str], whose: str) -> str:
    """The nearest training comments as a table, with how far their gold labels agree with
    ``labels`` (``whose``: "predicted" or "gold")."""
    try:
        rows = similar(ctx, text)
    except (DataUnavailable, IndexNotReady) as err:
        return notice(err, NOTE)
    agreement = label_agreement([ctx.model.labels.index(x) for x in labels if x in ctx.model.labels],  # not new ones
                                [[ctx.model.labels.index(x) for x in r["labels"]] for r in rows], [r["similarity"] for r in rows])
    verdict = ("its neighbours mostly carry the same labels" if agreement >= 0.5 else
               "its neighbours carry other labels: a sign of a wrong label, or of a comment unlike the training data"
               if agreement < 0.2 else "its neighbours partly carry the same labels")
    frame = pd.DataFrame({"similarity": [f"{r['similarity']:.2f}" for r in rows],
                          "gold labels": [", ".join(r["labels"]) for r in rows],
                          "training comment": [shorten(r["text"], TEXT_SHOWN) for r in rows]})
    line = (f"Label agreement with its {whose} labels ({', '.join(labels) or 'none'}): {agreement:.2f} "
            f"(similarity-weighted overlap, 0 to 1): {verdict}.") if not np.isnan(agreement) else ""
    return (table_html(frame, None, "Most similar training comments, by the model's own embedding (cosine)") +
            notice(line, NOTE))


class WhyView(NamedTuple):
    explanation: dict | None  # every label's word effects, drawn by explain.js
    label: object  # the label to show first, or gr.skip()
    note: str
    neighbours: str


def explain_view(ctx: AppContext, text: str, labels: list[str], whose: str, classifier=None) -> WhyView:
    """The Why view's outputs: every label's word effects, the label to show first (the most
    probable), a note, and the nearest training comments judged against ``labels`` (``whose``).
    ``classifier``: a visitor's (with their profile's labels), else the app's."""
    found = explain(classifier or ctx.model.classifier, text)
    neighbours = similar_html(ctx, text, labels, whose)
    if not found.spans:
        return WhyView(None, gr.skip(), notice("This comment has no words to take away one at a time.", NOTE),
                       neighbours)
    first = found.labels[int(np.argmax(found.probabilities))]
    return WhyView(found.to_dict(), gr.Dropdown(choices=found.labels, value=first), notice(explanation_note(ctx, found), MUTED), neighbours)


def refused(err: Exception) -> WhyView:
    """The Why view's outputs for input it cannot explain: the message, nothing stale."""
    return WhyView(None, gr.skip(), notice(err), "")


def build_why(page: Page, title: str, explain_fn, inputs: list, elem_prefix: str, steps: list | None = None) -> gr.JSON:
    """The Why view in a closed accordion: "Explain" runs ``explain_fn(*inputs)`` (see ``explain_view``);
    choosing a label or a contrast redraws in the browser. Returns the explanation component, which
    the caller marks ``{stale: true}`` when its comment changes. ``steps``: where to add the events that
    open and explain a comment put in from elsewhere (``predict_tab.CommentBox``)."""
    with gr.Accordion(title, open=False) as box:
        explanation = gr.JSON(None, visible=False)
        with gr.Row():
            button = gr.Button("Explain this comment", scale=1)
            label = gr.Dropdown(page.ctx.model.labels, value=None, label="Label", scale=2)
            contrast = gr.Dropdown([NONE, *page.ctx.model.labels], value=NONE, label="Contrast with", scale=2)
        note = gr.HTML(padding=False)
        words = gr.HTML(elem_id=f"{elem_prefix}-words")
        neighbours = gr.HTML(elem_id=f"{elem_prefix}-similar")

    def explain_whole(*values):
        """``explain_fn``'s view with the neighbours inside the explanation: the browser draws both from it,
        so neither can be overwritten by the other's old value (a change handler that read the neighbours
        component got the value from before the click, and the first click showed none)."""
        view = explain_fn(*values)
        return {**(view.explanation or {}), "neighbours": view.neighbours}, view.label, view.note

    button.click(explain_whole, inputs, [explanation, label, note], api_visibility="undocumented", **EXPLAIN_QUEUE)
    if steps is not None:
        steps.append((lambda: gr.Accordion(open=True), None, [box], {}))
        steps.append((explain_whole, inputs, [explanation, label, note], EXPLAIN_QUEUE))
    explanation.change(None, [explanation], [neighbours], js="(e) => e && !e.stale && e.neighbours || ''")
    for event in (explanation.change, label.change, contrast.change):
        event(None, [explanation, label, contrast], [words], js=render_js("e", "label", "other") + (
            "if (e && e.stale) return \"<p class='muted'>The comment changed: press Explain again.</p>\";\n"
            "if (!e || !e.effects) return '';\n"
            "const p = e.probabilities;  // the server's label choice may arrive after the explanation\n"
            "label = label || Object.keys(p).reduce((a, b) => p[b] > p[a] ? b : a);\n"
            "return explainLabel(e, label) + (other && other !== label ? explainLabel(e, other) : ''); }"))
    return explanation
