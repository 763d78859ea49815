"""Matching: which rule explains an Event, and why that one.

Order of precedence (most specific wins), compared left to right:

1. ``priority`` (explicit, default 0) — higher wins;
2. a ``service_code`` condition — the body's code beats anything else;
3. the number of conditions that held — more beats fewer;
4. the precision of the ``http_status`` condition — one code > a list > a class (5xx);
5. load order — a later rule (a user's rule set, loaded after the built-ins) wins a tie.

Rules are indexed by service code and HTTP status, so a record is only checked against
rules that could possibly match it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ._models import Conditions, Event, Rule

MAX_MATCH_CHARS = 8_192  # regexes only ever see this much of a message or text

Rank = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Candidate:
    """A rule that matched, which of its condition sets held, and its rank."""

    rule: Rule
    alternative: int
    conditions: tuple[str, ...]
    rank: Rank


def holds(conditions: Conditions, event: Event) -> bool:
    """True when every condition of the set holds for the event."""
    c = conditions
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
    if c.message is not None and not (
        event.message and c.message.search(event.message, 0, MAX_MATCH_CHARS)
    ):
        return False
    if c.text is not None and not c.text.search(
        event.text or event.message or "", 0, MAX_MATCH_CHARS
    ):
        return False
    for name, pattern in c.headers:
        value = event.header(name)
        if value is None or (pattern is not None and not pattern.search(value)):
            return False
    return True


def rank(rule: Rule, conditions: Conditions, position: int) -> Rank:
    precision = conditions.http_status.precision if conditions.http_status else 0
    has_code = 1 if conditions.service_code is not None else 0
    return (rule.priority, has_code, conditions.count, precision, position)


class Matcher:
    """Finds the best rule for an event among a loaded rule set."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self._by_code: dict[int, list[tuple[Rule, int, Rank]]] = defaultdict(list)
        self._by_status: dict[int, list[tuple[Rule, int, Rank]]] = defaultdict(list)
        self._floating: list[tuple[Rule, int, Rank]] = []
        for position, rule in enumerate(rules):
            for alt, conditions in enumerate(rule.match):
                entry = (rule, alt, rank(rule, conditions, position))
                if conditions.service_code is not None:
                    for code in conditions.service_code:
                        self._by_code[code].append(entry)
                elif conditions.http_status is not None:
                    for status in conditions.http_status.codes:
                        self._by_status[status].append(entry)
                else:
                    self._floating.append(entry)

    def _possible(self, event: Event) -> list[tuple[Rule, int, Rank]]:
        found = list(self._floating)
        if event.service_code is not None:
            found.extend(self._by_code.get(event.service_code, ()))
        if event.http_status is not None:
            found.extend(self._by_status.get(event.http_status, ()))
        return found

    def candidates(self, event: Event) -> list[Candidate]:
        """Every matching rule (best alternative each), best first."""
        best: dict[str, Candidate] = {}
        for rule, alt, entry_rank in self._possible(event):
            conditions = rule.match[alt]
            if not holds(conditions, event):
                continue
            current = best.get(rule.id)
            if current is None or entry_rank > current.rank:
                best[rule.id] = Candidate(rule, alt, conditions.names(), entry_rank)
        return sorted(best.values(), key=lambda c: c.rank, reverse=True)

    def best(self, event: Event) -> Candidate | None:
        winner: tuple[Rank, Rule, int] | None = None
        for rule, alt, entry_rank in self._possible(event):
            if (winner is None or entry_rank > winner[0]) and holds(rule.match[alt], event):
                winner = (entry_rank, rule, alt)
        if winner is None:
            return None
        entry_rank, rule, alt = winner
        return Candidate(rule, alt, rule.match[alt].names(), entry_rank)


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
