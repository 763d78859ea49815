"""Spotting regular expressions that can backtrack catastrophically (star height > 1).

Python's `re` backtracks, and cannot be interrupted, so a rule regex such as ``(a+)+$``
can hang the engine on a crafted message. Rules whose regex nests an unbounded repeat
inside another unbounded repeat are refused at load time; matching also only ever sees a
bounded prefix of a message (see _match.MAX_MATCH_CHARS).
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Any

# Possessive repeats (a++) and atomic groups (?>...) never backtrack into: they are safe.
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT}
_UNBOUNDED = sre_parse.MAXREPEAT


def nested_quantifier(pattern: str) -> str | None:
    """The offending part of ``pattern`` if it nests unbounded repeats, else None."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None  # compile() reports the syntax error itself
    return pattern if _nested(parsed, inside_repeat=False) else None


def _nested(items: Any, inside_repeat: bool) -> bool:
    for op, arg in items:
        children: list[tuple[Any, bool]] = []
        if op in _REPEATS:
            _low, high, sub = arg
            unbounded = high == _UNBOUNDED
            if unbounded and inside_repeat and list(sub):
                return True
            children = [(sub, inside_repeat or unbounded)]
        elif op == sre_parse.POSSESSIVE_REPEAT:
            children = [(arg[2], False)]
        elif op == sre_parse.SUBPATTERN:
            children = [(arg[-1], inside_repeat)]
        elif op == sre_parse.BRANCH:
            children = [(branch, inside_repeat) for branch in arg[1]]
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            children = [(arg[1], inside_repeat)]
        if any(_nested(child, flag) for child, flag in children):
            return True
    return False
