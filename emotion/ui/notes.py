"""Short notes the tabs show in words."""

from __future__ import annotations

from ..serve.backends import DESCRIPTIONS
from .context import AppContext


def backend_note(ctx: AppContext, detail: bool = True) -> str:
    """Which backend answers, and why it was chosen when the checkpoint records it."""
    name = ctx.model.classifier.backend
    note = f"`{name}` ({DESCRIPTIONS[name]})"
    choice = ctx.model.checkpoint.backend_choice
    if detail and choice.get("default_backend") == name:
        speed = choice["backends"][name]["comments_per_s"]
        note += f", chosen on dev: {choice['rule']}; {speed:.0f} comments/s there"
    return note
