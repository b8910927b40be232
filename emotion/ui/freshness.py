"""Only the newest answer of an analysis view reaches the screen.

A view is asked for by several events (its tab opening, its own filters, the shared threshold), each
queued and answered on its own, so an older request can finish after a newer one: a tab's first
answer, slow because the test set loads, used to overwrite the table of a filter chosen meanwhile.
Each request carries a ticket the browser numbers in the order the person acted (``TICKET_JS``);
the server keeps the newest ticket seen per visitor and view (``Tickets``), and an answer whose
ticket has been overtaken is dropped (``newest_only``), checked before the work and again before
the answer is sent.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable

import gradio as gr

log = logging.getLogger(__name__)
KEPT = 20_000  # (visitor, view) pairs remembered, the least recent forgotten: ~2 MB at most


def ticket_js(inputs: int) -> str:
    """The browser half, for an event whose first of ``inputs`` inputs is the ticket: the page's next
    number, in the order events fire (one counter for every view, so any two tickets compare)."""
    return (f"(...a) => [String(window.emotionTicket = (window.emotionTicket || 0) + 1), "
            f"...a.slice(1, {inputs})]")


def read_ticket(value) -> int | None:
    """A ticket as sent (text or a number); anything else (a forged event) means "not numbered"."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


class Tickets:
    """The newest ticket seen per (visitor, view), for at most ``kept`` pairs (least recent forgotten:
    a forgotten pair only loses the check until its next request)."""

    def __init__(self, kept: int = KEPT):
        self.kept = kept
        self._newest: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, visitor: str, view: str, ticket: int) -> bool:
        """Record ``ticket``; whether it is the newest for this visitor and view (False: overtaken)."""
        with self._lock:
            key = (visitor, view)
            newest = max(self._newest.pop(key, ticket), ticket)
            self._newest[key] = newest
            while len(self._newest) > self.kept:
                self._newest.popitem(last=False)
            return ticket >= newest

    def newest(self, visitor: str, view: str, ticket: int) -> bool:
        """Whether no newer ticket than ``ticket`` has come for this visitor and view."""
        with self._lock:
            return self._newest.get((visitor, view), ticket) <= ticket


def newest_only(fn: Callable, outputs: int, tickets: Tickets, view: str | None = None) -> Callable:
    """``fn(open_tab, ...)`` as an event handler that takes the request and a ticket first, and answers
    ``outputs`` skips instead when a newer request for the same visitor and view has come. ``view``:
    the view the handler draws (None: the open tab's, its first argument); a handler asked while
    another tab is open answers as ``fn`` does."""
    def handler(request: gr.Request, ticket, open_tab, *args):
        visitor = getattr(request, "session_hash", None)
        number, name = read_ticket(ticket), view or open_tab
        checked = visitor is not None and number is not None and isinstance(name, str) and (view is None or open_tab == view)
        if checked and not tickets.claim(visitor, name, number):
            log.debug("dropped %s request %s of %s before it ran: a newer one came", name, number, visitor)
            return [gr.skip()] * outputs
        answer = fn(open_tab, *args)
        if checked and not tickets.newest(visitor, name, number):
            log.debug("dropped %s answer %s of %s: a newer request overtook it", name, number, visitor)
            return [gr.skip()] * outputs
        return answer

    handler.__name__ = getattr(fn, "__name__", "refresh")
    return handler


__all__ = ["Tickets", "newest_only", "read_ticket", "ticket_js"]
