"""What the tabs say in words: notices and refusals in one paragraph each, and which backend answers."""

from __future__ import annotations

import html

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


ERROR, NOTE, MUTED = "error", "note", "muted"  # the paragraph classes of app.css (and the Space's page)


def notice(message: str | Exception, kind: str = ERROR) -> str:
    """One paragraph of words for the page, escaped: a refusal (``ERROR``, an exception's message), a ``NOTE``,
    or ``MUTED`` words."""
    return f"<p class='{kind}'>{html.escape(str(message))}</p>"
