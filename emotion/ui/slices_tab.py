"""Slices: the headline metrics of every built-in slice of the test set (length, questions, emoji,
negation, ...), worst first, each with its bootstrap interval next to the whole set's."""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from ..metrics import binarize
from ..analysis.slices import MIN_ROWS, slice_table, test_slices
from .notes import NOTE, notice
from .page import Page
from .tables import table_html
from .views import analysis_view, needs_test_set
from .context import AppContext

TITLE = "Slices"


def built_in(ctx: AppContext) -> dict:
    """The built-in slices of the test set (from its text and the label audit), computed once."""
    test = ctx.data.test_set()
    return ctx.data.memo(("slices",), lambda: test_slices(ctx.model.checkpoint, test.ids, test.texts))


class Sliced(NamedTuple):
    table: str

    @classmethod
    def missing(cls, why: str) -> "Sliced":
        return cls(notice(why, NOTE))


@needs_test_set(Sliced.missing)
def view(ctx: AppContext, setting) -> Sliced:
    test = ctx.data.test_set()
    pred = binarize(test.probs, ctx.model.thresholds_at(setting)).astype(bool)
    table = ctx.data.memo(("slice-table", setting), lambda: slice_table(test.y_true, pred, built_in(ctx)))
    return Sliced(table_html(table.astype(object).where(table.notna(), ""), None,
                      "Each built-in slice's micro and macro F1 with 95% bootstrap intervals, worst micro F1 first; "
                      f"vs_all is its micro F1 minus the whole test set's. Under {MIN_ROWS} comments a figure is not stable."))


def build(page: Page, tab: gr.Tab) -> None:
    gr.Markdown("Slices are found in the test set from the text alone (and the label audit): they are not random "
                "samples of anything, only the comments GoEmotions holds. Filter the Errors tab by a slice to read them.",
                elem_classes="muted")
    table = gr.HTML(elem_id="slice-table")
    analysis_view(page, tab, lambda setting: view(page.ctx, setting), [], [table])
