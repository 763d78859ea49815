"""Normalizing: any logged record -> one Event, or a Verdict (not an error / unreadable).

    value ──_shapes / _text──▶ Draft ──_verdicts.finish──▶ Event | Verdict

One module per concern:
    _draft      the record read so far (typed setters), and the cleaning of shown strings
    _shapes     the key aliases of structured records, detail lists, the recursion
    _text       what free text says: statuses, codes, embedded JSON, error pages, levels
    _gateways   the gateway named by a host, a header or a body's shape
    _verdicts   the final reading: an Event, or not an error, or unreadable

Shapes understood: README "Inputs". Never raises on odd content.
"""

from __future__ import annotations

import re
from typing import Any

from .._models import Event
from .._vocabulary import Outcome, Shape
from ._draft import Draft
from ._shapes import absorb_mapping, absorb_text
from ._verdicts import Verdict, fine_in_words, finish

__all__ = ["Verdict", "fine_in_words", "to_event"]

# A line that is only a number or a JSON literal says nothing (a lone 502 is a status).
_BARE_VALUE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_STATUS = re.compile(r"[1-5]\d\d")


def to_event(value: Any) -> Event | Verdict:
    """Normalize one raw record (a parsed JSON value or a line of text)."""
    try:
        if isinstance(value, dict):
            draft = Draft(Shape.OBJECT)
            absorb_mapping(draft, value, 0)
        elif isinstance(value, str):
            if not value.strip():
                return Verdict(Outcome.UNREADABLE, "empty record")
            if _BARE_VALUE.fullmatch(value.strip()) and not _STATUS.fullmatch(value.strip()):
                return Verdict(Outcome.UNREADABLE, "a bare value, nothing to go on")
            draft = Draft(Shape.TEXT)
            absorb_text(draft, value, 0, top=True)
        elif isinstance(value, list):
            return Verdict(Outcome.UNREADABLE, "a JSON array inside a record; expected an object")
        elif value is None:
            return Verdict(Outcome.UNREADABLE, "null record")
        else:
            return Verdict(
                Outcome.UNREADABLE, f"a bare JSON {type(value).__name__}, nothing to go on"
            )
    except RecursionError:
        return Verdict(Outcome.UNREADABLE, "record nested too deeply")
    return finish(draft)
