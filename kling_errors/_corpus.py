"""Rule authoring against a stored log: `rules diff` (what a change reclassifies) and
`rules coverage` (which rules a log exercises)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._engine import Engine
from ._models import Diagnosis
from ._read import RawRecord


def _label(diagnosis: Diagnosis) -> str:
    return diagnosis.rule or diagnosis.outcome


@dataclass
class CorpusDiff:
    total: int = 0
    changed: int = 0
    transitions: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str, str, str], list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "changed": self.changed,
            "transitions": [
                {
                    "old_rule": old,
                    "new_rule": new,
                    "old_category": old_cat,
                    "new_category": new_cat,
                    "count": count,
                    "examples": self.examples[key],
                }
                for key, count in self.transitions.most_common()
                for old, new, old_cat, new_cat in [key]
            ],
        }

    def to_text(self) -> str:
        lines = [f"{self.changed} of {self.total} records change"]
        for key, count in self.transitions.most_common():
            old, new, old_cat, new_cat = key
            category = f"  [{old_cat} → {new_cat}]" if old_cat != new_cat else ""
            lines.append(f"  {count:>8}  {old} → {new}{category}")
            lines.append(f"            e.g. {', '.join(self.examples[key])}")
        return "\n".join(lines)


def diff(records: Iterable[RawRecord], old: Engine, new: Engine, keep: int = 3) -> CorpusDiff:
    """Classify every record with both rule sets; count what changes, old → new."""
    result = CorpusDiff()
    for index, raw in enumerate(records):
        before, after = old.classify_raw(raw, index), new.classify_raw(raw, index)
        result.total += 1
        if _label(before) == _label(after) and before.category == after.category:
            continue
        result.changed += 1
        key = (_label(before), _label(after), before.category or "-", after.category or "-")
        result.transitions[key] += 1
        seen = result.examples.setdefault(key, [])
        if len(seen) < keep:
            seen.append(str(after.location))
    return result


@dataclass
class Coverage:
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    never: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "outcomes": dict(self.outcomes.most_common()),
            "rules": dict(self.hits.most_common()),
            "never_reached": self.never,
        }

    def to_text(self) -> str:
        lines = [f"{self.total} records; {len(self.hits)} rules reached, {len(self.never)} never"]
        lines.extend(f"  {n:>8}  {rule_id}" for rule_id, n in self.hits.most_common())
        if self.never:
            lines.append("never reached:")
            lines.extend(f"            {rule_id}" for rule_id in self.never)
        return "\n".join(lines)


def coverage(records: Iterable[RawRecord], engine: Engine) -> Coverage:
    result = Coverage()
    for diagnosis in engine.classify_records(records):
        result.total += 1
        result.outcomes[diagnosis.outcome] += 1
        if diagnosis.rule:
            result.hits[diagnosis.rule] += 1
    result.never = [r.id for r in engine.rules if r.id not in result.hits]
    return result
