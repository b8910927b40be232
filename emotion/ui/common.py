"""The contract every tab module keeps, and what the tabs share.

A tab module has ``TITLE`` and ``build(page, tab)``: it builds its components inside ``tab`` and
wires its own events. The analysis tabs share one threshold control (``page.setting``) and show
views computed once per setting: opening a tab again at the same setting sends nothing.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from ..serve.backends import DESCRIPTIONS
from ..analysis.groups import by_index as groups_by_index
from ..thresholds import GLOBAL, PER_CLASS, ThresholdError, Thresholds
from . import door
from .context import AppContext, DataUnavailable
from .freshness import Tickets, ticket_js, with_ticket
from .inputs import Limits

SLIDER_MIN, SLIDER_MAX = 0.05, 0.95
RENDER = Path(__file__).with_name("render.js").read_text()
EXPLAIN = Path(__file__).with_name("explain.js").read_text()
POLICIES = [("Tuned per-class thresholds", PER_CLASS), ("One global threshold (slider)", GLOBAL)]


@dataclass
class Page:
    """What each tab's ``build(page, tab)`` receives."""

    ctx: AppContext
    limits: Limits
    setting: gr.Textbox | None = None  # the analysis tabs' threshold: "per_class" or a number, as text
    shown: gr.Textbox | None = None  # which analysis tab is open
    opened: list = field(default_factory=list)  # events that show the analysis tabs again
    views: list = field(default_factory=list)  # the analysis views, for ``wire_views``
    ticket: gr.Textbox | None = None  # the browser numbers each analysis request in it (``freshness``)
    tickets: Tickets = field(default_factory=Tickets)  # the newest number per visitor and view
    profile: gr.JSON | None = None  # this person's profile from the Adapt tab (Thresholds.to_dict()), or None
    tabs: gr.Tabs | None = None  # the top-level tabs (``gr.Tabs(selected=...)`` opens one)
    # The Predict tab's comment box, and its events to run on a comment put there from elsewhere (Checks):
    # (fn, inputs, outputs, queue options) each, predicting then explaining.
    predict_text: gr.Textbox | None = None
    on_comment: list = field(default_factory=list)


def policy_controls(thresholds: Thresholds | None, reset: bool = True) -> tuple[gr.Radio, gr.Slider]:
    """``thresholds``: the tuned ones the probabilities go with (None: the checkpoint has none); the
    slider's note says where they come from (``Thresholds.source``)."""
    tuned = thresholds is not None
    default = thresholds.global_threshold if tuned else 0.5
    with gr.Row():
        policy = gr.Radio(POLICIES if tuned else POLICIES[1:], value=PER_CLASS if tuned else GLOBAL,
                          label="Threshold policy", scale=2)
        # The slider's range bounds what a person can pick; a tuned value outside it is clamped.
        info = f"{thresholds.source}: {default:.2f}" if tuned else "the checkpoint has no tuned thresholds"
        slider = gr.Slider(SLIDER_MIN, SLIDER_MAX, value=clamp(default), step=0.01, label="Global threshold",
                           scale=3, buttons=None if reset else [], info=info + "; a typed value is kept in range")
    return policy, slider


def clamp(value: float) -> float:
    return round(min(max(float(value), SLIDER_MIN), SLIDER_MAX), 2)


def shared_threshold(page: Page) -> None:
    """The one threshold control of the analysis tabs. It lives in the browser: the radio and the
    slider's final value become ``page.setting``, whose change refreshes the open tab."""
    policy, slider = policy_controls(page.ctx.model.test_thresholds, reset=False)  # it acts on release; reset is no release
    page.setting = gr.Textbox(PER_CLASS if page.ctx.model.test_thresholds else str(slider.value), visible=False)
    page.ticket = gr.Textbox(visible=False)
    policy.change(None, [policy, slider], [page.setting], js=f"(p, v) => p === '{PER_CLASS}' ? p : String({clamp_js('v')})")
    # Moving the slider means "use this global value".
    slider.release(None, [slider], [policy, slider, page.setting],
                   js=f"(v) => ['{GLOBAL}', {clamp_js('v')}, String({clamp_js('v')})]")


def clamp_js(name: str) -> str:
    """``clamp`` in the browser, of the JavaScript variable ``name``."""
    return f"Math.min(Math.max(Number({name}) || 0.5, {SLIDER_MIN}), {SLIDER_MAX})"


def parse_setting(setting: str) -> str | float:
    """A threshold setting from the browser: "per_class", or a number from 0 to 1 (kept in the slider's range);
    anything else (``"nan"``, ``"abc"``) is refused by ``door.setting``."""
    setting = door.setting(setting, "setting")
    return PER_CLASS if setting == PER_CLASS else clamp(float(setting))


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


def probabilities_payload(labels: list[str], probs: np.ndarray, thresholds: np.ndarray | None,
                          gold: np.ndarray | None = None) -> dict:
    """What ``render.js`` needs to draw one comment at any threshold."""
    payload = {"labels": labels, "probabilities": [round(float(p), 4) for p in probs],
               "thresholds": None if thresholds is None else [round(float(t), 4) for t in thresholds],
               "groups": groups_by_index(labels)}
    return payload if gold is None else {**payload, "gold": np.flatnonzero(gold).tolist()}


def visitor_classifier(ctx: AppContext, profile: dict | None):
    """The classifier that answers this visitor: the app's, or a copy with their profile from the Adapt tab
    (same runners; ``with_profile`` refuses heads fitted on another checkpoint)."""
    if not profile:
        return ctx.model.classifier
    try:  # it comes from the browser: checked like a file
        found = Thresholds.from_dict(profile, ctx.model.labels, source="the profile")
    except (TypeError, AttributeError) as err:
        raise ThresholdError(f"The profile is malformed ({err}); fit it again on the Adapt tab.") from None
    return ctx.model.classifier.with_profile(found)


def render_js(*names: str) -> str:
    """The head of a browser event function of ``names`` with ``render`` and ``explainLabel`` in scope;
    end it with a return and ``}``."""
    return f"({', '.join(names)}) => {{ {RENDER}\n{EXPLAIN}\n"


def backend_note(ctx: AppContext, detail: bool = True) -> str:
    """Which backend answers, and why it was chosen when the checkpoint records it."""
    name = ctx.model.classifier.backend
    note = f"`{name}` ({DESCRIPTIONS[name]})"
    choice = ctx.model.checkpoint.backend_choice
    if detail and choice.get("default_backend") == name:
        speed = choice["backends"][name]["comments_per_s"]
        note += f", chosen on dev: {choice['rule']}; {speed:.0f} comments/s there"
    return note


# A row click or Enter on a focused row sends the row's ``data-pick`` as a "pick" event's data.
PICK_JS = """
const pick = (row) => {
  if (!row || !element.contains(row)) return;
  element.querySelectorAll('tr[aria-selected=true]').forEach((r) => r.setAttribute('aria-selected', 'false'));
  row.setAttribute('aria-selected', 'true');
  trigger('pick', JSON.parse(row.dataset.pick));
};
element.addEventListener('click', (e) => pick(e.target.closest('tr[data-pick]')));
element.addEventListener('keydown', (e) => {
  if ((e.key === 'Enter' || e.key === ' ') && e.target.matches('tr[data-pick]')) { e.preventDefault(); pick(e.target); }
});
"""


DOWNLOADS = Path(tempfile.gettempdir()) / "emotion-downloads"
DOWNLOAD_AGE_S = 3600  # a download file is kept this long: Gradio serves its own copy meanwhile


def download_file(name: str) -> Path:
    """A fresh path named ``name`` for a file offered for download; older ones are swept away, so a
    server that runs for weeks keeps at most an hour of them."""
    DOWNLOADS.mkdir(exist_ok=True)
    now = time.time()
    for folder in DOWNLOADS.iterdir():
        try:
            if now - folder.stat().st_mtime > DOWNLOAD_AGE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass  # another worker swept it first
    return Path(tempfile.mkdtemp(dir=DOWNLOADS)) / name


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters for a table cell (the whole text shows elsewhere)."""
    return text if len(text) <= limit else text[:limit] + "…"


def pick_table(elem_id: str) -> gr.HTML:
    """A table whose rows a person clicks (or focuses and presses Enter): ``.pick(fn)`` gets the row's
    ``picks`` entry as ``gr.EventData`` attributes. Plain HTML draws in a few milliseconds, where a
    Dataframe of the same rows takes hundreds."""
    return gr.HTML(elem_id=elem_id, js_on_load=PICK_JS, padding=False)


def table_html(frame: pd.DataFrame, picks: list[dict] | None, caption: str, widths: dict[str, str] | None = None) -> str:
    """``frame`` as an escaped HTML table, one clickable row per ``picks`` entry (None: rows to read only)."""
    widths = widths or {}

    def header(column) -> str:
        style = f' style="width:{widths[column]}"' if column in widths else ""
        return f'<th scope="col"{style}>{html.escape(str(column))}</th>'

    names = [html.escape(str(c)) for c in frame.columns]  # each cell names its column: a phone shows rows as cards

    def row(pick: dict | None, values) -> str:
        cells = "".join(f'<td data-col="{name}">{html.escape("" if pd.isna(v) else str(v))}</td>'
                        for name, v in zip(names, values))
        if pick is None:
            return f"<tr>{cells}</tr>"
        return f'<tr tabindex="0" aria-selected="false" data-pick="{html.escape(json.dumps(pick))}">{cells}</tr>'

    rows = frame.itertuples(index=False)
    body = "".join(row(pick, values) for pick, values in zip(picks or [None] * len(frame), rows))
    return (f'<div class="picktable"><table><caption>{html.escape(caption)}</caption>'
            f'<thead><tr>{"".join(header(c) for c in frame.columns)}</tr></thead><tbody>{body}</tbody></table></div>')
