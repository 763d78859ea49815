"""Template -> the regex of a draft rule's ``match.message`` (`rules mine`).

Anchored, constants escaped (rules new's escaping), each variable a bounded wildcard sized
from the longest value seen — or the value itself where every record had the same one
(not for ids, times or a rare template). Bounds stay small: RE2 compiles ``x{1,128}`` into
128 copies of ``x``, and a rule set's regexes together are capped in compiled size
(_regex.MAX_SET_INSTRUCTIONS).
"""

from __future__ import annotations

import re
from typing import Any

import re2  # type: ignore[import-untyped]

from .._scaffold import _escape
from ._miner import Template
from ._templates import (
    KIND_ANY,
    KIND_QUOTED,
    KIND_TIME,
    NON_ASCII,
    QUOTE_MARK,
    SEP_ANY,
    SEP_NONE,
    SEP_OTHER,
    SEP_SPACE,
    WHITESPACE,
    is_var,
    kind_of,
)

KEEP_VALUE_FROM = 3  # a variable every record agrees on is kept literally from this count on
# Each draft's regex stays small (MAX_PROGRAM RE2 instructions, MAX_FILE_PROGRAM a file):
# every regex is searched wherever its literals occur, and the built-in message regexes
# take ~43,000 instructions in all.
MAX_PROGRAM = 2_000
MAX_FILE_PROGRAM = 60_000
_BOUNDS = (16, 32, 64, 128, 256, 512, 1000)  # RE2 refuses a repeat above 1000
_RANDOM = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[a-f]*\d)[0-9a-f]{8,}"
    r"|\d{6,}|(?=(?:\D*\d){4})\S{8,}",
    re.IGNORECASE,
)
_SEPARATORS = {SEP_NONE: "", SEP_SPACE: " ", SEP_OTHER: r"\s{1,40}", SEP_ANY: r"\s{0,40}"}


_WHITESPACE_ESCAPES = {"\\\t": r"\t", "\\\n": r"\n", "\\\r": r"\r", "\\\v": r"\v", "\\\f": r"\f"}


def _literal(text: str) -> str:
    """Text as a regex that matches it (rules new's escaping; whitespace spelt out)."""
    found = _escape(text)
    for escaped, spelt in _WHITESPACE_ESCAPES.items():
        found = found.replace(escaped, spelt)
    return found


def _bound(longest: int) -> int:
    """A wildcard's repeat bound: the longest value seen and half as much again (at least
    8 more). RE2 compiles a bounded repeat into that many copies of the class, so bounds
    stay as small as the evidence allows."""
    wanted = longest + max(8, longest // 2)
    return next((b for b in _BOUNDS if b >= wanted), _BOUNDS[-1])


def _wildcard(kind: str, longest: int, found: int, closing: str | None) -> str:
    """A bounded wildcard for a variable whose values had ``found`` traits."""
    bound = _bound(longest)
    if kind == KIND_TIME:
        return rf"[0-9tz:.,+ -]{{1,{bound}}}"
    if kind == KIND_QUOTED and closing is not None and not found & QUOTE_MARK:
        return f"[^{_literal(closing)}]{{0,{bound}}}"
    if kind in (KIND_QUOTED, KIND_ANY) or found & WHITESPACE:
        return f"{'.' if found & NON_ASCII else '[ -~]'}{{0,{bound}}}"
    return (r"\S" if found & NON_ASCII else "[!-~]") + f"{{1,{bound}}}"


def _kept(template: Template, number: int) -> str | None:
    """The value of variable ``number`` when it is evidence, not an id that happened to
    repeat: every record had it, there are enough records, it is no time or random id."""
    value = template.values[number]
    if value is None or template.count < KEEP_VALUE_FROM or not value.strip():
        return None
    kind = kind_of([t for t in template.tokens if is_var(t)][number])
    if kind == KIND_TIME or _RANDOM.fullmatch(value):
        return None
    return value


def _pieces(template: Template) -> list[str]:
    """The regex of each token, with the whitespace before it."""
    pieces = []
    number = 0
    for position, token in enumerate(template.tokens):
        space = _SEPARATORS[token[0]] if position else ""
        if not is_var(token):
            pieces.append(space + _literal(token[1:]))
            continue
        value = _kept(template, number)
        if value is not None:
            pieces.append(space + _literal(value))
        else:
            after = template.tokens[position + 1] if position + 1 < len(template.tokens) else ""
            closing = after[1:] if after and not is_var(after) and len(after) == 2 else None
            found, longest = template.traits[number], template.longest[number]
            pieces.append(space + _wildcard(kind_of(token), longest, found, closing))
        number += 1
    return pieces


def program_size(pattern: str) -> int:
    """RE2's size for the pattern as rules compile it (case-insensitive)."""
    return int(compiled(pattern).programsize)


def message_regex(template: Template) -> str:
    """The template as an anchored RE2 regex: constants escaped, variables bounded.

    A draft stays under MAX_PROGRAM RE2 instructions (small regexes search fast and keep
    a rule set far from _regex.MAX_SET_INSTRUCTIONS): a longer template is cut after the
    tokens that fit (and left open at the end: see ``whole``).
    """
    pieces = _pieces(template)
    start = "" if template.padded else "^"
    end = "" if template.open_end or template.padded else "$"
    pattern = start + "".join(pieces) + end
    while pieces and program_size(pattern) > MAX_PROGRAM:
        pieces.pop()
        pattern = start + "".join(pieces)
    return pattern


def whole(template: Template, regex: str) -> bool:
    """Does the regex spell the whole template? Not when the messages went on past what
    was read, nor when the regex was cut to its budget: such a prefix also matches
    messages of other shapes — records other rules answer today — so it is no draft."""
    return not template.open_end and len(regex) >= len("".join(_pieces(template)))


def compiled(pattern: str) -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return re2.compile(pattern, options)
