"""HTML tables: escaped, readable as cards on a phone, and with rows a person picks (a click, or Enter).
Plain HTML draws in a few milliseconds, where a Dataframe of the same rows takes hundreds."""

from __future__ import annotations

import html
import json

import gradio as gr
import pandas as pd

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


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters for a table cell (the whole text shows elsewhere)."""
    return text if len(text) <= limit else text[:limit] + "…"


def pick_table(elem_id: str) -> gr.HTML:
    """A table whose rows a person clicks (or focuses and presses Enter): ``.pick(fn)`` gets the row's
    ``picks`` entry as ``gr.EventData`` attributes."""
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
