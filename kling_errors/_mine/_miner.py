"""Streaming the records of a log into templates, in bounded memory (`rules mine`).

Each record the rules do not explain (``unmatched``; with ``include_wording`` also those
only the wording tier answered: ``wording_tier`` below) is
shaped (``_templates.shape``) and counted under its shape, with what a draft rule needs:
the first and last location, up to ``EXAMPLES`` redacted records with different messages,
each variable's value while every record agrees on it, the status, code and gateway all
its records share, and which wording-tier rules answered them.

Memory is bounded by ``max_templates``: past it the shapes are clustered (merging alike
ones) and, if that is not enough, the rarest are dropped and counted as dropped. At the
end the shapes are clustered into templates, most frequent first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .._engine import Engine
from .._models import Diagnosis, Location, Rule
from .._read import RawRecord, ReadProgress, read_paths
from .._redact import redact_data
from ._templates import Cluster, Shape, cluster, is_var, shape, shape_key, shown, traits

EXAMPLES = 3  # records kept per template, each with a different message
MAX_EXAMPLE_CHARS = 8_192  # a record longer than this (as JSON) is not kept as an example
MAX_TEMPLATES = 10_000
CONDITIONS = ("http_status", "service_code", "gateway", "gateway_code", "task_status")
_MIXED = object()  # a condition the records do not all share
NO_MESSAGE = "(no message)"


@dataclass
class _Group:
    """The records of one shape (or, after a compaction, of several merged)."""

    tokens: tuple[str, ...]
    key: tuple[str, ...]  # of the shape it was made for (the tokens' key, once merged)
    count: int
    first: tuple[int, Location | None]
    last: tuple[int, Location | None]
    values: list[str | None]  # per variable: its value while all records agree, else None
    longest: list[int]  # per variable: its longest value
    traits: list[int]  # per variable: what its values held (_templates.traits)
    conditions: dict[str, Any]  # shared value, None, or _MIXED
    examples: list[tuple[str, str]] = field(default_factory=list)  # (message, record JSON)
    answered: Counter[str] = field(default_factory=Counter)  # wording-tier rule -> records
    open_end: bool = False
    padded: bool = False


@dataclass(frozen=True)
class Template:
    """A family of messages and everything `rules mine` drafts a rule from."""

    tokens: tuple[str, ...]  # see _templates; () for records without a message
    count: int
    first: str  # location of the first record (file:line)
    last: str
    values: tuple[str | None, ...]  # per variable: the value every record had, else None
    longest: tuple[int, ...]
    traits: tuple[int, ...]
    conditions: dict[str, Any]  # http_status, service_code, ... every record shares
    examples: tuple[Any, ...]  # redacted records
    messages: tuple[str, ...]  # their messages
    answered: Counter[str]  # wording-tier rules that answered its records, with counts
    open_end: bool
    padded: bool

    @property
    def text(self) -> str:
        return shown(self.tokens) if self.tokens else NO_MESSAGE

    @cached_property
    def words(self) -> Counter[str]:
        """Its constant words (two letters or more), lowercased, with how often each occurs."""
        return Counter(
            t[1:].lower() for t in self.tokens if not is_var(t) and sum(map(str.isalpha, t)) >= 2
        )


@dataclass
class MineStats:
    records: int = 0
    unmatched: int = 0
    wording: int = 0  # records mined because only the wording tier answered them
    no_message: int = 0  # mined records without a message (grouped by their conditions)
    dropped_records: int = 0  # in templates dropped to keep memory bounded
    dropped_templates: int = 0


def wording_tier(rule: Rule) -> bool:
    """A rule of priority < 0 that goes by what a record says (a message or text regex, a
    failed task's unknown reason) — not a bare status, which says nothing of the words."""
    return rule.priority < 0 and any(
        c.message is not None or c.text is not None or c.task_status is not None for c in rule.match
    )


def _var_positions(tokens: tuple[str, ...]) -> dict[int, int]:
    """Position of each variable token -> its number among the variables."""
    positions = [p for p, t in enumerate(tokens) if is_var(t)]
    return {p: n for n, p in enumerate(positions)}


def _merge(tokens: tuple[str, ...], members: list[_Group]) -> _Group:
    """One group for the members of a cluster, its variables where ``tokens`` has them."""
    variables = [p for p, t in enumerate(tokens) if is_var(t)]
    values: list[str | None] = []
    longest: list[int] = []
    found_traits: list[int] = []
    numbered = [(_var_positions(g.tokens), g) for g in members]
    for position in variables:
        seen: list[str | None] = []
        lengths = []
        bits = 0
        for where, g in numbered:
            if not g.tokens:
                continue
            n = where.get(position)
            if n is None:  # a constant of this member
                value: str | None = g.tokens[position][1:]
                lengths.append(len(g.tokens[position]) - 1)
                bits |= traits(g.tokens[position][1:])
            else:
                value = g.values[n]
                lengths.append(g.longest[n])
                bits |= g.traits[n]
            seen.append(value)
        agreed = {v.lower() if v is not None else None for v in seen}
        values.append(seen[0] if len(agreed) == 1 else None)
        longest.append(max(lengths, default=0))
        found_traits.append(bits)
    conditions: dict[str, Any] = {}
    for name in CONDITIONS:
        seen_values = [g.conditions[name] for g in members]
        shared = seen_values[0] is not _MIXED and all(v == seen_values[0] for v in seen_values)
        conditions[name] = seen_values[0] if shared else _MIXED
    ordered = sorted(members, key=lambda g: -g.count)
    examples: list[tuple[str, str]] = []
    for rank in range(EXAMPLES):  # the first example of each member, then the second...
        for g in ordered:
            if (
                len(examples) < EXAMPLES
                and rank < len(g.examples)
                and all(g.examples[rank][0] != m for m, _ in examples)
            ):
                examples.append(g.examples[rank])
    answered: Counter[str] = Counter()
    for g in members:
        answered.update(g.answered)
    return _Group(
        tokens,
        shape_key(tokens) if tokens else members[0].key,
        sum(g.count for g in members),
        min(g.first for g in members),
        max(g.last for g in members),
        values,
        longest,
        found_traits,
        conditions,
        examples,
        answered,
        any(g.open_end for g in members),
        any(g.padded for g in members),
    )


def _clusters(groups: list[_Group]) -> list[tuple[Cluster, list[_Group]]]:
    found = cluster([(g.tokens, g.count) for g in groups])
    return [(c, [groups[i] for i in c.members]) for c in found]


class Miner:
    """Feed it diagnosed records (``add``), then ask for the templates."""

    def __init__(
        self, engine: Engine, *, include_wording: bool = False, max_templates: int = MAX_TEMPLATES
    ) -> None:
        self.engine = engine
        self.include_wording = include_wording
        self.max_templates = max_templates
        self.stats = MineStats()
        self._index: dict[tuple[str, ...], _Group] = {}
        self._weak: dict[str, bool] = {}
        self._seq = 0

    def _in_wording_tier(self, rule_id: str) -> bool:
        weak = self._weak.get(rule_id)
        if weak is None:
            rule = self.engine.rules.get(rule_id)
            weak = self._weak[rule_id] = rule is not None and wording_tier(rule)
        return weak

    def wanted(self, diagnosis: Diagnosis) -> bool:
        """Is this record one the rules do not (or only weakly) explain?"""
        if diagnosis.outcome == "unmatched":
            return True
        return (
            self.include_wording
            and diagnosis.outcome == "matched"
            and diagnosis.rule is not None
            and self._in_wording_tier(diagnosis.rule)
        )

    def add(self, raw: RawRecord, diagnosis: Diagnosis) -> None:
        self.stats.records += 1
        if not self.wanted(diagnosis):
            return
        self._seq += 1
        event = diagnosis.event
        conditions = {
            "http_status": diagnosis.http_status,
            "service_code": diagnosis.service_code or None,
            "gateway": diagnosis.gateway,
            "gateway_code": event.gateway_code if event is not None else None,
            "task_status": event.task_status if event is not None else None,
        }
        if diagnosis.outcome == "unmatched":
            self.stats.unmatched += 1
        else:
            self.stats.wording += 1
        message = diagnosis.message or ""
        if message.strip():
            masked = shape(message)
        else:
            self.stats.no_message += 1
            masked = Shape((), (), False, False)
        key = masked.key or _own_key(conditions)
        where = (self._seq, diagnosis.location)
        group = self._index.get(key)
        if group is None:
            if len(self._index) >= self.max_templates:
                self._compact()
            group = _Group(
                masked.tokens,
                key,
                0,
                where,
                where,
                list(masked.values),
                [len(v) for v in masked.values],
                [traits(v) for v in masked.values],
                conditions,
                open_end=masked.open_end,
                padded=masked.padded,
            )
            self._index[key] = group
        else:
            group.last = where
            _update(group, masked, key, conditions)
        group.count += 1
        if diagnosis.rule is not None:
            group.answered[diagnosis.rule] += 1
        # a new message, or a second record of the only one seen (examples show variety)
        if len(group.examples) < EXAMPLES and (
            len(group.examples) < 2 or all(m != message for m, _ in group.examples)
        ):
            record = json.dumps(redact_data(raw.value), ensure_ascii=False)
            if len(record) <= MAX_EXAMPLE_CHARS:
                group.examples.append((message, record))

    def _compact(self) -> None:
        """Merge alike shapes; then drop the rarest templates to half the cap."""
        groups = list({id(g): g for g in self._index.values()}.values())
        merged = [(_merge(c.tokens, members), members) for c, members in _clusters(groups)]
        merged.sort(key=lambda pair: -pair[0].count)
        keep = self.max_templates // 2
        for group, _ in merged[keep:]:
            self.stats.dropped_records += group.count
            self.stats.dropped_templates += 1
        kept = {id(old): new for new, members in merged[:keep] for old in members}
        index: dict[tuple[str, ...], _Group] = {}
        for new, _ in merged[:keep]:
            index[new.key] = new
        for key, old in self._index.items():  # the shapes already seen still find theirs
            if len(index) >= self.max_templates * 3 // 4:
                break
            if id(old) in kept:
                index.setdefault(key, kept[id(old)])
        self._index = index

    def templates(self) -> list[Template]:
        """Every template, most frequent first (ties: by text)."""
        groups = list({id(g): g for g in self._index.values()}.values())
        with_message = [g for g in groups if g.tokens]
        merged = [_merge(c.tokens, members) for c, members in _clusters(with_message)]
        merged.extend(g for g in groups if not g.tokens)
        found = [_template(g) for g in merged]
        found.sort(key=lambda t: (-t.count, t.text, repr(sorted(t.conditions.items()))))
        return found


def _own_key(conditions: dict[str, Any]) -> tuple[str, ...]:
    """The key of records without a message: their conditions."""
    return ("", *(repr(conditions[name]) for name in CONDITIONS))


def _update(group: _Group, masked: Shape, key: tuple[str, ...], conditions: dict[str, Any]) -> None:
    """Fold one more record into the group it was filed under."""
    if key == group.key:
        values: list[str] | tuple[str, ...] = masked.values
    else:  # a merged group, found under the key of one of its shapes: map the variables
        where = _var_positions(masked.tokens)
        values = [
            masked.values[where[p]] if p in where else masked.tokens[p][1:]
            for p, token in enumerate(group.tokens)
            if is_var(token)
        ]
    for n, value in enumerate(values):
        known = group.values[n]
        if known is not None and known != value and known.lower() != value.lower():
            group.values[n] = None
        group.longest[n] = max(group.longest[n], len(value))
        group.traits[n] |= traits(value)
    for name in CONDITIONS:
        if group.conditions[name] is not _MIXED and group.conditions[name] != conditions[name]:
            group.conditions = {**group.conditions, name: _MIXED}


def _template(group: _Group) -> Template:
    def location(where: tuple[int, Location | None]) -> str:
        return str(where[1]) if where[1] is not None else f"record {where[0]}"

    return Template(
        group.tokens,
        group.count,
        location(group.first),
        location(group.last),
        tuple(group.values),
        tuple(group.longest),
        tuple(group.traits),
        {k: v for k, v in group.conditions.items() if v is not _MIXED and v is not None},
        tuple(json.loads(record) for _, record in group.examples),
        tuple(message for message, _ in group.examples),
        group.answered,
        group.open_end,
        group.padded,
    )


@dataclass
class MineResult:
    templates: list[Template]
    stats: MineStats


def mine_records(
    records: Iterable[RawRecord],
    engine: Engine,
    *,
    include_wording: bool = False,
    max_templates: int = MAX_TEMPLATES,
    on_record: Callable[[int], None] | None = None,
) -> MineResult:
    """Classify every record and mine the templates of those the rules do not explain."""
    miner = Miner(engine, include_wording=include_wording, max_templates=max_templates)
    for index, raw in enumerate(records):
        miner.add(raw, engine.classify_raw(raw, index))
        if on_record is not None and index % 1000 == 0:
            on_record(index)
    return MineResult(miner.templates(), miner.stats)


def mine_paths(
    paths: list[str],
    engine: Engine,
    *,
    include_wording: bool = False,
    max_templates: int = MAX_TEMPLATES,
    progress: ReadProgress | None = None,
    on_record: Callable[[int], None] | None = None,
) -> MineResult:
    """`rules mine` as a library call: the templates of the files' unexplained records."""
    records: Iterator[RawRecord] = read_paths(paths, progress)
    return mine_records(
        records,
        engine,
        include_wording=include_wording,
        max_templates=max_templates,
        on_record=on_record,
    )
