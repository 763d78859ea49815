"""`rules lint`: warnings about rules that are valid but probably not what the author meant."""

from __future__ import annotations

from dataclasses import dataclass

from ._engine import Engine
from ._models import Rule
from ._regex import nested_quantifier


@dataclass(frozen=True)
class Finding:
    rule_id: str
    origin: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: warning: {self.rule_id}: {self.message}"


def lint(engine: Engine, only: set[str] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for rule in engine.rules:
        if only is not None and rule.rule_set not in only:
            continue
        findings.extend(_lint_rule(engine, rule))
    return findings


def _answers_differ(rule: Rule, other: Rule) -> bool:
    """A tie only matters when the two rules would answer differently."""
    return (rule.category, rule.retryable) != (other.category, other.retryable)


def _lint_rule(engine: Engine, rule: Rule) -> list[Finding]:
    origin = str(rule.origin)
    found: list[Finding] = []
    if not rule.examples:
        found.append(Finding(rule.id, origin, "has no examples: nothing proves it matches"))
    winners: set[str] = set()
    ties: set[str] = set()
    for record in rule.examples:
        candidates = engine.candidates(record)
        if not candidates:
            continue
        winners.add(candidates[0].rule.id)
        mine = next((c for c in candidates if c.rule.id == rule.id), None)
        for other in candidates:
            if (
                mine is not None
                and other.rule.id != rule.id
                and other.rank[:4] == mine.rank[:4]
                and _answers_differ(rule, other.rule)
            ):
                ties.add(other.rule.id)
    if rule.examples and rule.id not in winners:
        found.append(
            Finding(
                rule.id,
                origin,
                "can never win: for every one of its examples another rule wins "
                f"({', '.join(sorted(winners)) or 'none matches'})",
            )
        )
    found.extend(
        Finding(
            rule.id,
            origin,
            f"overlaps {other} with the same specificity: only load order decides; "
            "add a condition or a priority",
        )
        for other in sorted(ties)
    )
    for conditions in rule.match:
        for pattern in (conditions.message, conditions.text):
            if pattern is not None and nested_quantifier(pattern.pattern):
                found.append(
                    Finding(
                        rule.id,
                        origin,
                        f"regex {pattern.pattern!r} nests unbounded repeats: safe on RE2 here, "
                        "but catastrophic backtracking if reused with a backtracking engine",
                    )
                )
    return found
