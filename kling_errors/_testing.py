"""Running a rule set's own examples: each must be explained by its rule, and each
counter-example must not be (Semgrep-style: a rule carries the records that prove it).

A failed example says why in words: the rule's own conditions do not match it (and
which condition fails, on what value), or they do but another rule wins (and on which
precedence step) — blaming precedence for a regex that simply does not match sends an
author looking in the wrong place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._engine import Engine
from ._lint import why_not_matched
from ._match import why_lost
from ._models import Rule


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    kind: str  # "example" | "counter_example"
    number: int
    passed: bool
    got: str  # the rule that won, or the outcome when none did
    origin: str
    why: str = ""  # for a failure: what went wrong, in words

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        text = f"{status} {self.rule_id} {self.kind} #{self.number} ({self.origin}): "
        if self.passed or not self.why:
            expect = "matches" if self.kind == "example" else "does not match"
            return text + f"expected it {expect} {self.rule_id}, got {self.got}"
        return text + self.why


def run_examples(engine: Engine, only: set[str] | None = None) -> list[ExampleResult]:
    """Every example of every loaded rule (or of rules from the rule sets in ``only``)."""
    results = []
    for rule in engine.rules:
        if only is not None and rule.rule_set not in only:
            continue
        for kind, records in (
            ("example", rule.examples),
            ("counter_example", rule.counter_examples),
        ):
            for number, record in enumerate(records, start=1):
                diagnosis = engine.classify(record)
                got = diagnosis.rule or diagnosis.outcome
                passed = (got == rule.id) if kind == "example" else (got != rule.id)
                why = ""
                if not passed:
                    why = (
                        _example_failed(engine, rule, record, got)
                        if kind == "example"
                        else f"its conditions match it, and {rule.id} wins; a counter-example"
                        " must be answered by another rule (or none)"
                    )
                results.append(
                    ExampleResult(rule.id, kind, number, passed, got, str(rule.origin), why)
                )
    return results


def _example_failed(engine: Engine, rule: Rule, record: Any, got: str) -> str:
    """Why an example is not answered by its rule: its conditions, or precedence."""
    candidates = engine.candidates(record)
    mine = next((c for c in candidates if c.rule.id == rule.id), None)
    if mine is None:
        why = why_not_matched(engine, rule, record)
        instead = f"; {got} answers it" if engine.rules.get(got) is not None else ""
        return f"its own conditions do not match it{why}{instead}"
    winner = candidates[0]
    return (
        f"its conditions match it, but {winner.rule.id} wins on precedence ({rule.id}: "
        f"{why_lost(winner.rank, mine.rank)}; see `classify --why`)"
    )
