"""The analysis views: each computed once per threshold setting and inputs, only in the open tab, and
drawn only when no newer request of the same visitor overtook it. Opening a tab again at the same
setting sends nothing."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field

import gradio as gr

from . import door
from .context import DataUnavailable
from .freshness import Tickets, ticket_js, with_ticket
from .page import Page
from .threshold_controls import parse_setting


@dataclass
class View:
    """One analysis view: ``view(setting, *inputs) -> outputs``, shown in the tab named ``name``."""

    name: str
    view: object
    inputs: list
    outputs: list
    threshold_free: bool
    shown: gr.State = field(default_factory=lambda: gr.State(None))  # the key of what is on screen
    key: str = ""  # this view among all (a tab may show several): whose requests overtake whose (``freshness``)
    ready: object = None  # () -> bool: whether what the view needs is there; if not, it is computed again next time

    def refresh(self, open_tab: str, last, setting: str, *values) -> list:
        # A digest, not the inputs: a session keeps one per view, whatever size the inputs were.
        key = hashlib.sha256(json.dumps([None if self.threshold_free else setting, *values], default=str).encode(
            "utf-8", "surrogatepass")).hexdigest()
        if open_tab != self.name or key == last:
            return [gr.skip()] * (len(self.outputs) + 1)
        answer = self.view(parse_setting(setting), *values)
        return [key if self.ready is None or self.ready() else None, *answer]


    def draw(self, tickets: Tickets, visitor: str | None, ticket: int | None, open_tab: str, last, setting: str,
             *values) -> list:
        """``refresh``, or skips when a newer request for this view and visitor overtook this one."""
        if open_tab != self.name:
            return self.refresh(open_tab, last, setting, *values)
        return tickets.answer(visitor, self.key, ticket, lambda: self.refresh(open_tab, last, setting, *values),
                              len(self.outputs) + 1)


def needs_test_set(missing):
    """The one guard of the views that show the test set: while there is none, the view shows
    ``missing(why)`` (its outputs, with the reason where it has room for it) instead of failing."""
    def wrap(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except DataUnavailable as err:
                return missing(str(err))

        return guarded

    return wrap


def analysis_view(page: Page, tab: gr.Tab, view, inputs: list, outputs: list, triggers: tuple = (),
                  threshold_free: bool = False) -> None:
    """Show ``view(setting, *inputs) -> outputs`` in ``tab``: computed when the tab opens, when the
    shared threshold changes while it is open (see ``wire_views``), and on ``triggers`` (its own
    controls' events). A view already shown for the same setting and inputs is not sent again."""
    v = View(tab.label, view, inputs, outputs, threshold_free, ready=lambda: page.ctx.data.loaded,
             key=f"{tab.label}/{len(page.views)}")
    page.views.append(v)
    args = dict(inputs=[page.ticket, page.shown, v.shown, page.setting, *inputs], outputs=[v.shown, *outputs],
                api_visibility="undocumented", trigger_mode="always_last", js=ticket_js(len(inputs) + 4))
    # Only the newest request's answer is drawn: an older one can finish last (a tab's first, slowed by loading).
    refresh = with_ticket(functools.partial(door.door(setting=door.setting)(v.draw), page.tickets))
    # Opening a tab mostly finds its view current: no progress overlay flickers over it.
    tab.select(None, None, [page.shown], js=f"() => {json.dumps(v.name)}").then(refresh, **args, show_progress="hidden")
    for event in triggers:
        event(refresh, **args)


def wire_views(page: Page) -> None:
    """The shared threshold and the test-set tab's opening refresh every view in one request (one a
    view would queue behind the others': four round trips before the open tab's own), and only the
    open tab's view computes."""
    inputs = [page.shown, page.setting] + [c for v in page.views for c in (v.shown, *v.inputs)]
    outputs = [c for v in page.views for c in (v.shown, *v.outputs)]

    @door.door(setting=door.setting)
    def refresh(visitor: str | None, ticket: int | None, open_tab: str, setting: str, *values) -> list:
        answer, at = [], 0
        for v in page.views:
            mine = values[at : at + 1 + len(v.inputs)]
            at += len(mine)
            answer += v.draw(page.tickets, visitor, ticket, open_tab, mine[0], setting, *mine[1:])
        return answer

    args = dict(inputs=[page.ticket, *inputs], outputs=outputs, api_visibility="undocumented",
                trigger_mode="always_last", js=ticket_js(len(inputs) + 1))
    for event in page.opened:
        event(with_ticket(refresh), **args, show_progress="hidden")
    page.setting.change(with_ticket(refresh), **args)
