"""Output: Diagnoses -> text blocks, JSON lines, a JSON array, or a summary.

Every logged string in a Diagnosis was redacted where it entered (the Event, or the reason
of an unreadable record), so formatting only escapes; tests/test_redaction.py checks every
output path.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

import click

from ._mine._templates import cluster, from_shown, shape, shown
from ._models import Diagnosis, Fix, RetryAdvice, fix_dict, retry_dict
from ._read import ReadProgress

# The escaping json.dumps(..., ensure_ascii=False) applies to a string (C-accelerated).
_encode_string = json.encoder.encode_basestring

FORMATS = ("text", "jsonl", "json")

_OUTCOME_STYLE = {
    "matched": ("MATCHED", "green"),
    "unmatched": ("UNMATCHED", "yellow"),
    "not_an_error": ("NOT AN ERROR", "blue"),
    "unreadable": ("UNREADABLE", "magenta"),
}


_EMPTY_RULE_PART = json.dumps(
    dict.fromkeys(("rule", "category", "retryable", "severity", "title"))
    | {"causes": [], "fixes": [], "source": None}
)[1:-1]


def _rule_part(diagnosis: Diagnosis) -> str:
    """The fields that come from the rule, as a JSON fragment (the same for every record)."""
    return json.dumps(
        {
            "rule": diagnosis.rule,
            "category": diagnosis.category,
            "retryable": diagnosis.retryable,
            "severity": diagnosis.severity,
            "title": diagnosis.title,
            "causes": list(diagnosis.causes),
            "fixes": [fix_dict(fix) for fix in diagnosis.fixes],
            "source": diagnosis.source,
        },
        ensure_ascii=False,
    )[1:-1]


def _text(value: str | None) -> str:
    """A JSON string (or null), escaped exactly as json.dumps(..., ensure_ascii=False) does."""
    return "null" if value is None else _encode_string(value)


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


class RecordEncoder:
    """Diagnosis -> one JSON object (schemas/diagnosis.schema.json), fast: the parts that
    come from the rule or the retry advice are encoded once and reused, and the rest is
    put together field by field instead of through a dict."""

    def __init__(self) -> None:
        self._rule_parts: dict[str, str] = {}
        self._retry_parts: dict[RetryAdvice, str] = {}

    def encode(self, diagnosis: Diagnosis, why: list[dict[str, Any]] | None = None) -> str:
        return f'{{"index": {diagnosis.index}' + self.tail(diagnosis, why)

    def tail(self, diagnosis: Diagnosis, why: list[dict[str, Any]] | None = None) -> str:
        """The record after its index: ``{"index": N`` + tail is the whole record."""
        if diagnosis.rule is None:
            rule_part = _EMPTY_RULE_PART
        else:
            rule_part = self._rule_parts.get(diagnosis.rule) or self._rule_parts.setdefault(
                diagnosis.rule, _rule_part(diagnosis)
            )
        advice = diagnosis.retry
        if advice is None:
            retry = "null"
        else:
            retry = self._retry_parts.get(advice) or self._retry_parts.setdefault(
                advice, json.dumps(retry_dict(advice))
            )
        location = None if diagnosis.location is None else str(diagnosis.location)
        why_part = "" if why is None else f', "why": {json.dumps(why, ensure_ascii=False)}'
        return (
            f', "outcome": {_text(diagnosis.outcome)}, '
            f'"service_code": {_number(diagnosis.service_code)}, '
            f'"http_status": {_number(diagnosis.http_status)}, '
            f'"message": {_text(diagnosis.message)}, '
            f'"remediation": {_text(diagnosis.remediation)}, "retry": {retry}, '
            f'"request_id": {_text(diagnosis.request_id)}, "task_id": {_text(diagnosis.task_id)}, '
            f'"gateway": {_text(diagnosis.gateway)}, '
            f'"gateway_code": {_text(diagnosis.gateway_code)}, '
            f'"reason": {_text(diagnosis.reason)}, '
            f'"location": {_text(location)}{why_part}, {rule_part}}}'
        )


_ENCODER = RecordEncoder()


def record_json(diagnosis: Diagnosis, why: list[dict[str, Any]] | None = None) -> str:
    return _ENCODER.encode(diagnosis, why)


def why_text(why: list[dict[str, Any]]) -> str:
    if not why:
        return "  why: no rule's conditions all held"
    lines = ["  why:"]
    for c in why:
        held = ", ".join(c["conditions"])
        verdict = "WON" if c["won"] else f"lost: {c['lost_because']}"
        lines.append(
            f"    {c['rule']}  [{verdict}]  held: {held}; priority {c['priority']}, "
            f"{c['conditions_held']} condition(s)"
        )
    return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _retry_line(diagnosis: Diagnosis) -> str:
    advice = diagnosis.retry
    if diagnosis.retryable is False or advice is None:
        return "no — change something first"
    verdict = "yes" if diagnosis.retryable else "unknown — at most a cautious retry"
    if advice.delay_seconds is None:
        return verdict
    how = advice.strategy.replace("_", " ")
    text = f"{verdict}; {how}, first wait {advice.delay_seconds:g} s"
    if advice.max_attempts:
        text += f", at most {plural(advice.max_attempts, 'attempt')}"
    return text


def knowledge_lines(causes: tuple[str, ...], fixes: tuple[Fix, ...]) -> list[str]:
    """Causes and numbered fixes (with their code) as indented text lines."""
    lines = ["  causes:", *(f"    - {cause}" for cause in causes), "  fixes:"]
    for number, fix in enumerate(fixes, start=1):
        lines.append(f"    {number}. {fix.step}")
        if fix.code:
            lines.extend(f"         {line}" for line in fix.code.rstrip().splitlines())
    return lines


def text_block(diagnosis: Diagnosis, color: bool) -> str:
    return f"#{diagnosis.index}" + _text_tail(diagnosis, color)


def _text_tail(diagnosis: Diagnosis, color: bool) -> str:
    """The text block after its ``#index``."""

    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    label, colour = _OUTCOME_STYLE[diagnosis.outcome]
    where = f"  {diagnosis.location}" if diagnosis.location else ""
    head = f"{where}  {style(label, fg=colour, bold=True)}"
    if diagnosis.category:
        head += f"  {style(diagnosis.category, bold=True)}  {diagnosis.rule}"
    lines = [head]
    facts = []
    if diagnosis.http_status is not None:
        facts.append(f"HTTP {diagnosis.http_status}")
    if diagnosis.service_code is not None:
        facts.append(f"code {diagnosis.service_code}")
    if diagnosis.gateway:
        facts.append(f"via {diagnosis.gateway}")
    if diagnosis.gateway_code:
        facts.append(f"gateway code {diagnosis.gateway_code}")
    if diagnosis.request_id:
        facts.append(f"request {diagnosis.request_id}")
    if diagnosis.task_id:
        facts.append(f"task {diagnosis.task_id}")
    if facts:
        lines.append("  " + " · ".join(facts))
    if diagnosis.title:
        lines.append("  " + style(diagnosis.title, bold=True))
    if diagnosis.message:
        lines.append(f"  message: {diagnosis.message}")
    if diagnosis.reason:
        lines.append(f"  reason:  {diagnosis.reason}")
    if diagnosis.outcome == "matched":
        lines.append(f"  retry:   {_retry_line(diagnosis)}")
        if diagnosis.remediation:
            lines.append(f"  what to do: {diagnosis.remediation}")
        lines.extend(knowledge_lines(diagnosis.causes, diagnosis.fixes))
    elif diagnosis.outcome == "unmatched" and diagnosis.remediation:
        lines.append(f"  {diagnosis.remediation}")
    return "\n".join(lines)


class Writer:
    """Writes diagnoses in one format as they come (streaming, nothing held).

    A record is formatted in two parts, its index and the rest (``tail``), so that records
    formatted in worker processes, which cannot know their index in the whole input, are
    numbered when written (_parallel): one formatting path whatever the number of jobs.
    """

    def __init__(self, out: TextIO, fmt: str, color: bool = False) -> None:
        self.out = out
        self.fmt = fmt
        self.color = color
        self.count = 0
        self._encoder = RecordEncoder()
        self._head = "#" if fmt == "text" else '{"index": '

    def tail(self, diagnosis: Diagnosis, why: list[dict[str, Any]] | None = None) -> str:
        """One record as this format shows it, without its index (``why``: `--why`)."""
        if self.fmt != "text":
            return self._encoder.tail(diagnosis, why)
        block = _text_tail(diagnosis, self.color)
        return block if why is None else block + "\n" + why_text(why)

    def write(self, index: int, tail: str) -> None:
        """Write one record (numbered ``index``) with the format's separators."""
        record = f"{self._head}{index}{tail}"
        if self.fmt == "text":
            self.out.write(("\n" if self.count else "") + record + "\n")
        elif self.fmt == "jsonl":
            self.out.write(record + "\n")
        else:
            self.out.write(("[\n" if self.count == 0 else ",\n") + record)
        self.count += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("[]\n" if self.count == 0 else "\n]\n")


def message_shape(message: str) -> str:
    """A message with its variables (numbers, ids, quoted values, URLs, paths, times...)
    shown as ``#``, so similar failures count together: the shape `rules mine` starts from
    (kling_errors._mine._templates)."""
    return shown(shape(message).tokens) if message.strip() else message


# Distinct unmatched shapes a Summary holds; past it alike ones merge into their templates
# and, if that is not enough, the rarest are counted together as OTHER_MESSAGES.
MAX_UNMATCHED_SHAPES = 10_000
OTHER_MESSAGES = "(rarer messages, not grouped)"
SHOWN_CHARS = 200


def unmatched_templates(shapes: Counter[str]) -> list[tuple[str, int]]:
    """Shapes (as message_shape shows them) merged into templates, as `rules mine` merges
    them: (template, count), most frequent first, ties by text."""
    keys = list(shapes)
    clusters = cluster([(from_shown(key), shapes[key]) for key in keys])
    found: Counter[str] = Counter()
    for c in clusters:
        # a template of one shape keeps its text (a literal '#' stays as it was shown)
        text = keys[c.members[0]] if len(c.members) == 1 else shown(c.tokens)
        found[text] += c.count
    return sorted(found.items(), key=lambda item: (-item[1], item[0]))


# How `retryable` is written in counts and messages (as JSON spells it).
RETRYABLE_NAMES = {True: "true", False: "false", None: "null"}


@dataclass
class Summary:
    """Counts by outcome, category and rule, and the most frequent unmatched messages."""

    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    retryable: Counter[str] = field(default_factory=Counter)
    unmatched: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[str] = field(default_factory=Counter)

    def add(self, diagnosis: Diagnosis) -> None:
        self.total += 1
        self.outcomes[diagnosis.outcome] += 1
        if diagnosis.outcome == "matched":
            self.categories[diagnosis.category or "?"] += 1
            self.rules[diagnosis.rule or "?"] += 1
            self.retryable[RETRYABLE_NAMES[diagnosis.retryable]] += 1
        elif diagnosis.outcome == "unmatched":
            self.unmatched[message_shape(diagnosis.message or "(no message)")] += 1
            if len(self.unmatched) > MAX_UNMATCHED_SHAPES:
                self._bound_unmatched()
        elif diagnosis.outcome == "unreadable":
            self.unreadable[diagnosis.reason or "?"] += 1

    def merge(self, other: Summary) -> None:
        """Add another part of the same run's counts (from a worker process)."""
        self.total += other.total
        self.outcomes.update(other.outcomes)
        self.categories.update(other.categories)
        self.rules.update(other.rules)
        self.retryable.update(other.retryable)
        self.unmatched.update(other.unmatched)
        if len(self.unmatched) > MAX_UNMATCHED_SHAPES:
            self._bound_unmatched()
        self.unreadable.update(other.unreadable)

    def _bound_unmatched(self) -> None:
        """Keep memory bounded on a log of all-different messages: merge the shapes into
        templates, then count the rarest (past half the cap) as OTHER_MESSAGES."""
        merged = unmatched_templates(self.unmatched)
        keep = MAX_UNMATCHED_SHAPES // 2
        self.unmatched = Counter(dict(merged[:keep]))
        rest = sum(n for _, n in merged[keep:])
        if rest:
            self.unmatched[OTHER_MESSAGES] += rest

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "total": self.total,
            "outcomes": dict(self.outcomes.most_common()),
            "categories": dict(self.categories.most_common()),
            "rules": dict(self.rules.most_common()),
            "retryable": dict(self.retryable.most_common()),
            "top_unmatched": [
                {"message": m[:SHOWN_CHARS], "count": n}
                for m, n in unmatched_templates(self.unmatched)[:top]
            ],
            "unreadable": dict(self.unreadable.most_common(top)),
        }

    def to_text(self, top: int = 10) -> str:
        data = self.to_dict(top)
        lines = [f"{self.total} records"]
        for title, key in (
            ("outcome", "outcomes"),
            ("category", "categories"),
            ("rule", "rules"),
            ("retryable", "retryable"),
            ("unreadable", "unreadable"),
        ):
            if data[key]:
                lines.append(f"by {title}:")
                lines.extend(f"  {n:>8}  {name}" for name, n in data[key].items())
        if data["top_unmatched"]:
            lines.append("most frequent unmatched messages:")
            lines.extend(f"  {u['count']:>8}  {u['message']}" for u in data["top_unmatched"])
        return "\n".join(lines)


class ProgressLine:
    """`12,000 records · 5,400/s · 38% · ETA 9 s` on stderr, redrawn at most twice a second."""

    def __init__(self, out: TextIO, progress: ReadProgress) -> None:
        self.out, self.progress = out, progress
        self.start = self.last = time.monotonic()
        self.shown = False

    def update(self, records: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        rate = records / max(now - self.start, 1e-9)
        text = f"{records:,} records · {rate:,.0f}/s"
        total = self.progress.total
        if total:
            share = min(self.progress.bytes_read / total, 1.0)
            eta = (now - self.start) * (1 - share) / share if share > 0 else 0.0
            text += f" · {share:.0%} · ETA {eta:,.0f} s"
        self.out.write(f"\r{text}\x1b[K")
        self.out.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.out.write("\r\x1b[K")
            self.out.flush()
