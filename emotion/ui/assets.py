"""The browser code the app shares with the static Space (``space.py``): ``render.js`` draws a comment's
labels, bars and groups; ``explain.js`` a label's words. Each is read once, at import."""

from __future__ import annotations

from pathlib import Path

RENDER = Path(__file__).with_name("render.js").read_text()
EXPLAIN = Path(__file__).with_name("explain.js").read_text()


def render_js(*names: str) -> str:
    """The head of a browser event function of ``names`` with ``render`` and ``explainLabel`` in scope;
    end it with a return and ``}``."""
    return f"({', '.join(names)}) => {{ {RENDER}\n{EXPLAIN}\n"
