"""Running a rule set's own examples: each must be explained by its rule, and each
counter-example must not be (Semgrep-style: a rule carries the records that prove it)."""

from __future__ import annotations

from dataclasses import dataclass

from ._engine import Engine


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    kind: str  # "example" | "counter_example"
    number: int
    passed: bool
    got: str  # the rule that won, or the outcome when none did
    origin: str

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        expect = "matches" if self.kind == "example" else "does not match"
        return (
            f"{status} {self.rule_id} {self.kind} #{self.number} ({self.origin}): "
            f"expected it {expect} {self.rule_id}, got {self.got}"
        )


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
                results.append(ExampleResult(rule.id, kind, number, passed, got, str(rule.origin)))
    return results
