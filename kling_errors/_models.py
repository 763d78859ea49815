"""The data model: frozen dataclasses shared by every stage of the flow.

input record -> Event -> (matching Rule) -> Diagnosis
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._redact import redact
from ._vocabulary import Category, Outcome, Severity, Shape, SourceKind, Strategy

if TYPE_CHECKING:
    from ._regex import Pattern


@dataclass(frozen=True)
class Location:
    """Where something came from: an input record or a rule definition."""

    path: str
    line: int | None = None
    item: int | None = None  # position inside a JSON array or HAR file

    def __str__(self) -> str:
        text = self.path if self.line is None else f"{self.path}:{self.line}"
        return text if self.item is None else f"{text}[{self.item}]"


@dataclass(frozen=True)
class Event:
    """One failed (or not) API interaction, whatever shape it was logged in.

    Every string shown here has been redacted of secrets. ``match_text`` — all the record's
    text, which `text` rule conditions search — is not: it is never shown (not in repr, not
    in any output), and ``text`` gives it redacted when asked.
    """

    http_status: int | None = None
    service_code: int | None = None
    message: str | None = None
    request_id: str | None = None
    task_id: str | None = None
    task_status: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    retry_after: float | None = None
    endpoint: str | None = None
    method: str | None = None
    gateway: str | None = None
    gateway_code: str | None = None
    match_text: str = field(default="", repr=False)
    shape: Shape | None = None

    @property
    def text(self) -> str:
        """The record's whole text, redacted (see the class docstring)."""
        return redact(self.match_text)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def template_fields(self) -> dict[str, Any]:
        """The names a remediation template may use (see TEMPLATE_FIELDS)."""
        return {
            "http_status": self.http_status,
            "service_code": self.service_code,
            "message": self.message,
            "request_id": self.request_id,
            "task_id": self.task_id,
            "task_status": self.task_status,
            "retry_after": self.retry_after,
            "endpoint": self.endpoint,
            "method": self.method,
            "gateway": self.gateway,
            "gateway_code": self.gateway_code,
        }


# Names a rule's remediation template can refer to: the event's fields plus `rule`
# (id, title, category) and `delay` (the suggested wait in seconds, or None).
TEMPLATE_FIELDS: frozenset[str] = frozenset(
    [*Event().template_fields(), "rule", "delay", "headers"]
)


@dataclass(frozen=True)
class Fix:
    """One remediation step, optionally with a code snippet."""

    step: str
    code: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class DocLink:
    title: str
    url: str


@dataclass(frozen=True)
class Source:
    """Where a rule's knowledge comes from (official table, observed log, gateway doc...)."""

    kind: SourceKind
    ref: str
    url: str | None = None


MAX_RETRY_AFTER = 86_400.0  # a Retry-After beyond a day is no schedule a client can keep


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry an error of this kind. ``strategy == "none"`` means do not retry."""

    strategy: Strategy = Strategy.NONE
    initial_delay: float = 0.0
    max_delay: float = 0.0
    max_attempts: int = 0
    multiplier: float = 2.0
    honour_retry_after: bool = True

    def delay(self, attempt: int = 1, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt`` (1-based); None: do not retry.

        The first retry waits ``initial_delay`` (the documented first wait); an attempt
        below 1 (a 0-based loop) counts as the first, never as a shorter wait.
        """
        attempt = max(attempt, 1)
        if self.strategy == "none" or (self.max_attempts and attempt > self.max_attempts):
            return None
        if retry_after is not None and self.honour_retry_after:
            # a server's Retry-After is honoured up to the rule's own ceiling, never beyond
            return min(max(0.0, retry_after), self.max_delay or MAX_RETRY_AFTER)
        wait = self.initial_delay * (self.multiplier ** (attempt - 1))
        return min(wait, self.max_delay) if self.max_delay else wait


@dataclass(frozen=True)
class StatusCondition:
    """An HTTP status condition: one code, a list of codes, or a class such as 5xx."""

    codes: frozenset[int]
    precision: int  # 3 = one code, 2 = a list, 1 = a class (4xx/5xx)

    def __contains__(self, status: object) -> bool:
        return status in self.codes


@dataclass(frozen=True)
class Conditions:
    """One set of conditions; all present ones must hold (logical AND)."""

    http_status: StatusCondition | None = None
    service_code: frozenset[int] | None = None
    message: Pattern | None = None
    text: Pattern | None = None
    task_status: frozenset[str] | None = None
    headers: tuple[tuple[str, Pattern | None], ...] = ()
    gateway: frozenset[str] | None = None
    gateway_code: frozenset[str] | None = None

    @property
    def count(self) -> int:
        singles = (
            self.http_status,
            self.service_code,
            self.message,
            self.text,
            self.task_status,
            self.gateway,
            self.gateway_code,
        )
        return sum(1 for c in singles if c is not None) + len(self.headers)

    def names(self) -> tuple[str, ...]:
        found = [
            name
            for name in (
                "http_status",
                "service_code",
                "message",
                "text",
                "task_status",
                "gateway",
                "gateway_code",
            )
            if getattr(self, name) is not None
        ]
        found.extend(f"header:{name}" for name, _ in self.headers)
        return tuple(found)


@dataclass(frozen=True)
class Rule:
    """One piece of error knowledge, as loaded from a rule file."""

    id: str
    title: str
    category: Category
    severity: Severity
    match: tuple[Conditions, ...]
    causes: tuple[str, ...]
    fixes: tuple[Fix, ...]
    retryable: bool | None
    retry: RetryPolicy
    source: Source
    origin: Location
    summary: str = ""
    priority: int = 0
    expected_status: int | None = None
    remediation: str | None = None
    docs: tuple[DocLink, ...] = ()
    examples: tuple[Any, ...] = ()
    counter_examples: tuple[Any, ...] = ()
    rule_set: str = ""  # "builtin" or the --rules path it came from
    extends: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class RetryAdvice:
    """What to do about retrying this particular record."""

    retryable: bool | None
    strategy: Strategy
    delay_seconds: float | None
    max_attempts: int
    max_delay: float
    honour_retry_after: bool
    initial_delay: float = 0.0  # the schedule: wait n = initial_delay * multiplier**(n - 1)
    multiplier: float = 1.0


@dataclass(frozen=True)
class Diagnosis:
    """The answer for one input record: one of these per record, always."""

    index: int
    outcome: Outcome
    rule: str | None = None
    category: Category | None = None
    retryable: bool | None = None
    severity: Severity | None = None
    service_code: int | None = None
    http_status: int | None = None
    title: str | None = None
    message: str | None = None
    causes: tuple[str, ...] = ()
    fixes: tuple[Fix, ...] = ()
    remediation: str | None = None
    retry: RetryAdvice | None = None
    request_id: str | None = None
    task_id: str | None = None
    gateway: str | None = None
    gateway_code: str | None = None  # a gateway's own error code or type (fal, Kie, OpenAI-style)
    reason: str | None = None
    source: SourceKind | None = None
    location: Location | None = None
    event: Event | None = field(default=None, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.outcome in (Outcome.MATCHED, Outcome.UNMATCHED)

    def to_dict(self) -> dict[str, Any]:
        """The published output record (schemas/diagnosis.schema.json)."""
        return {
            "index": self.index,
            "outcome": self.outcome,
            "rule": self.rule,
            "category": self.category,
            "retryable": self.retryable,
            "severity": self.severity,
            "service_code": self.service_code,
            "http_status": self.http_status,
            "title": self.title,
            "message": self.message,
            "causes": list(self.causes),
            "fixes": [fix_dict(fix) for fix in self.fixes],
            "remediation": self.remediation,
            "retry": retry_dict(self.retry) if self.retry is not None else None,
            "request_id": self.request_id,
            "task_id": self.task_id,
            "gateway": self.gateway,
            "gateway_code": self.gateway_code,
            "reason": self.reason,
            "source": self.source,
            "location": str(self.location) if self.location is not None else None,
        }


def fix_dict(fix: Fix) -> dict[str, str]:
    found = {"step": fix.step, "code": fix.code, "language": fix.language}
    return {k: v for k, v in found.items() if v is not None}


def retry_dict(advice: RetryAdvice) -> dict[str, Any]:
    return {
        "retryable": advice.retryable,
        "strategy": advice.strategy,
        "delay_seconds": advice.delay_seconds,
        "max_attempts": advice.max_attempts,
        "max_delay": advice.max_delay,
        "honour_retry_after": advice.honour_retry_after,
        "initial_delay": advice.initial_delay,
        "multiplier": advice.multiplier,
    }


def retry_text(rule: Rule) -> str:
    """The retry policy of a rule in one sentence (explain, docs)."""
    policy = rule.retry
    head = {True: "Yes", False: "No", None: "Unknown whether it helps"}[rule.retryable]
    if policy.strategy == "none":
        return f"{head}."
    how = {
        "backoff": "exponential backoff",
        "resign_token": "sign a fresh token, then retry",
        "wait_for_capacity": "wait for a running task to end, or back off",
    }[policy.strategy]
    parts = [f"first wait {policy.initial_delay:g} s"]
    if policy.multiplier != 1 and policy.strategy != "resign_token":
        parts.append(f"times {policy.multiplier:g} each attempt")
    if policy.max_delay:
        parts.append(f"at most {policy.max_delay:g} s between attempts")
    if policy.max_attempts:
        parts.append(f"at most {policy.max_attempts} attempt{'s' * (policy.max_attempts != 1)}")
    if policy.honour_retry_after:
        parts.append("Retry-After wins when sent")
    return f"{head}: {how}; {', '.join(parts)}."
