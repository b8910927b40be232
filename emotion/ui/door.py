"""The one guard at the door of the UI's events: what a browser sends is checked before a handler reads it.

Anyone who reaches the app can send any event with any JSON: an index of Infinity, labels nested 100,000
deep, a table row of "abc", a threshold setting of "nan". Each handler names what it takes, argument by
argument (and field by field of its ``gr.EventData``), with a check that returns the value in the type the
handler wants::

    @door(setting=setting, evt=event(row=whole(0, 10_000_000)))
    def on_pick(setting: str, evt: gr.EventData): ...

Whatever fails a check is refused with one clear ``gr.Error`` line for the visitor and one log line here;
the handler never runs on it. A refusal the handler raises itself (an ``EmotionError``: a bad file, a
profile that does not fit) leaves the same way.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import math
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import gradio as gr

from ..errors import EmotionError
from ..thresholds import PER_CLASS

log = logging.getLogger(__name__)
MAX_FIELD = 10_000  # characters of one text field of an event (an id, a list of label names as JSON)
MAX_NAME = 40  # characters of one label name (profiles.profile.NEW_LABEL)

Check = Callable[[Any, str], Any]


class Refused(EmotionError, ValueError):
    """An event's value that no handler takes; the message names the field and what it must be."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def whole(low: int, high: int, default: int | None = None, label: str | None = None) -> Check:
    """A whole number from ``low`` to ``high`` (a JSON number, or text that reads as one); None gives ``default``."""
    def check(value: Any, name: str) -> int:
        if value is None and default is not None:
            return default
        wrong = Refused(f"{label or name} must be a whole number from {low:,} to {high:,}; got {_shown(value)}.")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (isinstance(value, str) and len(value) > 40):
            raise wrong
        try:
            number = value if isinstance(value, int) else float(value)
        except ValueError:
            raise wrong from None
        if isinstance(number, float) and not (math.isfinite(number) and number.is_integer()):
            raise wrong
        if not low <= number <= high:
            raise wrong
        return int(number)

    return check


def text(max_chars: int = MAX_FIELD, default: str = "", label: str | None = None) -> Check:
    """Text of at most ``max_chars`` characters; None gives ``default``. ``label``: the field's name in the
    refusal (default: the argument's)."""
    def check(value: Any, name: str) -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            raise Refused(f"{label or name} must be text; got {type(value).__name__}.")
        if len(value) > max_chars:
            raise Refused(f"{label or name} is {len(value):,} characters long; the limit is {max_chars:,}.")
        return value

    return check


def one_of(choices: Sequence[str], default: str | None = None, label: str | None = None) -> Check:
    """One of ``choices``; None gives ``default`` (when there is one)."""
    def check(value: Any, name: str) -> str:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or value not in choices:
            raise Refused(f"{label or name} must be one of the listed choices; got {_shown(value)}.")
        return value

    return check


def names(max_items: int, label: str | None = None) -> Check:
    """A list of at most ``max_items`` label names (a multiselect's value); None is the empty list."""
    def check(value: Any, name: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > max_items or not all(
                isinstance(n, str) and 0 < len(n) <= MAX_NAME for n in value):
            raise Refused(f"{label or name} must be a list of at most {max_items} label names of up to {MAX_NAME} characters.")
        return value

    return check


def names_json(max_items: int, label: str | None = None) -> Check:
    """A list of label names sent as JSON text (the labeller's answer); read only when short, so a list
    nested thousands deep is refused before the parser recurses into it."""
    as_text, as_list = text(max_items * (MAX_NAME + 4) + 2, label=label), names(max_items, label=label)

    def check(value: Any, name: str) -> list[str]:
        value = as_text(value, name)
        try:
            found = json.loads(value or "null")
        except (ValueError, RecursionError):
            raise Refused(f"{label or name} must be a JSON list of label names.") from None
        if found is None:
            raise Refused(f"{label or name} must be a JSON list of label names.")
        return as_list(found, name)

    return check


def setting(value: Any, name: str) -> str:
    """The analysis tabs' threshold setting: "per_class", or a number from 0 to 1 as text."""
    if value == PER_CLASS:
        return value
    try:
        number = float(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not (isinstance(value, str) and len(value) <= 40 and 0.0 <= number <= 1.0):
        raise Refused(f"The threshold setting must be '{PER_CLASS}' or a number from 0 to 1; got {_shown(value)}.")
    return value


def cells(*checks: Check) -> Check:
    """A list of values, one per check (a table cell's [row, column])."""
    def check(value: Any, name: str) -> list:
        if not isinstance(value, (list, tuple)) or len(value) != len(checks):
            raise Refused(f"{name} must be a list of {len(checks)} values; got {_shown(value)}.")
        return [rule(item, name) for rule, item in zip(checks, value)]

    return check


def event(**fields: Check) -> Check:
    """A ``gr.EventData``'s fields, each checked: the handler gets them as attributes of a plain object."""
    def check(value: Any, name: str) -> SimpleNamespace:
        data = getattr(value, "_data", None) if isinstance(value, gr.EventData) else getattr(value, "__dict__", None)
        if not isinstance(data, dict):
            raise Refused(f"The {name} event carries no fields.")
        return SimpleNamespace(**{field: rule(data.get(field), field) for field, rule in fields.items()})

    return check


def refuse(err: Exception, where: str = "request") -> gr.Error:
    """A visitor's input error: one log line here, its message to the visitor, no traceback."""
    log.info("%s refused: %s", where, err)
    return gr.Error(str(err), print_exception=False)


def door(**checks: Check):
    """Check a handler's arguments by name before it runs (see the module's docstring); an argument
    without a check is passed as it came."""
    def wrap(fn):
        signature, where = inspect.signature(fn), getattr(fn, "__name__", "event")
        unknown = set(checks) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{where} has no argument {', '.join(sorted(unknown))}")

        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            try:
                try:
                    bound = signature.bind(*args, **kwargs)
                except TypeError:
                    raise Refused(f"This event takes {len(signature.parameters)} values; got {len(args) + len(kwargs)}.") from None
                for name, check in checks.items():
                    if name in bound.arguments:
                        bound.arguments[name] = check(bound.arguments[name], name)
                return fn(*bound.args, **bound.kwargs)
            except EmotionError as err:
                raise refuse(err, where) from None

        return guarded

    return wrap


__all__ = ["Refused", "cells", "door", "event", "names", "names_json", "one_of", "refuse", "setting", "text", "whole"]
