"""Only the newest answer of an analysis view reaches the screen.

A view is asked for by several events (its tab opening, its own filters, the shared threshold), each
queued and answered on its own, so an older request can finish after a newer one: a tab's first
answer, slow because the test set loads, used to overwrite the table of a filter chosen meanwhile.
Each request carries a ticket the browser numbers in the order the person acted (``ticket_js``);
the server keeps the newest ticket seen per visitor and view (``Tickets``), and an answer whose
ticket has been overtaken is dropped (``Tickets.answer``), checked before the work and again before
the answer is sent. A view is one set of outputs: two views of one tab have a key each.
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

    def answer(self, visitor: str | None, view: str, ticket: int | None, compute: Callable[[], list],
               outputs: int) -> list:
        """``compute()``, or ``outputs`` skips when a newer request for this visitor and view has come
        before it starts or before it is sent. Without a visitor or a ticket (an API client, a forged
        event), ``compute()`` as it is."""
        if visitor is None or ticket is None:
            return compute()
        if not self.claim(visitor, view, ticket):
            log.debug("dropped request %s for %s before it ran: a newer one came", ticket, view)
            return [gr.skip()] * outputs
        answer = compute()
        if not self.newest(visitor, view, ticket):
            log.debug("dropped the answer to request %s for %s: a newer request overtook it", ticket, view)
            return [gr.skip()] * outputs
        return answer


def with_ticket(fn: Callable) -> Callable:
    """``fn(visitor, ticket, *args)`` as an event handler whose inputs are the ticket, then ``args``
    (Gradio passes the request first: its session names the visitor)."""
    def handler(request: gr.Request, ticket, *args):
        return fn(getattr(request, "session_hash", None), read_ticket(ticket), *args)

    handler.__name__ = getattr(fn, "__name__", "refresh")
    return handler


__all__ = ["Tickets", "read_ticket", "ticket_js", "with_ticket"]
