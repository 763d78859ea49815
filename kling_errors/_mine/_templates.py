"""Message templates: what `rules mine` drafts rules from and `classify --summary` counts by.

Two steps, after Drain (He et al., ICWS 2017), whose parse tree groups log lines by length
and first tokens and merges lines whose tokens mostly agree:

1. **shape** (per message, no state): variables are masked — URLs, emails, quoted values,
   dates and times, paths, and any word with a digit in it (numbers, uuids, hex and other
   ids, ``kling-v2``: Drain's own rule of thumb) — and the rest is split into constant
   tokens (words, each punctuation mark), each remembering the whitespace before it. Two
   messages that differ only in their variables have the same shape, so shapes can be
   counted in parts of a log (``classify --jobs``) and added up.
2. **cluster** (over the distinct shapes): shapes with the same number of tokens and the
   same first token merge when at least ``SIMILARITY`` of their tokens are equal constants;
   the tokens that differ become variables. Unlike Drain, which clusters lines in arrival
   order, the shapes are taken most frequent first, so the templates do not depend on the
   order of the log or on how it was split.

A token is one string: a separator code (``SEP_*``) and then either the constant text or
``VAR`` and a kind letter (``KIND_*``). A shape's *key* is its tokens with constants
lowercased (rule regexes are case-insensitive; the tokens themselves keep the case first
seen, for display and for the regex).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

MAX_CHARS = 1_000  # a message is shaped from this much of its start
MAX_TOKENS = 80  # ... and at most this many tokens; longer ones are open-ended templates
SIMILARITY = 0.7  # share of equal constant tokens for two shapes to merge (drain3: 0.4)

# The whitespace before a token: none, one space, other whitespace (tabs, newlines, runs),
# or, after a merge, any of those.
SEP_NONE, SEP_SPACE, SEP_OTHER, SEP_ANY = "\x01", " ", "\x02", "\x03"
VAR = "\x00"
# Variable kinds: one token without whitespace, a quoted value (may hold spaces), a date or
# time (may hold one space), or a mix of kinds after a merge.
KIND_TOKEN, KIND_QUOTED, KIND_TIME, KIND_ANY = "s", "q", "t", "a"
SHOWN_VAR = "#"  # how a variable is shown ("teapot # is busy")

_WORD = r"0-9A-Za-z_\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"  # scripts written with spaces
_QUOTES = (  # opening and closing mark: straight, typographic, guillemets, CJK corner
    ('"', '"'), ("'", "'"), ("`", "`"), ("\u201c", "\u201d"), ("\u2018", "\u2019"),
    ("\u00ab", "\u00bb"), ("\u300c", "\u300d"), ("\u300e", "\u300f"),
)  # fmt: skip
_QUOTED = "|".join(
    # a quoted value: not a key (followed by a colon); an apostrophe is no quote mark
    # (``don't``), neither to open one nor to close one (``'o'neil'``)
    rf"(?<![\w{re.escape(o)}]){re.escape(o)}"
    rf"(?P<q{i}>(?:[^{re.escape(c)}\n]|{re.escape(c)}(?=\w)){{0,200}})"
    rf"{re.escape(c)}(?!\w)(?!\s{{0,3}}:)"
    for i, (o, c) in enumerate(_QUOTES)
)
_MASK_PATTERN = (
    rf"(?P<url>\b[a-z][a-z0-9+.-]{{1,15}}://[^\s\"'<>`]{{1,500}})"
    rf"|(?P<email>[\w.+-]{{1,64}}@[\w-]{{1,63}}(?:\.[\w-]{{1,63}}){{1,8}})"
    rf"|{_QUOTED}"
    r"|(?P<time>\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?(?![\w:])|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?![\w:]))"
    r"|(?P<path>(?<![\w/.~-])(?:~|\.{1,2})?(?:/[\w.@%+~-]{1,100}){2,40}/?"
    r"|\b[a-z]:\\(?:[\w.@%+~ -]{1,100}\\){1,40}[\w.@%+~-]{0,100})"
    rf"|(?P<run>[{_WORD}](?:[{_WORD}.-]{{0,200}}[{_WORD}])?)"
)


@cache
def _mask() -> re.Pattern[str]:
    """The masking regex, compiled on first use (9 ms: not on `classify`'s start-up)."""
    return re.compile(_MASK_PATTERN, re.IGNORECASE)


_PIECES = re.compile(r"(\s*)(\w+|[^\w\s])")  # the text between masked parts: words, marks


# What a variable's values held, as bits (the draft regex picks its wildcard by them).
NON_ASCII, QUOTE_MARK, WHITESPACE = 1, 2, 4
_QUOTE_MARKS = frozenset("'\"`\u201c\u201d\u2018\u2019\u00ab\u00bb\u300c\u300d\u300e\u300f")


_SPACE = re.compile(r"\s")


def traits(value: str) -> int:
    """NON_ASCII | QUOTE_MARK | WHITESPACE, as far as ``value`` has them."""
    found = 0 if value.isascii() else NON_ASCII
    if not _QUOTE_MARKS.isdisjoint(value):
        found |= QUOTE_MARK
    if _SPACE.search(value):
        found |= WHITESPACE
    return found


def is_var(token: str) -> bool:
    return token[1] == VAR


def kind_of(token: str) -> str:
    return token[2]


def body(token: str) -> str:
    """The token without its separator: the constant text, or VAR and the kind."""
    return token[1:]


def _sep(space: str) -> str:
    if not space:
        return SEP_NONE
    return SEP_SPACE if space == " " else SEP_OTHER


@dataclass(frozen=True, slots=True)
class Shape:
    """One message, masked: its tokens, the text of its variables, and how it was cut."""

    tokens: tuple[str, ...]
    values: tuple[str, ...]  # each variable's text, in order
    open_end: bool  # the message went on past MAX_CHARS or MAX_TOKENS
    padded: bool  # whitespace before or after the message

    @property
    def key(self) -> tuple[str, ...]:
        return shape_key(self.tokens)


def shape_key(tokens: Iterable[str]) -> tuple[str, ...]:
    """The tokens with constants lowercased (the same string objects where they already
    are: a shape's tokens and key share their memory)."""
    key = []
    for token in tokens:
        lower = token if is_var(token) else token.lower()
        key.append(token if lower == token else lower)
    return tuple(key)


def shape(message: str) -> Shape:
    """The message's tokens with its variables masked (see the module docstring)."""
    text = message[:MAX_CHARS]
    open_end = len(message) > MAX_CHARS
    stripped = text.strip()
    padded = stripped != message.strip() or message != message.strip()
    tokens: list[str] = []
    values: list[str] = []
    space = ""

    def constants(part: str) -> None:
        nonlocal space
        end = 0
        for found in _PIECES.finditer(part):
            tokens.append(_sep(space + found.group(1)) + found.group(2))
            space, end = "", found.end()
        space += part[end:]  # whitespace after the last word waits for the next token

    last = 0
    for found in _mask().finditer(stripped):
        constants(stripped[last : found.start()])
        kind_name = found.lastgroup or "run"
        start, end = found.span(kind_name)
        if kind_name == "run" and not any(c.isdigit() for c in found.group()):
            constants(found.group())  # a word without a digit is constant text
        elif kind_name.startswith("q"):
            constants(stripped[found.start() : start])  # the opening quote
            tokens.append(_sep(space) + VAR + KIND_QUOTED)
            values.append(found.group(kind_name))
            space = ""
            constants(stripped[end : found.end()])  # the closing quote
        else:
            kind = KIND_TIME if kind_name == "time" else KIND_TOKEN
            tokens.append(_sep(space) + VAR + kind)
            values.append(found.group())
            space = ""
        last = found.end()
    constants(stripped[last:])
    if len(tokens) > MAX_TOKENS:
        kept = sum(1 for t in tokens[:MAX_TOKENS] if is_var(t))
        tokens, values, open_end = tokens[:MAX_TOKENS], values[:kept], True
    return Shape(tuple(tokens), tuple(values), open_end, padded)


def shown(tokens: Sequence[str]) -> str:
    """A template as people read it: variables as ``#``, whitespace as one space."""
    parts: list[str] = []
    for token in tokens:
        if token[0] != SEP_NONE and parts:
            parts.append(" ")
        parts.append(SHOWN_VAR if is_var(token) else token[1:])
    return "".join(parts)


def from_shown(text: str) -> tuple[str, ...]:
    """The tokens of a template shown by ``shown`` (a ``#`` token is a variable again):
    what lets `classify --summary` keep shown templates and still cluster them."""
    return tuple(t[0] + VAR + KIND_TOKEN if t[1:] == SHOWN_VAR else t for t in shape(text).tokens)


def _is_word(token: str) -> bool:
    return not is_var(token) and sum(c.isalpha() for c in token[1:]) >= 2


def _merged_kind(a: str, b: str) -> str:
    """The kind of a variable that was ``a`` in one shape and ``b`` in another ('' for a
    constant: it can only have been one token)."""
    kinds = {k or KIND_TOKEN for k in (a, b)}
    return kinds.pop() if len(kinds) == 1 else KIND_ANY


def merge_tokens(
    template: Sequence[str], other: Sequence[str]
) -> tuple[int, tuple[str, ...]] | None:
    """``template`` generalized to cover ``other`` (same length) and how many of their
    tokens were equal constants; None when too few were (under ``SIMILARITY``), or the
    result would keep no constant word."""
    if len(template) != len(other):
        return None
    equal = 0
    merged = []
    for a, b in zip(template, other, strict=True):
        sep = a[0] if a[0] == b[0] else SEP_ANY
        if not is_var(a) and not is_var(b) and a[1:].lower() == b[1:].lower():
            equal += 1
            merged.append(sep + a[1:])
            continue
        kind = _merged_kind(kind_of(a) if is_var(a) else "", kind_of(b) if is_var(b) else "")
        merged.append(sep + VAR + kind)
    if equal < SIMILARITY * len(template) or not any(_is_word(t) for t in merged):
        return None
    return equal, tuple(merged)


@dataclass
class Cluster:
    """A template and the shapes (by position in the input) it covers."""

    tokens: tuple[str, ...]
    members: list[int] = field(default_factory=list)
    count: int = 0


def cluster(shapes: Sequence[tuple[Sequence[str], int]]) -> list[Cluster]:
    """Merge shapes (tokens, count) into templates, most frequent shape first.

    A shape only meets templates of its length and first token (Drain's parse tree) that
    share a constant word with it at the same position (an inverted index), so a log of
    all-different garbage costs no comparison at all.
    """
    order = sorted(range(len(shapes)), key=lambda i: (-shapes[i][1], shape_key(shapes[i][0])))
    clusters: list[Cluster] = []
    index: dict[tuple[int, str, int, str], list[int]] = {}
    for i in order:
        tokens, count = tuple(shapes[i][0]), shapes[i][1]
        first = "" if not tokens or is_var(tokens[0]) else tokens[0][1:].lower()
        candidates: dict[int, None] = {}
        for position, token in enumerate(tokens):
            if _is_word(token):
                for c in index.get((len(tokens), first, position, token[1:].lower()), ()):
                    candidates[c] = None
        best: tuple[int, int, tuple[str, ...]] | None = None  # (equal tokens, cluster, merged)
        for c in candidates:  # in creation order: on a tie the more frequent template wins
            merged = merge_tokens(clusters[c].tokens, tokens)
            if merged is not None and (best is None or merged[0] > best[0]):
                best = (merged[0], c, merged[1])
        if best is None:
            clusters.append(Cluster(tokens, [i], count))
            for position, token in enumerate(tokens):
                if _is_word(token):
                    key = (len(tokens), first, position, token[1:].lower())
                    index.setdefault(key, []).append(len(clusters) - 1)
            continue
        target = clusters[best[1]]
        target.tokens = best[2]
        target.members.append(i)
        target.count += count
    return clusters
