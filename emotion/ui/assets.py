"""The browser code the app shares with the static Space (``space.py``): ``render.js`` draws a comment's
labels, bars and groups; ``explain.js`` a label's words. Each is read once, at import."""

from __future__ import annotations

import json
from pathlib import Path

from ..thresholds import GLOBAL, PER_CLASS


def _code(name: str) -> str:
    """A shared JS file without its whole-line comments: every drawing event carries a copy in the page's config."""
    return "\n".join(line for line in (Path(__file__).parent / name).read_text().splitlines()
                     if not line.lstrip().startswith("//"))


RENDER, EXPLAIN = _code("render.js"), _code("explain.js")
# The threshold policies' names as emotion/thresholds.py spells them, for render.js and the pages that call it: no
# JavaScript file spells them. The app puts this line before render.js; the static Space loads it as ui/policy.js.
POLICY_JS = f"const POLICY = Object.freeze({json.dumps({'PER_CLASS': PER_CLASS, 'GLOBAL': GLOBAL})});\n"


def render_js(*names: str) -> str:
    """The head of a browser event function of ``names`` with ``render``, ``thresholdsAt``, ``explainLabel``
    and ``POLICY`` in scope; end it with a return and ``}``."""
    return f"({', '.join(names)}) => {{ {POLICY_JS}{RENDER}\n{EXPLAIN}\n"
