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


# What a user sees of an answer, beyond its rule and category (which every transition
# names): a change in any of these is a change `rules diff` reports, old -> new.
ANSWER_FIELDS = ("retryable", "retry", "severity", "title", "advice")


def _retry_words(diagnosis: Diagnosis, engine: Engine) -> str:
    """The retry advice as one phrase: strategy, first wait, growth, ceilings."""
    advice = diagnosis.retry
    if advice is None or advice.strategy == "none":
        return "none"
    parts = [str(advice.strategy)]
    if advice.delay_seconds is not None:
        parts.append(f"first wait {advice.delay_seconds:g} s")
    rule = engine.rules.get(diagnosis.rule) if diagnosis.rule else None
    if rule is not None and rule.retry.multiplier != 1 and advice.strategy != "resign_token":
        parts.append(f"times {rule.retry.multiplier:g}")
    if advice.max_delay:
        parts.append(f"at most {advice.max_delay:g} s apart")
    if advice.max_attempts:
        parts.append(f"{advice.max_attempts} attempt{'s' * (advice.max_attempts != 1)}")
    if not advice.honour_retry_after:
        parts.append("ignores Retry-After")
    return ", ".join(parts)


def _answer(diagnosis: Diagnosis, engine: Engine) -> dict[str, str]:
    """The parts of an answer a diff compares, each as the text shown for it."""
    retryable = {True: "yes", False: "no", None: "unknown"}[diagnosis.retryable]
    advice = (diagnosis.causes, diagnosis.fixes, diagnosis.remediation)
    return {
        "retryable": retryable if diagnosis.is_error else "-",
        "retry": _retry_words(diagnosis, engine),
        "severity": diagnosis.severity or "-",
        "title": diagnosis.title or "-",
        # causes, fixes and the rendered remediation: compared, reported as changed
        "advice": repr(advice),
    }


@dataclass
class CorpusDiff:
    """Records whose answer changes, grouped by (old rule, new rule, old category, new
    category, the other answer fields that change: (field, old, new), ...)."""

    total: int = 0
    changed: int = 0
    transitions: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    examples: dict[tuple[Any, ...], list[str]] = field(default_factory=dict)

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
                    "changes": {
                        name: {"old": before, "new": after}
                        for name, before, after in changes
                        if name != "advice"
                    },
                    "advice_changed": any(name == "advice" for name, _, _ in changes),
                    "count": count,
                    "examples": self.examples[key],
                }
                for key, count in self.transitions.most_common()
                for old, new, old_cat, new_cat, changes in [key]
            ],
        }

    def to_text(self) -> str:
        lines = [f"{self.changed} of {self.total} records change"]
        for key, count in self.transitions.most_common():
            old, new, old_cat, new_cat, changes = key
            category = f"  [{old_cat} → {new_cat}]" if old_cat != new_cat else ""
            rules = f"{old} → {new}" if old != new else old
            lines.append(f"  {count:>8}  {rules}{category}")
            for name, before, after in changes:
                if name == "advice":
                    lines.append("            advice: causes, fixes or remediation text changed")
                elif len(before) + len(after) > 60:  # one line each, arrows aligned
                    lines.append(f"            {name}: {before}")
                    lines.append(f"            {' ' * len(name)}  → {after}")
                else:
                    lines.append(f"            {name}: {before} → {after}")
            lines.append(f"            e.g. {', '.join(self.examples[key])}")
        return "\n".join(lines)


def diff(records: Iterable[RawRecord], old: Engine, new: Engine, keep: int = 3) -> CorpusDiff:
    """Classify every record with both rule sets; count what changes, old → new.

    A record changes when its rule or category does, or anything else of the answer a
    user acts on (ANSWER_FIELDS): whether to retry, the retry schedule, the severity,
    the title, the advice text. When the rule itself changes, its title and advice
    naturally change with it and are not listed again.
    """
    result = CorpusDiff()
    for index, raw in enumerate(records):
        before, after = old.classify_raw(raw, index), new.classify_raw(raw, index)
        result.total += 1
        was, now = _answer(before, old), _answer(after, new)
        same_rule = _label(before) == _label(after)
        changes = tuple(
            (name, was[name], now[name])
            for name in ANSWER_FIELDS
            if was[name] != now[name] and (same_rule or name in ("retryable", "retry"))
        )
        if same_rule and before.category == after.category and not changes:
            continue
        result.changed += 1
        shown = tuple(
            (name, b, a) if name != "advice" else (name, "", "")  # the texts: per record
            for name, b, a in changes
        )
        key = (_label(before), _label(after), before.category or "-", after.category or "-", shown)
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
