"""Matching: which rule explains an Event, and why that one.

Order of precedence (most specific wins), compared left to right:

1. ``priority`` (explicit, default 0) — higher wins;
2. a ``service_code`` condition — the body's code beats anything else;
3. the number of conditions that held — more beats fewer;
4. the precision of the ``http_status`` condition — one code > a list > a class (5xx);
5. load order — a later rule (a user's rule set, loaded after the built-ins) wins a tie.

Rules are indexed by service code and HTTP status, so a record is only checked against
rules that could possibly match it; the message (and the text) regexes are searched
together, once per record (_regex.PatternSet: only those whose literals occur run).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ._models import Conditions, Event, Rule
from ._regex import PatternSet

MAX_MATCH_CHARS = 8_192  # regexes only ever see this much of a message or text

Rank = tuple[int, int, int, int, int]
_LOWEST: Rank = (-(2**62), 0, 0, 0, 0)


@dataclass(frozen=True)
class Candidate:
    """A rule that matched, which of its condition sets held, and its rank."""

    rule: Rule
    alternative: int
    conditions: tuple[str, ...]
    rank: Rank


@dataclass(frozen=True)
class _Entry:
    rule: Rule
    alternative: int
    rank: Rank
    message_id: int | None  # index of its message regex in the matcher's PatternSet
    text_id: int | None
    names: tuple[str, ...]  # the conditions of the set, as Candidate shows them


class _Hits:
    """Which message/text regexes match one event: one PatternSet search each, on first need."""

    def __init__(self, event: Event, messages: PatternSet, texts: PatternSet) -> None:
        self._event, self._messages, self._texts = event, messages, texts
        self._message_hits: frozenset[int] | None = None
        self._text_hits: frozenset[int] | None = None

    def messages(self) -> frozenset[int]:
        if self._message_hits is None:
            self._message_hits = self._messages.hits((self._event.message or "")[:MAX_MATCH_CHARS])
        return self._message_hits

    def texts(self) -> frozenset[int]:
        if self._text_hits is None:
            text = self._event.match_text or self._event.message or ""
            self._text_hits = self._texts.hits(text[:MAX_MATCH_CHARS])
        return self._text_hits


def _candidate(entry: _Entry) -> Candidate:
    return Candidate(entry.rule, entry.alternative, entry.names, entry.rank)


def _top_rank(filed: dict[int, list[_Entry]]) -> Rank:
    return max((e.rank for entries in filed.values() for e in entries), default=_LOWEST)


def _outranks(entry: _Entry, other: _Entry | Candidate | None) -> bool:
    """Higher rank wins; between two equal condition sets of one rule, the one listed first."""
    return (
        other is None
        or entry.rank > other.rank
        or (entry.rank == other.rank and entry.alternative < other.alternative)
    )


def _holds(entry: _Entry, event: Event, hits: _Hits) -> bool:
    """True when every condition of the entry's set holds; cheap checks first."""
    c = entry.rule.match[entry.alternative]
    if c.service_code is not None and event.service_code not in c.service_code:
        return False
    if c.http_status is not None and event.http_status not in c.http_status:
        return False
    if c.task_status is not None and event.task_status not in c.task_status:
        return False
    if c.gateway is not None and event.gateway not in c.gateway:
        return False
    if c.gateway_code is not None and event.gateway_code not in c.gateway_code:
        return False
    for name, pattern in c.headers:
        value = event.header(name)
        if value is None or (pattern is not None and not pattern.search(value)):
            return False
    if entry.message_id is not None and not (event.message and entry.message_id in hits.messages()):
        return False
    return entry.text_id is None or entry.text_id in hits.texts()


def rank(rule: Rule, conditions: Conditions, position: int) -> Rank:
    precision = conditions.http_status.precision if conditions.http_status else 0
    has_code = 1 if conditions.service_code is not None else 0
    return (rule.priority, has_code, conditions.count, precision, position)


class Matcher:
    """Finds the best rule for an event among a loaded rule set.

    Each condition set is filed under its most selective condition (service code, then
    status, message regex, text regex, task status, gateway code, gateway), so an event
    only meets the few sets that could hold for it.
    """

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        every = [(rule, alt, c) for rule in rules for alt, c in enumerate(rule.match)]
        self._messages = PatternSet([c.message.pattern for _, _, c in every if c.message])
        self._texts = PatternSet([c.text.pattern for _, _, c in every if c.text])
        self._by_code: dict[int, list[_Entry]] = defaultdict(list)
        self._by_status: dict[int, list[_Entry]] = defaultdict(list)
        self._by_message: dict[int, list[_Entry]] = defaultdict(list)
        self._by_text: dict[int, list[_Entry]] = defaultdict(list)
        self._by_task_status: dict[str, list[_Entry]] = defaultdict(list)
        self._by_gateway_code: dict[str, list[_Entry]] = defaultdict(list)
        self._by_gateway: dict[str, list[_Entry]] = defaultdict(list)
        self._rest: list[_Entry] = []
        positions = {rule.id: position for position, rule in enumerate(rules)}
        for rule, alt, c in every:
            entry = _Entry(
                rule,
                alt,
                rank(rule, c, positions[rule.id]),
                self._messages.id_of(c.message.pattern) if c.message else None,
                self._texts.id_of(c.text.pattern) if c.text else None,
                c.names(),
            )
            if c.service_code is not None:
                for code in c.service_code:
                    self._by_code[code].append(entry)
            elif c.http_status is not None:
                for status in c.http_status.codes:
                    self._by_status[status].append(entry)
            elif entry.message_id is not None:
                self._by_message[entry.message_id].append(entry)
            elif entry.text_id is not None:
                self._by_text[entry.text_id].append(entry)
            elif c.task_status is not None:
                for value in c.task_status:
                    self._by_task_status[value].append(entry)
            elif c.gateway_code is not None:
                for value in c.gateway_code:
                    self._by_gateway_code[value].append(entry)
            elif c.gateway is not None:
                for value in c.gateway:
                    self._by_gateway[value].append(entry)
            else:
                self._rest.append(entry)
        # No set filed under a message (text) regex outranks this: a winner above it needs
        # no message (text) search.
        self._top_message_rank = _top_rank(self._by_message)
        self._top_text_rank = _top_rank(self._by_text)

    def compile(self) -> None:
        """Compile the regexes now (they compile on first need otherwise); raises
        PatternSetTooLarge for a rule set whose regexes are too large together."""
        self._messages.compile()
        self._texts.compile()

    def _filed_by_value(self, event: Event) -> list[_Entry]:
        """The sets filed under what the event holds outright (no regex search needed)."""
        found = list(self._rest)
        if event.service_code is not None and event.service_code in self._by_code:
            found.extend(self._by_code[event.service_code])
        if event.http_status is not None and event.http_status in self._by_status:
            found.extend(self._by_status[event.http_status])
        if event.task_status is not None and event.task_status in self._by_task_status:
            found.extend(self._by_task_status[event.task_status])
        if event.gateway_code is not None and event.gateway_code in self._by_gateway_code:
            found.extend(self._by_gateway_code[event.gateway_code])
        if event.gateway is not None and event.gateway in self._by_gateway:
            found.extend(self._by_gateway[event.gateway])
        return found

    def _filed_by_message(self, event: Event, hits: _Hits) -> list[_Entry]:
        """The sets filed under a message regex that matches the event."""
        if not (self._by_message and event.message):
            return []
        return [e for i in hits.messages() for e in self._by_message.get(i, ())]

    def _filed_by_text(self, hits: _Hits) -> list[_Entry]:
        """The sets filed under a text regex that matches the event."""
        if not self._by_text:
            return []
        return [e for i in hits.texts() for e in self._by_text.get(i, ())]

    def candidates(self, event: Event) -> list[Candidate]:
        """Every matching rule (best alternative each), best first."""
        hits = _Hits(event, self._messages, self._texts)
        best: dict[str, Candidate] = {}
        filed = self._filed_by_value(event)
        for entry in filed + self._filed_by_message(event, hits) + self._filed_by_text(hits):
            if not _holds(entry, event, hits):
                continue
            if _outranks(entry, best.get(entry.rule.id)):
                best[entry.rule.id] = _candidate(entry)
        return sorted(best.values(), key=lambda c: c.rank, reverse=True)

    def best(self, event: Event) -> Candidate | None:
        """The winning rule: what candidates() would put first, without ranking the rest
        (a condition set is only checked when it would outrank the best so far, and the
        message or text regexes are only searched when a set filed under one could: a rule
        that wins on its service code is outranked by no message rule)."""
        hits = _Hits(event, self._messages, self._texts)
        winner: _Entry | None = None
        for entry in self._filed_by_value(event):
            if _outranks(entry, winner) and _holds(entry, event, hits):
                winner = entry
        if winner is None or winner.rank <= self._top_message_rank:
            for entry in self._filed_by_message(event, hits):
                if _outranks(entry, winner) and _holds(entry, event, hits):
                    winner = entry
        if winner is None or winner.rank <= self._top_text_rank:
            for entry in self._filed_by_text(hits):
                if _outranks(entry, winner) and _holds(entry, event, hits):
                    winner = entry
        return None if winner is None else _candidate(winner)


RANK_NAMES = (
    "priority",
    "service-code condition",
    "conditions held",
    "status precision",
    "load order",
)


def why_lost(winner: Rank, loser: Rank) -> str:
    """The first precedence step at which ``loser`` fell behind ``winner``."""
    for name, won, lost in zip(RANK_NAMES, winner, loser, strict=True):
        if won != lost:
            if name == "service-code condition":
                return "no service-code condition"
            if name == "load order":
                return "loaded earlier (a tie: same specificity)"
            return f"lower {name} ({lost} < {won})"
    return "identical rank"


def explain_candidates(candidates: list[Candidate]) -> list[dict[str, object]]:
    """For `classify --why`: each matching rule, what held, and why it won or lost."""
    if not candidates:
        return []
    best = candidates[0].rank
    return [
        {
            "rule": c.rule.id,
            "won": index == 0,
            "conditions": list(c.conditions),
            "priority": c.rank[0],
            "service_code_condition": bool(c.rank[1]),
            "conditions_held": c.rank[2],
            "status_precision": c.rank[3],
            "load_order": c.rank[4],
            "lost_because": None if index == 0 else why_lost(best, c.rank),
        }
        for index, c in enumerate(candidates)
    ]
