"""Pieces several tabs share: the threshold-policy controls and safe HTML."""

from __future__ import annotations

import html

import gradio as gr

from ..backends import DESCRIPTIONS
from ..thresholds import GLOBAL, PER_CLASS, Thresholds
from .context import AppContext

SLIDER_MIN, SLIDER_MAX = 0.05, 0.95
POLICIES = [("Tuned per-class thresholds", PER_CLASS), ("One global threshold (slider)", GLOBAL)]


def policy_controls(
    thresholds: Thresholds | None, slider_label: str = "Global threshold", tuned_for: str = "",
) -> tuple[gr.Radio, gr.Slider]:
    """``thresholds``: the tuned ones the tab's probabilities go with (None: the checkpoint has none);
    ``tuned_for`` names whose probabilities they were tuned on, when that needs saying."""
    tuned = thresholds is not None
    default = thresholds.global_threshold if tuned else 0.5
    with gr.Row():
        policy = gr.Radio(POLICIES if tuned else POLICIES[1:], value=PER_CLASS if tuned else GLOBAL,
                          label="Threshold policy", scale=2)
        # The slider's range bounds what a person can pick; a tuned value outside it is shown, then clamped.
        slider = gr.Slider(SLIDER_MIN, SLIDER_MAX, value=round(min(max(default, SLIDER_MIN), SLIDER_MAX), 2), step=0.01, label=slider_label, scale=3,
                           info=f"tuned on dev{tuned_for}: {default:.2f}" if tuned else "the checkpoint has no tuned thresholds")
    return policy, slider


def as_global(fn):
    """Wrap a tab handler ``fn(policy, value, *rest)`` for slider events: moving the slider means
    "use this global value", so the policy switches to global and the handler runs with it."""
    return lambda _policy, value, *rest: (GLOBAL, *fn(GLOBAL, value, *rest))


def chips(names: list[str], scores: list[float] | None = None, empty: str = "nothing above its threshold") -> str:
    """Label chips as HTML; every string is escaped."""
    if not names:
        return f"<span class='muted'>{html.escape(empty)}</span>"
    parts = []
    for i, name in enumerate(names):
        score = f" <small>{scores[i]:.2f}</small>" if scores is not None else ""
        parts.append(f"<span class='chip'>{html.escape(name)}{score}</span>")
    return " ".join(parts)


CSS = """
.chip {display:inline-block; padding:2px 10px; margin:2px; border-radius:12px; background:#e4572e; color:white;
       font-weight:600}
.chip small {opacity:0.85; font-weight:400}
.muted {color:#888}
"""


def backend_note(ctx: AppContext, detail: bool = True) -> str:
    """Which backend answers, and why it was chosen when the checkpoint records it."""
    name = ctx.classifier.backend
    note = f"`{name}` ({DESCRIPTIONS[name]})"
    if not detail:
        return note
    choice = ctx.checkpoint.backend_choice
    if choice.get("default_backend") == name:
        speed = choice["backends"][name]["comments_per_s"]
        note += f", chosen on dev: {choice['rule']}; {speed:.0f} comments/s there"
    return note
