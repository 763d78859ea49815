"""Rule regexes: compiled with RE2, so no rule can hang the engine.

Python's `re` backtracks and cannot be interrupted: ``(a+)+$`` or even ``a.*b.*c`` takes
seconds to minutes on a crafted message. RE2 (Google's engine, via google-re2) matches in
time linear in the text, whatever the pattern; it refuses lookarounds and backreferences,
which rule files therefore cannot use. Matching also only ever sees a bounded prefix of a
message (_match.MAX_MATCH_CHARS).

``nested_quantifier`` remains for `rules lint`: such a pattern is safe here but would
backtrack catastrophically if copied into a backtracking engine.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Any, Protocol

import re2  # type: ignore[import-untyped]

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.log_errors = False  # errors are reported to the rule author, not to stderr
_OPTIONS.never_capture = True


class Pattern(Protocol):
    """What matching needs of a compiled rule regex (RE2's and `re`'s patterns both fit)."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str, pos: int = 0, endpos: int = ...) -> object | None: ...


def compile_rule_regex(pattern: str) -> Pattern:
    """Case-insensitive, linear-time. Call regex_error first: a bad pattern raises on use."""
    return _OnFirstUse(pattern)


class _OnFirstUse:
    """A rule regex compiled when first searched: matching mostly goes through PatternSet,
    so start-up need not compile every pattern one by one."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: Any = None

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> object | None:
        if self._compiled is None:
            self._compiled = re2.compile(self.pattern, _OPTIONS)
        found: object | None = (
            self._compiled.search(text, pos)
            if endpos is None
            else self._compiled.search(text, pos, endpos)
        )
        return found

    def __reduce__(self) -> tuple[type[_OnFirstUse], tuple[str]]:
        """Pickled as its pattern: a worker process compiles it again on first use."""
        return (_OnFirstUse, (self.pattern,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _OnFirstUse) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"re2.compile({self.pattern!r})"


def regex_error(pattern: str) -> str | None:
    """Why ``pattern`` cannot be a rule regex, or None."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    except (OverflowError, RecursionError, MemoryError, ValueError) as exc:
        return f"too large or too deeply nested ({type(exc).__name__}: {exc})"
    try:
        re2.compile(pattern, _OPTIONS)
    except (OverflowError, RecursionError, MemoryError, ValueError) as exc:
        return f"too large or too deeply nested for RE2 ({type(exc).__name__}: {exc})"
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        return f"{detail}: rule regexes run on RE2, which has no lookarounds or backreferences"
    return None


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


# A rule set's regexes are searched together (PatternSet) with RE2's FilteredRE2: one pass of
# the literal strings the regexes need (their "atoms", a small set of literals) finds the
# regexes that could match, and only those run, each on its own. One RE2 Set of every
# message regex is the textbook alternative, but the built-in message families have bounded
# gaps ("(?:[^.;]|\.\w){0,60}") that multiply the states of its lazily built DFA: on varied
# log messages it outgrew a 16 MB budget and kept flushing (10.9 µs a message on
# bench/make_realistic.py's log; 2.8 µs within a 24 MB budget, at +18 MB RSS), where the
# filter takes 4.9 µs at +2.5 MB. Each regex keeps RE2's default budget (8 MB, filled only as
# far as its searches go: 256 KB each made the searches 3x slower).
# A rule set's regexes together stay within MAX_SET_INSTRUCTIONS compiled RE2 instructions
# (about 512 MB compiled): beyond that, loading refuses the rule set.
MAX_SET_INSTRUCTIONS = 7_000_000


class PatternSetTooLarge(ValueError):
    """The regexes of a rule set together compile past MAX_SET_INSTRUCTIONS."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"the {count} message/text regexes of the loaded rule sets are too large to search"
            f" together (over {MAX_SET_INSTRUCTIONS:,} compiled RE2 instructions)"
        )


class PatternSet:
    """Many rule regexes searched together: the cost per record grows with the regexes a
    text's literals admit, not with the number of rules (see above).

    Compiled on the first search (most records of a run need it; a record whose rule wins
    on its code alone never does), or at once by ``compile`` to refuse an over-large set
    before any record is read.
    """

    def __init__(self, patterns: list[str]) -> None:
        self._patterns = list(dict.fromkeys(patterns))
        self._ids = {pattern: position for position, pattern in enumerate(self._patterns)}
        self._filter: Any = None

    def id_of(self, pattern: str) -> int:
        return self._ids[pattern]

    def compile(self) -> None:
        """Compile now; raises PatternSetTooLarge past MAX_SET_INSTRUCTIONS."""
        if self._filter is not None or not self._patterns:
            return
        built = re2.Filter()
        for pattern in self._patterns:
            built.Add(pattern, _OPTIONS)  # numbered 0, 1, ...: ids are positions
        built.Compile()
        size = sum(built.re(position).programsize for position in range(len(self._patterns)))
        if size > MAX_SET_INSTRUCTIONS:
            raise PatternSetTooLarge(len(self._patterns))
        self._filter = built

    def hits(self, text: str) -> frozenset[int]:
        if not self._patterns or not text:
            return frozenset()
        if self._filter is None:
            self.compile()
        found = self._filter.Match(text)  # None when nothing matches
        return frozenset(found) if found else frozenset()
