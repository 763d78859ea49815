"""`rules lint`: warnings about rules that are valid but probably not what the author meant.

Each warning comes from a small check class with a kebab-case ``id`` (after pySigma's
validators): the id is printed with every finding, so an author can look a warning up,
and a team can switch off a check it disagrees with (``lint(..., disabled=...)``) without
losing the others. The checks share one LintContext per run, so each example is
classified once however many checks read it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, ClassVar

from ._engine import Engine
from ._match import MAX_MATCH_CHARS, Candidate
from ._models import Conditions, Event, Rule
from ._output import RETRYABLE_NAMES
from ._regex import nested_quantifier


@dataclass(frozen=True)
class Finding:
    """One warning about one rule, tagged with the check that raised it."""

    rule_id: str
    origin: str
    message: str
    check_id: str
    severity: str = "warning"

    def __str__(self) -> str:
        return f"{self.origin}: {self.severity}[{self.check_id}]: {self.rule_id}: {self.message}"


@dataclass(frozen=True)
class ExampleRun:
    """One example of a rule and every rule that matches it, best first."""

    number: int  # 1-based, as `rules test` counts examples
    record: Any
    candidates: tuple[Candidate, ...]

    def of(self, rule: Rule) -> Candidate | None:
        """The rule's own candidate: None when its conditions do not match the example
        (the candidates hold every matching rule, not only the winner)."""
        return next((c for c in self.candidates if c.rule.id == rule.id), None)

    @property
    def winner(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class LintContext:
    """What the checks of one lint run share: the engine and, per rule, the candidates
    of each of its examples, computed on first need and then reused by every check."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._runs: dict[str, tuple[ExampleRun, ...]] = {}

    def examples(self, rule: Rule) -> tuple[ExampleRun, ...]:
        runs = self._runs.get(rule.id)
        if runs is None:
            runs = tuple(
                ExampleRun(number, record, tuple(self.engine.candidates(record)))
                for number, record in enumerate(rule.examples, start=1)
            )
            self._runs[rule.id] = runs
        return runs


class LintCheck:
    """One kind of lint warning.

    Subclasses set ``id`` (kebab-case, stable: users disable checks by it) and
    ``description`` (one line for `--help` and the docs) and implement ``check``; they
    hold no state, so one instance serves a whole run.
    """

    id: ClassVar[str]
    description: ClassVar[str]
    severity: ClassVar[str] = "warning"

    def check(self, context: LintContext, rule: Rule) -> list[Finding]:
        raise NotImplementedError

    def finding(self, rule: Rule, message: str) -> Finding:
        return Finding(rule.id, str(rule.origin), message, self.id, self.severity)


class NoExamples(LintCheck):
    """Examples are what `rules test` and the other checks run: without one nothing
    shows that the rule matches what its author saw."""

    id = "no-examples"
    description = "the rule has no examples, so nothing proves it matches"

    def check(self, context: LintContext, rule: Rule) -> list[Finding]:
        if rule.examples:
            return []
        return [self.finding(rule, "has no examples: nothing proves it matches")]


class ExampleNotMatched(LintCheck):
    """An example the rule's own conditions reject is a mistake in the rule (or the
    example), whatever the other rules do: say which example, and which condition."""

    id = "example-not-matched"
    description = "the rule's own conditions do not match one of its examples"

    def check(self, context: LintContext, rule: Rule) -> list[Finding]:
        return [
            self.finding(
                rule,
                f"its own conditions do not match example {run.number}"
                + why_not_matched(context.engine, rule, run.record),
            )
            for run in context.examples(rule)
            if run.of(rule) is None
        ]


class NeverWins(LintCheck):
    """A rule that matches its examples but always loses is dead knowledge: its answer
    is never given. Examples it does not match are example-not-matched's business."""

    id = "never-wins"
    description = "the rule matches its examples, but another rule wins on every one"

    def check(self, context: LintContext, rule: Rule) -> list[Finding]:
        runs = context.examples(rule)
        matched = [run for run in runs if run.of(rule) is not None]
        winners = {run.winner.rule.id for run in matched if run.winner is not None}
        if not matched or rule.id in winners:
            return []
        which = "its examples" if len(matched) == len(runs) else "the examples it matches"
        return [
            self.finding(
                rule,
                f"can never win: for every one of {which} another rule wins "
                f"({', '.join(sorted(winners))})",
            )
        ]


class AmbiguousOverlap(LintCheck):
    """When two rules tie on every precedence step but load order, which answer a
    record gets depends on file order: fragile, and only worth a warning when the two
    answers differ."""

    id = "ambiguous-overlap"
    description = "a rule of the same specificity matches an example and answers differently"

    def check(self, context: LintContext, rule: Rule) -> list[Finding]:
        ties: set[str] = set()
        for run in context.examples(rule):
            mine = run.of(rule)
            if mine is None:
                continue
            ties.update(
                other.rule.id
                for other in run.candidates
                if other.rule.id != rule.id
                and other.rank[:4] == mine.rank[:4]  # all but load order
                and _answers_differ(rule, other.rule)
            )
        return [
            self.finding(
                rule,
                f"overlaps {other} with the same specificity: only load order decides; "
                "add a condition or a priority",
            )
            for other in sorted(ties)
        ]


class TakesFromBuiltin(LintCheck):
    """A team's rule that wins records a built-in rule also explains overrides the
    built-in knowledge for them (`rules mine` drafts do, by design, when the wording tier
    already guessed): intended or not, the author should know which rule it replaces and
    whether the answer changes."""

    id = "takes-from-builtin"
    description = "a rule of yours wins an example a built-in rule also matches"

    def check(self, context: LintContext, rule: Rule) -> list[Finding]:
        if rule.rule_set == "builtin":
            return []
        taken: dict[str, Rule] = {}
        for run in context.examples(rule):
            if run.winner is None or run.winner.rule.id != rule.id:
                continue
            for other in run.candidates[1:]:
                if other.rule.rule_set == "builtin":
                    taken.setdefault(other.rule.id, other.rule)
        return [
            self.finding(
                rule,
                f"wins examples the built-in {other.id} also matches"
                + (
                    f" and answers them differently ({_answer(other)} -> {_answer(rule)})"
                    if _answers_differ(rule, other)
                    else " with the same answer: is the rule needed?"
                ),
            )
            for other in taken.values()
        ]


class NestedQuantifier(LintCheck):
    """RE2 makes such a regex safe here, but rules get copied into other tools whose
    engines backtrack: flag the pattern before it is reused."""

    id = "nested-quantifier"
    description = "a message or text regex nests unbounded repeats, like (a+)+"

    def check(self, context: LintContext, rule: Rule) -> list[Finding]:
        return [
            self.finding(
                rule,
                f"regex {pattern.pattern!r} nests unbounded repeats: safe on RE2 here, "
                "but catastrophic backtracking if reused with a backtracking engine",
            )
            for conditions in rule.match
            for pattern in (conditions.message, conditions.text)
            if pattern is not None and nested_quantifier(pattern.pattern)
        ]


# Every lint check, in the order its findings are listed for a rule.
LINT_CHECKS: tuple[LintCheck, ...] = (
    NoExamples(),
    ExampleNotMatched(),
    NeverWins(),
    AmbiguousOverlap(),
    TakesFromBuiltin(),
    NestedQuantifier(),
)


def lint(
    engine: Engine,
    only: Collection[str] | None = None,
    disabled: Collection[str] = frozenset(),
) -> list[Finding]:
    """Findings for the loaded rules (or those of the rule sets in ``only``), rule by
    rule, skipping the checks whose ids are in ``disabled``.

    An unknown id in ``disabled`` raises ValueError: a misspelt id would otherwise
    silently disable nothing.
    """
    known = [check.id for check in LINT_CHECKS]
    unknown = sorted(set(disabled) - set(known))
    if unknown:
        raise ValueError(
            f"unknown lint check {', '.join(map(repr, unknown))}; known checks: {', '.join(known)}"
        )
    checks = [check for check in LINT_CHECKS if check.id not in disabled]
    context = LintContext(engine)
    findings: list[Finding] = []
    for rule in engine.rules:
        if only is not None and rule.rule_set not in only:
            continue
        for check in checks:
            findings.extend(check.check(context, rule))
    return findings


def _answer(rule: Rule) -> str:
    return f"{rule.category}, retryable {RETRYABLE_NAMES[rule.retryable]}"


def _answers_differ(rule: Rule, other: Rule) -> bool:
    """A tie only matters when the two rules would answer differently."""
    return (rule.category, rule.retryable) != (other.category, other.retryable)


def why_not_matched(engine: Engine, rule: Rule, record: Any) -> str:
    """Which of the rule's conditions the example fails, as ": ..." (empty if unclear).

    Only runs for an example its rule does not match, so classifying it again to get
    its Event costs nothing on clean rule sets.
    """
    diagnosis = engine.classify(record)
    if diagnosis.outcome in ("not_an_error", "unreadable"):
        read_as = "not an error" if diagnosis.outcome == "not_an_error" else "unreadable"
        return f": it is read as {read_as} ({diagnosis.reason})"
    event = diagnosis.event
    if event is None:
        return ""
    failures = [_failed_conditions(conditions, event) for conditions in rule.match]
    if not failures:
        return ""
    nearest = min(range(len(failures)), key=lambda i: len(failures[i]))
    if not failures[nearest]:
        return ""  # the explanation disagrees with the matcher: say nothing wrong
    reasons = "; ".join(failures[nearest])
    if len(rule.match) == 1:
        return f": {reasons}"
    return (
        f": none of its {len(rule.match)} condition sets holds "
        f"(nearest, match[{nearest}]: {reasons})"
    )


def _failed_conditions(c: Conditions, event: Event) -> list[str]:
    """The conditions of one set that do not hold for the event, in words (as
    _match._holds decides them)."""
    failed: list[str] = []
    singles: list[tuple[str, Collection[object] | None, object]] = [
        ("service_code", c.service_code, event.service_code),
        ("http_status", c.http_status.codes if c.http_status else None, event.http_status),
        ("task_status", c.task_status, event.task_status),
        ("gateway", c.gateway, event.gateway),
        ("gateway_code", c.gateway_code, event.gateway_code),
    ]
    for name, wanted, value in singles:
        if wanted is not None and value not in wanted:
            failed.append(f"{name} does not hold ({_observed('', value)})")
    for name, pattern in c.headers:
        value = event.header(name)
        if value is None:
            failed.append(f"header {name} is absent from the example")
        elif pattern is not None and not pattern.search(value):
            failed.append(f"header {name} regex {pattern.pattern!r} does not match {_shown(value)}")
    message = (event.message or "")[:MAX_MATCH_CHARS]
    if c.message is not None and not (message and c.message.search(message)):
        failed.append(
            f"message regex {c.message.pattern!r} does not match "
            f"({_observed(' message', event.message)})"
        )
    text = (event.match_text or event.message or "")[:MAX_MATCH_CHARS]
    if c.text is not None and not c.text.search(text):
        # the text itself is not shown: it is the unredacted record
        failed.append(f"text regex {c.text.pattern!r} does not match the example")
    return failed


def _observed(what: str, value: object) -> str:
    """What the example holds for a field, e.g. "the example's message is 'x'"."""
    if value is None:
        return f"the example has no{what}" if what else "the example has none"
    return f"the example's{what} is {_shown(value)}"


def _shown(value: object) -> str:
    """A value of the example, short enough for a one-line warning."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"
