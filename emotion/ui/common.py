"""The contract every tab module keeps, and what the tabs share.

A tab module has ``TITLE`` and ``build(page, tab)``: it builds its components inside ``tab`` and
wires its own events. The analysis tabs share one threshold control (``page.setting``) and show
views computed once per setting: opening a tab again at the same setting sends nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np

from ..backends import DESCRIPTIONS
from ..groups import GROUPINGS
from ..thresholds import GLOBAL, PER_CLASS, ThresholdError, Thresholds
from .context import AppContext
from .inputs import Limits

SLIDER_MIN, SLIDER_MAX = 0.05, 0.95
RENDER = Path(__file__).with_name("render.js").read_text()
POLICIES = [("Tuned per-class thresholds", PER_CLASS), ("One global threshold (slider)", GLOBAL)]


@dataclass
class Page:
    """What each tab's ``build(page, tab)`` receives."""

    ctx: AppContext
    limits: Limits
    setting: gr.Textbox | None = None  # the analysis tabs' threshold: "per_class" or a number, as text
    shown: gr.Textbox | None = None  # which analysis tab is open
    opened: list = field(default_factory=list)  # events that show the analysis tabs again
    profile: gr.JSON | None = None  # this person's threshold profile from the Adapt tab: {name, thresholds}, or None


def policy_controls(thresholds: Thresholds | None, tuned_for: str = "", reset: bool = True) -> tuple[gr.Radio, gr.Slider]:
    """``thresholds``: the tuned ones the probabilities go with (None: the checkpoint has none);
    ``tuned_for`` names whose probabilities they were tuned on, when that needs saying."""
    tuned = thresholds is not None
    default = thresholds.global_threshold if tuned else 0.5
    with gr.Row():
        policy = gr.Radio(POLICIES if tuned else POLICIES[1:], value=PER_CLASS if tuned else GLOBAL,
                          label="Threshold policy", scale=2)
        # The slider's range bounds what a person can pick; a tuned value outside it is clamped.
        info = f"tuned on dev{tuned_for}: {default:.2f}" if tuned else "the checkpoint has no tuned thresholds"
        slider = gr.Slider(SLIDER_MIN, SLIDER_MAX, value=clamp(default), step=0.01, label="Global threshold",
                           scale=3, buttons=None if reset else [], info=info + "; a typed value is kept in range")
    return policy, slider


def clamp(value: float) -> float:
    return round(min(max(float(value), SLIDER_MIN), SLIDER_MAX), 2)


def shared_threshold(page: Page) -> None:
    """The one threshold control of the analysis tabs. It lives in the browser: the radio and the
    slider's final value become ``page.setting``, whose change refreshes the open tab."""
    policy, slider = policy_controls(page.ctx.test_thresholds, reset=False)  # it acts on release; reset is no release
    page.setting = gr.Textbox(PER_CLASS if page.ctx.test_thresholds else str(slider.value), visible=False)
    policy.change(None, [policy, slider], [page.setting], js=f"(p, v) => p === '{PER_CLASS}' ? p : String({clamp_js('v')})")
    # Moving the slider means "use this global value".
    slider.release(None, [slider], [policy, slider, page.setting],
                   js=f"(v) => ['{GLOBAL}', {clamp_js('v')}, String({clamp_js('v')})]")


def clamp_js(name: str) -> str:
    """``clamp`` in the browser, of the JavaScript variable ``name``."""
    return f"Math.min(Math.max(Number({name}) || 0.5, {SLIDER_MIN}), {SLIDER_MAX})"


def parse_setting(setting: str) -> str | float:
    return PER_CLASS if setting == PER_CLASS else clamp(float(setting))


def analysis_view(page: Page, tab: gr.Tab, view, inputs: list, outputs: list, triggers: tuple = (),
                  threshold_free: bool = False) -> None:
    """Show ``view(setting, *inputs) -> outputs`` in ``tab``: computed when the tab opens, when the
    shared threshold changes while it is open, and on ``triggers`` (its own controls' events).
    A view already shown for the same setting and inputs is not sent again."""
    name = tab.label
    shown = gr.State(None)

    def refresh(open_tab: str, last, setting: str, *values):
        key = json.dumps([None if threshold_free else setting, *values], default=str)
        if open_tab != name or key == last:
            return [gr.skip()] * (len(outputs) + 1)
        return [key, *view(parse_setting(setting), *values)]

    args = dict(inputs=[page.shown, shown, page.setting, *inputs], outputs=[shown, *outputs],
                api_visibility="undocumented", trigger_mode="always_last")
    # Opening a tab mostly finds its view current: no progress overlay flickers over it.
    tab.select(None, None, [page.shown], js=f"() => {json.dumps(name)}").then(refresh, **args, show_progress="hidden")
    for event in page.opened:
        event(refresh, **args, show_progress="hidden")
    for event in (*triggers, page.setting.change):
        event(refresh, **args)


def probabilities_payload(labels: list[str], probs: np.ndarray, thresholds: np.ndarray | None,
                          gold: np.ndarray | None = None) -> dict:
    """What ``render.js`` needs to draw one comment at any threshold."""
    index = {name: i for i, name in enumerate(labels)}
    payload = {"labels": labels, "probabilities": [round(float(p), 4) for p in probs],
               "thresholds": None if thresholds is None else [round(float(t), 4) for t in thresholds],
               "groups": {title: {group: [index[m] for m in members if m in index]
                                  for group, members in grouping.items() if any(m in index for m in members)}
                          for title, grouping in GROUPINGS.items()}}
    return payload if gold is None else {**payload, "gold": np.flatnonzero(gold).tolist()}


def profile_thresholds(ctx: AppContext, profile: dict | None) -> Thresholds | None:
    """The thresholds live answers use: the person's profile from the Adapt tab, else the app's."""
    if not profile:
        return ctx.thresholds
    base = ctx.thresholds.global_threshold if ctx.thresholds else 0.5
    try:  # it comes from the browser: checked like a file
        raw = {"global": base, "per_class": dict(zip(ctx.labels, profile["thresholds"])), "name": profile["name"]}
    except (KeyError, TypeError) as err:
        raise ThresholdError(f"The threshold profile is malformed ({err}); tune it again on the Adapt tab.") from None
    return Thresholds.from_dict(raw, ctx.labels, source="the threshold profile")


def render_js(*names: str) -> str:
    """The head of a browser event function of ``names`` with ``render`` in scope; end it with a return and ``}``."""
    return f"({', '.join(names)}) => {{ {RENDER}\n"


def backend_note(ctx: AppContext, detail: bool = True) -> str:
    """Which backend answers, and why it was chosen when the checkpoint records it."""
    name = ctx.classifier.backend
    note = f"`{name}` ({DESCRIPTIONS[name]})"
    choice = ctx.checkpoint.backend_choice
    if detail and choice.get("default_backend") == name:
        speed = choice["backends"][name]["comments_per_s"]
        note += f", chosen on dev: {choice['rule']}; {speed:.0f} comments/s there"
    return note
