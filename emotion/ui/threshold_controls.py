"""The threshold controls: a policy radio and a global slider, on the Predict tab and shared by the analysis
tabs (``page.setting``), and the setting they send, read back on the server."""

from __future__ import annotations

import gradio as gr

from ..thresholds import GLOBAL, PER_CLASS, Thresholds
from . import door
from .page import Page

SLIDER_MIN, SLIDER_MAX = 0.05, 0.95
POLICIES = [("Tuned per-class thresholds", PER_CLASS), ("One global threshold (slider)", GLOBAL)]


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
