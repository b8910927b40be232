"""Compare: this checkpoint against another (or against a profile's thresholds) on the test set, per
label with paired bootstrap intervals, and a browser of the comments where the two disagree."""

from __future__ import annotations

import html
from typing import NamedTuple

import gradio as gr

from ..checkpoint import SHIPPED_FOLDER, CheckpointError, holds_tuned_model
from ..analysis.compare import CompareError, Side, check_pair, differences, disagreements, load_side
from ..profiles.profile import Profile
from ..thresholds import ThresholdError
from .answers import probabilities_payload
from .assets import render_js
from .notes import MUTED, NOTE, notice
from .page import Page
from .tables import pick_table, shorten, table_html
from .views import analysis_view, needs_test_set
from .context import AppContext
from .door import Refused, door, event, whole

TITLE = "Compare"
SHOWN = 50
NOTHING = "(choose a model to compare)"


def candidates(ctx: AppContext) -> list[tuple[str, str]]:
    """(name, folder) of the checkpoints beside this one and the shipped ones, this one left out: the only
    folders the view opens (a path from the browser is never read)."""
    here = ctx.model.checkpoint.path.resolve()
    found = []
    for parent in dict.fromkeys([here.parent, SHIPPED_FOLDER]):
        if not parent.is_dir():
            continue
        for folder in sorted(parent.iterdir()):
            if folder.resolve() != here and holds_tuned_model(folder):
                found.append((folder.name, str(folder)))
    return found


class Compared(NamedTuple):
    summary: str
    table: str
    browser: str

    @classmethod
    def missing(cls, why: str) -> "Compared":
        return cls(notice(why, NOTE), "", "")


def sides(ctx: AppContext, other: str | None, profile: dict | None) -> tuple[Side, Side]:
    """A: this checkpoint with its own tuned thresholds; B: the chosen checkpoint, or this visitor's profile."""
    test = ctx.data.test_set()
    labels = ctx.model.labels
    a = Side.of(ctx.model.checkpoint, test.ids, probs=test.probs)
    if other == PROFILE:
        if not profile:
            raise CompareError("You have no profile yet: fit one on the Adapt tab and press \"Predict with this profile\".")
        found = Profile.from_dict(profile, labels, source="your profile")
        b = Side.of(ctx.model.checkpoint, test.ids, found, f"profile {found.name or 'yours'}", probs=test.probs)
    elif other in dict(candidates(ctx)).values():
        b = ctx.data.memo(("side", other), lambda: load_side(other, None, test.ids))  # read once, not per click
    else:
        raise CompareError("Choose one of the listed checkpoints to compare with.")
    check_pair(a, b)
    return a, b


PROFILE = "your profile from the Adapt tab (its thresholds)"


@needs_test_set(Compared.missing)
def compare(ctx: AppContext, setting, other: str | None, profile: dict | None) -> Compared:
    if not other or other == NOTHING:
        return Compared(notice("Choose a checkpoint (or your profile) to compare with this one.", MUTED), "", "")
    try:
        a, b = sides(ctx, other, profile)
    except (CompareError, CheckpointError, ThresholdError, OSError) as err:
        return Compared.missing(str(err))
    test = ctx.data.test_set()
    table = ctx.data.memo(("compare", a.name, b.name, tuple(b.thresholds)),
                          lambda: differences(test.y_true, a, b, ctx.model.labels))
    found = disagreements(test.y_true, a, b, ctx.model.labels)
    flagged = table[table["significant"]]
    summary = (f"<p><b>A</b> = {html.escape(a.name)}, <b>B</b> = {html.escape(b.name)}, on {len(test.ids):,} test comments, each "
               f"with its own tuned thresholds. Micro F1 B − A: <b>{table['difference'][0]:+.4f}</b> "
               f"({table['low'][0]:+.4f} to {table['high'][0]:+.4f}); {len(flagged)} rows of {len(table)} have an interval that "
               "excludes zero (marked ◆; about one label in twenty would be by chance alone). They decide differently on "
               f"<b>{len(found):,}</b> comments.</p>" +
               "".join(notice(f"B: {note}.", NOTE) for note in b.notes))
    shown = table.assign(significant=table["significant"].map({True: "◆", False: ""}))
    browser = found.head(SHOWN).copy()
    browser.insert(0, "text", [shorten(test.texts[i], 90) for i in browser["row"]])
    picks = [{"row": int(i)} for i in browser["row"]]
    return Compared(summary, table_html(shown, None, "F1 of A and B, B − A and its paired bootstrap 95% interval; ◆ excludes zero"),
                    table_html(browser.drop(columns=["row"]), picks,
                               f"The {len(browser)} comments they dispute most (of {len(found):,}): select one to see both answers"))


@door(row=whole(0, 10_000_000, label="The row"))
def open_comment(ctx: AppContext, other: str | None, profile: dict | None, row: int) -> tuple[str, dict, dict]:
    """The comment, and what render.js needs to draw each model's bars (gold starred)."""
    a, b = sides(ctx, other, profile)
    test = ctx.data.test_set()
    if row >= len(test.ids):
        raise Refused(f"The row must be below {len(test.ids):,}, the number of test comments; got {row:,}.")
    payloads = [probabilities_payload(ctx.model.labels, side.probs[row], side.thresholds, test.y_true[row]) for side in (a, b)]
    return test.texts[row], *payloads


def build(page: Page, tab: gr.Tab) -> None:
    ctx = page.ctx
    choices = [NOTHING, *candidates(ctx), PROFILE]
    gr.Markdown("Two models on the same test comments, from stored probabilities (no model run). B − A per label with "
                "a paired bootstrap interval: both are scored on the same resampled comments.", elem_classes="muted")
    other = gr.Dropdown(choices, value=NOTHING, label="Compare this checkpoint (A) with (B)", elem_id="compare-with")
    summary = gr.HTML(elem_id="compare-summary")
    table = gr.HTML(elem_id="compare-table")
    browser = pick_table("compare-browser")
    comment = gr.Textbox(label="Disputed comment", interactive=False, lines=2, elem_id="compare-comment")
    with gr.Row():
        with gr.Column():
            gr.Markdown("**A**")
            bars_a = gr.HTML(elem_id="compare-bars-a")
        with gr.Column():
            gr.Markdown("**B**")
            bars_b = gr.HTML(elem_id="compare-bars-b")
    payload_a, payload_b = gr.JSON(None, visible=False), gr.JSON(None, visible=False)
    # A checkpoint trained while the app runs shows up the next time the tab opens.
    tab.select(lambda o: gr.Dropdown(choices=[NOTHING, *candidates(ctx), PROFILE], value=o), [other], [other],
               api_visibility="undocumented", show_progress="hidden")
    analysis_view(page, tab, lambda setting, o, p: compare(ctx, setting, o, p), [other, page.profile],
                  [summary, table, browser], triggers=(other.change,), threshold_free=True)

    @door(evt=event(row=whole(0, 10_000_000, label="The row")))
    def on_pick(o: str, p: dict | None, evt: gr.EventData):
        return open_comment(ctx, o, p, evt.row)

    browser.pick(on_pick, [other, page.profile], [comment, payload_a, payload_b], api_visibility="undocumented",
                 show_progress="hidden")
    for payload, bars in ((payload_a, bars_a), (payload_b, bars_b)):
        payload.change(None, [payload], [bars], js=render_js("p") + "return p ? render(p, POLICY.PER_CLASS, 0)[1] : ''; }")
