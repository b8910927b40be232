"""Probe: the behavioural checks (``emotion.analysis.probe``, as ``probe.py``) of the model that answers, per test
with its failure rate, and the failing cases; a click puts a case on the Predict tab, predicted and explained."""

from __future__ import annotations

import html

import gradio as gr

from ..analysis.probe import build_cases, load_suite, run, summary, totals
from .page import Page
from .predict_tab import CommentBox
from .tables import pick_table, table_html
from .context import AppContext
from .door import Refused, door, event as fields, text

TITLE = "Probe"
SHOWN = 60


def probe(ctx: AppContext):
    """The suite's results on the live classifier, computed once (about half a second on two cores)."""
    classifier = ctx.model.classifier.without_profile()
    return ctx.data.memo(("probe", classifier.backend), lambda: run(classifier, build_cases(load_suite(), classifier.labels)))


def view(ctx: AppContext) -> tuple[str, str, str]:
    results = probe(ctx)
    figures, table = totals(results), summary(results)
    kinds = "; ".join(f"{kind} {rate:.1%}" for kind, rate in figures["failure_rate_by_kind"].items())
    note = (f"<p><b>{figures['cases']}</b> cases in {figures['tests']} tests over {figures['labels']} labels, on "
            f"{html.escape(ctx.model.classifier.backend)}: <b>{figures['failure_rate']:.1%}</b> fail ({html.escape(kinds)}). "
            "The templates are ours (emotion/analysis/data/probe.json), not users' comments: they test these patterns only.</p>")
    failing = results[~results["passed"]].head(SHOWN)
    return (note, table_html(table.drop(columns=["example", "got"]), None, "Each test's failure rate, worst first"),
            table_html(failing[["test", "text", "expect", "got"]], [{"text": t} for t in failing["text"]],
                       f"Failing cases (first {len(failing)}): select one to predict and explain it on the Predict tab"))


def build(page: Page, tab: gr.Tab, comment: CommentBox) -> None:
    gr.Markdown("**Probe: behavioural checks** in the CheckList style: short comments that must carry a label; a name, a typo, "
                "punctuation or an emoji with no emotion that must not change the labels; \"not\", an intensifier or "
                "😂 that must move a probability the right way. `python probe.py` prints the same.", elem_classes="muted")
    note = gr.HTML(elem_id="probe-summary")
    table = gr.HTML(elem_id="probe-table")
    failing = pick_table("probe-failing")
    tab.select(lambda: view(page.ctx), None, [note, table, failing], api_visibility="undocumented")

    @door(evt=fields(text=text(5_000, label="The case")))
    def open_case(evt: gr.EventData):
        if not evt.text.strip():
            raise Refused("Choose a failing case in the table.")
        return gr.Tabs(selected="Predict"), evt.text

    comment.follow(failing.pick(open_case, None, [page.tabs, comment.text], api_visibility="undocumented"))
