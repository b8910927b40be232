"""The contract every tab module keeps.

A tab module has ``TITLE`` and ``build(page, tab)``: it builds its components inside ``tab`` and wires
its own events. A tab that others need returns what they need, and the app passes it on as ``build``'s
third argument (the Predict tab's ``CommentBox`` goes to the Probe tab): never through ``page``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gradio as gr

from .context import AppContext
from .freshness import Tickets
from .inputs import Limits


@dataclass
class Page:
    """What each tab's ``build(page, tab)`` receives."""

    ctx: AppContext
    limits: Limits
    setting: gr.Textbox | None = None  # the analysis tabs' threshold: "per_class" or a number, as text
    shown: gr.Textbox | None = None  # which analysis tab is open
    opened: list = field(default_factory=list)  # events that show the analysis tabs again
    views: list = field(default_factory=list)  # the analysis views, for ``views.wire_views``
    ticket: gr.Textbox | None = None  # the browser numbers each analysis request in it (``freshness``)
    tickets: Tickets = field(default_factory=Tickets)  # the newest number per visitor and view
    profile: gr.JSON | None = None  # this person's profile from the Adapt tab (Profile.to_dict(summary=False)), or None
    tabs: gr.Tabs | None = None  # the top-level tabs (``gr.Tabs(selected=...)`` opens one)
