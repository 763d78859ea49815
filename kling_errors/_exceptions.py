"""Errors raised by kling-errors.

Two separate families, because they mean different things to the caller::

    KlingErrorsError          the tool itself cannot do its job (exit code attached)
    ├── RuleError             a rule file is invalid: every problem with file:line:column
    │   └── ConfigError       the project config is invalid (same form, its own hint)
    ├── InputError            an input file cannot be opened, or is not what the command reads
    ├── OutputError           the report cannot go where asked (no directory, or an input)
    └── ResponseNotReadError  (also a RuntimeError) a response's body was not read and
                              cannot be read here: an async stream in sync code, a stream
                              already consumed; the message says what to call instead

    KlingAPIError             the Kling API (or a gateway in front of it) answered with an
    │                         error; raised by ``raise_for_error`` with the Diagnosis; one
    │                         subclass per category of the taxonomy (README "Outputs"):
    ├── AuthError                 auth               1000-1004, a bare 401
    ├── QuotaError                quota_billing      1100-1102, a gateway's "no credit"
    ├── PermissionDeniedError     permission         1103, 1304, a bare 403
    ├── InvalidRequestError       invalid_request    1200-1202, invalid input media
    ├── NotFoundError             not_found          1203, a bare 404
    ├── ContentPolicyError        content_policy     1300, 1301, a risk-control task failure
    ├── RateLimitError            rate_limit         1302, a gateway's 429
    ├── ConcurrencyLimitError     concurrency_limit  1303
    ├── ServerError               server_error       5000, 5001, 500/502/503
    ├── KlingTimeoutError         timeout            5002, 504, read timeouts (also a
    │                                                builtin TimeoutError)
    ├── NetworkError              network            DNS, refused, reset, TLS (also a
    │                                                builtin ConnectionError)
    ├── GenerationFailedError     generation_failed  a task failed for another reason
    └── UnmatchedError            an error no rule explains (outcome ``unmatched``)

A malformed *record* inside a readable input never raises: it becomes an ``unreadable``
output record with a reason, so one bad line never loses the rest of a log.

A KlingAPIError pickles with its Diagnosis and retry policy (a worker process can raise one
through ``concurrent.futures``); its ``response`` stays behind, as client responses hold
sockets.

Over 400 lines because the typed errors, one small class per category, belong next to the
tree drawn above and the tool's own errors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from ._redact import redact
from ._vocabulary import Category, Outcome, Strategy

if TYPE_CHECKING:
    from ._models import Diagnosis, RetryPolicy


MAX_PROBLEM_CHARS = 300

# Exit codes of the CLI, documented in the README.
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_BAD_RULES = 3
EXIT_BAD_INPUT = 4
EXIT_UNMATCHED = 5
EXIT_CHECK_FAILED = 6  # a check failed: rules test/lint --strict/eval, docs --check, check-request


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a rule file, pointing at the exact place.

    A message may quote the file (a value of the wrong type, a line YAML cannot parse), and
    the file may not be a rule file at all (a symlink, a path in a config): it quotes at most
    a short, redacted excerpt.
    """

    path: str
    line: int | None
    column: int | None
    message: str
    hint: str = ""
    field: str = ""

    def __post_init__(self) -> None:
        message = redact(self.message)
        if len(message) > MAX_PROBLEM_CHARS:
            message = message[: MAX_PROBLEM_CHARS - 1] + "…"
        object.__setattr__(self, "message", message)

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.field:
            text = f"{where}: {self.field}: {self.message}"
        return text


class KlingErrorsError(Exception):
    """Base of the tool's own errors; ``exit_code`` is what the CLI exits with."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class RuleError(KlingErrorsError):
    """A rule set failed to load; nothing from it was used."""

    exit_code = EXIT_BAD_RULES
    subject = "rule files"
    default_hint = "fix the rule file; `kling-errors rules validate PATH` lists every problem"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.path, p.line or 0, p.column or 0, p.message)
        )
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{first}{more}", first.hint or self.default_hint)


class ConfigError(RuleError):
    """The project config (kling-errors.yaml, [tool.kling-errors]) is invalid; nothing ran."""

    subject = "the project config"
    default_hint = "fix the config (schema: schemas/config.schema.json), or run with --no-config"


class InputError(KlingErrorsError):
    """An input file could not be opened, or is not in the form the command reads."""

    exit_code = EXIT_BAD_INPUT


class OutputError(KlingErrorsError):
    """The output cannot be written where asked (no directory, or it is an input)."""

    exit_code = EXIT_USAGE


class ResponseNotReadError(KlingErrorsError, RuntimeError):
    """A response's body was not read, and reading it here would lose or block on it.

    The message names the call that works: ``await response.aread()`` / ``await
    araise_for_error(response)`` for an async stream, or passing the body yourself when the
    stream was already consumed. Never raised for a body that was read.
    """

    exit_code = EXIT_USAGE


# A log field is a flat value any logging handler or JSON formatter can take.
LogValue = str | int | float | bool | None


class KlingAPIError(Exception):
    """Kling (or a gateway in front of it) answered with an error.

    Carries the full Diagnosis so a caller can decide whether and when to retry without
    parsing anything: ``err.retryable``, ``err.retry_after``, ``err.category``; the rule's
    retry schedule is ``err.retry_policy`` (see ``kling_errors.retry``). ``raise_for_error``
    raises the subclass of the error's category (module docstring), built by
    ``KlingAPIError.from_diagnosis``.
    """

    # The category this class stands for; None for KlingAPIError itself and UnmatchedError.
    for_category: ClassVar[Category | None] = None

    def __init__(
        self,
        diagnosis: Diagnosis,
        *,
        response: Any = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.diagnosis = diagnosis
        # The client's response object (requests, httpx, aiohttp) when there was one.
        self.response = response
        # The matched rule's retry schedule (initial delay, multiplier, limits).
        self.retry_policy = retry_policy
        parts = [p for p in (diagnosis.title, diagnosis.message) if p]
        codes = []
        if diagnosis.http_status is not None:
            codes.append(f"HTTP {diagnosis.http_status}")
        if diagnosis.service_code is not None:
            codes.append(f"code {diagnosis.service_code}")
        prefix = f"[{', '.join(codes)}] " if codes else ""
        super().__init__(prefix + (": ".join(parts) or diagnosis.outcome))

    @classmethod
    def from_diagnosis(
        cls,
        diagnosis: Diagnosis,
        *,
        response: Any = None,
        retry_policy: RetryPolicy | None = None,
    ) -> KlingAPIError:
        """The error of the diagnosis's category (UnmatchedError when no rule explains it)."""
        kind: type[KlingAPIError] = KlingAPIError
        if diagnosis.outcome == Outcome.UNMATCHED:
            kind = UnmatchedError
        elif diagnosis.category is not None:
            kind = _BY_CATEGORY.get(diagnosis.category, KlingAPIError)
        return kind(diagnosis, response=response, retry_policy=retry_policy)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the diagnosis and the policy; the response (sockets) stays behind.

        The event's raw record text, never shown, travels redacted like everything else.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("diagnosis", "response")}
        diagnosis, event = self.diagnosis, self.diagnosis.event
        if event is not None and event.match_text:
            diagnosis = replace(diagnosis, event=replace(event, match_text=event.text))
        return (type(self), (diagnosis,), state)

    @property
    def category(self) -> Category | None:
        return self.diagnosis.category

    @property
    def retryable(self) -> bool | None:
        """True: a retry helps; False: change something first; None: unknown."""
        return self.diagnosis.retryable

    @property
    def retry_delay(self) -> float | None:
        """Seconds to wait before the first retry, or None when a retry is not advised."""
        advice = self.diagnosis.retry
        return advice.delay_seconds if advice is not None else None

    @property
    def retry_after(self) -> float | None:
        """The server's Retry-After in seconds (a date already turned into a wait), or None."""
        event = self.diagnosis.event
        return event.retry_after if event is not None else None

    @property
    def strategy(self) -> Strategy:
        """How to retry: ``none``, ``backoff``, ``resign_token``, ``wait_for_capacity``."""
        if self.retry_policy is not None:
            return self.retry_policy.strategy
        advice = self.diagnosis.retry
        return advice.strategy if advice is not None else Strategy.NONE

    @property
    def rule(self) -> str | None:
        return self.diagnosis.rule

    @property
    def outcome(self) -> Outcome:
        return self.diagnosis.outcome

    @property
    def service_code(self) -> int | None:
        return self.diagnosis.service_code

    @property
    def http_status(self) -> int | None:
        return self.diagnosis.http_status

    @property
    def request_id(self) -> str | None:
        return self.diagnosis.request_id

    @property
    def task_id(self) -> str | None:
        return self.diagnosis.task_id

    @property
    def fingerprint(self) -> str:
        """A stable grouping key for error trackers: the rule and the service code.

        ``kling.concurrency.1303:1303``, ``http.429``; ``unmatched:1999:http500`` when no
        rule explains it. Never a request id, task id or message, so one kind of failure is
        one issue in Sentry (``scope.fingerprint = [err.fingerprint]``).
        """
        d = self.diagnosis
        parts = [d.rule or str(d.outcome)]
        if d.service_code is not None:
            parts.append(str(d.service_code))
        if d.rule is None and d.http_status is not None:
            parts.append(f"http{d.http_status}")
        return ":".join(parts)

    def log_fields(self) -> dict[str, LogValue]:
        """Flat fields for ``logger.error(..., extra=err.log_fields())`` or a JSON log.

        Every key starts with ``kling_``, so none collides with a LogRecord attribute
        (``message``, ``msg``, ``args``, ``name``...). Values are plain str/int/float/bool
        or None, already redacted of secrets; the same keys every time.
        """
        d = self.diagnosis
        fields: dict[str, Any] = {
            "outcome": d.outcome,
            "rule": d.rule,
            "category": d.category,
            "retryable": d.retryable,
            "severity": d.severity,
            "service_code": d.service_code,
            "http_status": d.http_status,
            "title": d.title,
            "message": d.message,
            "request_id": d.request_id,
            "task_id": d.task_id,
            "gateway": d.gateway,
            "strategy": self.strategy,
            "retry_delay": self.retry_delay,
            "retry_after": self.retry_after,
            "fingerprint": self.fingerprint,
        }
        return {
            f"kling_{key}": str(value) if isinstance(value, str) else value
            for key, value in fields.items()
        }


class AuthError(KlingAPIError):
    """The token or key is missing, malformed or rejected (1000-1004; 1003/1004: re-sign)."""

    for_category = Category.AUTH


class QuotaError(KlingAPIError):
    """Out of credit, arrears, an expired resource pack (1100-1102): a person must act."""

    for_category = Category.QUOTA_BILLING


class PermissionDeniedError(KlingAPIError):
    """No access to the API or the model (1103), IP whitelist (1304)."""

    for_category = Category.PERMISSION


class InvalidRequestError(KlingAPIError):
    """Bad parameters or method (1200-1202), invalid input media: change the request."""

    for_category = Category.INVALID_REQUEST


class NotFoundError(KlingAPIError):
    """The resource, model or task does not exist (1203)."""

    for_category = Category.NOT_FOUND


class ContentPolicyError(KlingAPIError):
    """Content security or risk control (1300, 1301, a task failed by moderation)."""

    for_category = Category.CONTENT_POLICY


class RateLimitError(KlingAPIError):
    """Requests too fast (1302, a gateway's 429): retry with backoff."""

    for_category = Category.RATE_LIMIT


class ConcurrencyLimitError(KlingAPIError):
    """Parallel tasks over the resource pack's limit (1303): wait for capacity."""

    for_category = Category.CONCURRENCY_LIMIT


class ServerError(KlingAPIError):
    """Kling's or a gateway's server failed (5000, 5001, 500/502/503): retry with backoff."""

    for_category = Category.SERVER_ERROR


class KlingTimeoutError(KlingAPIError, TimeoutError):
    """Something timed out (5002, 504, a read timeout); also a builtin TimeoutError."""

    for_category = Category.TIMEOUT


class NetworkError(KlingAPIError, ConnectionError):
    """DNS, refused or reset connections, TLS; also a builtin ConnectionError."""

    for_category = Category.NETWORK


class GenerationFailedError(KlingAPIError):
    """A task ended failed for a reason none of the other categories covers."""

    for_category = Category.GENERATION_FAILED


class UnmatchedError(KlingAPIError):
    """An error no rule explains; its status, code and message are kept."""


_BY_CATEGORY: dict[Category, type[KlingAPIError]] = {
    kind.for_category: kind
    for kind in KlingAPIError.__subclasses__()
    if kind.for_category is not None
}

# The typed errors, one per category, in the taxonomy's order.
CATEGORY_ERRORS: tuple[type[KlingAPIError], ...] = tuple(_BY_CATEGORY[c] for c in Category)
