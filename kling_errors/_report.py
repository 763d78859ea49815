"""What `classify --report` shows, collected as records go by: counts per rule, failures
over time by category, the records' time span. Bounded whatever the log's length (time
buckets coarsen from minutes to hours to days), and mergeable, so `--jobs` workers each
collect their part and the parent adds them up. _report_html renders it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ._models import Diagnosis
from ._read import RawRecord
from ._vocabulary import Outcome

MAX_BUCKETS = 2_000  # then the buckets coarsen (minute -> hour -> day)
RESOLUTIONS = (60, 3_600, 86_400)
# Keys a structured log names its time with, most usual first.
TIME_KEYS = ("ts", "timestamp", "time", "@timestamp", "datetime", "logged_at", "date", "created_at")
# 2026-11-29 10:01:02,345 / [2026-11-29T10:01:02.345Z] at the start of a text line.
_TEXT_TIME = re.compile(
    r"^\W{0,2}(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
)
_EARLIEST, _LATEST = 946_684_800, 4_102_444_800  # 2000-01-01 .. 2100-01-01: else not a time


def record_time(value: Any) -> float | None:
    """When the record was logged (epoch seconds; a time without a zone is read as UTC),
    from a structured record's time key or a text line's leading timestamp; else None."""
    if isinstance(value, dict):
        for key in TIME_KEYS:
            if key in value:
                found = _time_of(value[key])
                if found is not None:
                    return found
        return None
    if isinstance(value, str):
        match = _TEXT_TIME.match(value)
        return _time_of(match.group(1)) if match else None
    return None


def _time_of(value: Any) -> float | None:
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value) / 1000 if value > _LATEST else float(value)  # milliseconds
    elif isinstance(value, str) and 10 <= len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.replace(",", ".").replace("Z", "+00:00"))
        except ValueError:
            return None
        seconds = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return seconds if seconds is not None and _EARLIEST <= seconds <= _LATEST else None


@dataclass
class RuleCount:
    """One rule's share of the run, and what its records were told."""

    count: int = 0
    title: str = ""
    category: str = ""
    retryable: bool | None = None
    severity: str = ""
    fix: str = ""  # the rule's first fix: what to do about all of its records
    strategy: str = ""
    first_delay: float | None = None
    max_attempts: int = 0


@dataclass
class ReportData:
    """Counts a report needs beyond the Summary (which counts outcomes and categories)."""

    rules: dict[str, RuleCount] = field(default_factory=dict)
    buckets: dict[int, Counter[str]] = field(default_factory=dict)  # start -> category counts
    resolution: int = RESOLUTIONS[0]
    timed: int = 0  # records with a time
    first: float | None = None
    last: float | None = None

    def add(self, raw: RawRecord, diagnosis: Diagnosis) -> None:
        if diagnosis.rule is not None:
            counted = self.rules.get(diagnosis.rule)
            if counted is None:
                counted = self.rules[diagnosis.rule] = _first_count(diagnosis)
            counted.count += 1
        if diagnosis.outcome not in (Outcome.MATCHED, Outcome.UNMATCHED):
            return
        when = record_time(raw.value) if raw.unreadable is None else None
        if when is None:
            return
        self.timed += 1
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)
        label = diagnosis.category or "unmatched"
        start = int(when) // self.resolution * self.resolution
        bucket = self.buckets.get(start)
        if bucket is None:
            bucket = self.buckets[start] = Counter()
        bucket[label] += 1
        if len(self.buckets) > MAX_BUCKETS:
            self._coarsen(self._coarser())

    def merge(self, other: ReportData) -> None:
        """Add another part of the same run (from a worker process)."""
        for rule_id, counted in other.rules.items():
            mine = self.rules.get(rule_id)
            if mine is None:
                self.rules[rule_id] = counted
            else:
                mine.count += counted.count
        resolution = max(self.resolution, other.resolution)
        self._coarsen(resolution)
        for start, counts in other.buckets.items():
            self.buckets.setdefault(start // resolution * resolution, Counter()).update(counts)
        self.timed += other.timed
        for when in (other.first, other.last):
            if when is not None:
                self.first = when if self.first is None else min(self.first, when)
                self.last = when if self.last is None else max(self.last, when)
        while len(self.buckets) > MAX_BUCKETS:
            self._coarsen(self._coarser())

    def _coarser(self) -> int:
        larger = [r for r in RESOLUTIONS if r > self.resolution]
        return larger[0] if larger else self.resolution * 7

    def _coarsen(self, resolution: int) -> None:
        if resolution == self.resolution:
            return
        merged: dict[int, Counter[str]] = {}
        for start, counts in self.buckets.items():
            merged.setdefault(start // resolution * resolution, Counter()).update(counts)
        self.buckets, self.resolution = merged, resolution


def _first_count(diagnosis: Diagnosis) -> RuleCount:
    advice = diagnosis.retry
    return RuleCount(
        title=diagnosis.title or "",
        category=str(diagnosis.category or ""),
        retryable=diagnosis.retryable,
        severity=str(diagnosis.severity or ""),
        fix=diagnosis.fixes[0].step if diagnosis.fixes else "",
        strategy=str(advice.strategy) if advice else "",
        first_delay=advice.delay_seconds if advice else None,
        max_attempts=advice.max_attempts if advice else 0,
    )
