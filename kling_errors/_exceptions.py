"""Errors raised by kling-errors.

Two separate families, because they mean different things to the caller::

    KlingErrorsError          the tool itself cannot do its job (exit code attached)
    ├── RuleError             a rule file is invalid: every problem with file:line:column
    │   └── ConfigError       the project config is invalid (same form, its own hint)
    ├── InputError            an input file cannot be opened, or is not what the command reads
    └── OutputError           the report cannot go where asked (no directory, or an input)

    KlingAPIError             the Kling API (or a gateway in front of it) answered with an
                              error; raised by ``raise_for_error`` and carries the Diagnosis

A malformed *record* inside a readable input never raises: it becomes an ``unreadable``
output record with a reason, so one bad line never loses the rest of a log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._redact import redact

if TYPE_CHECKING:
    from ._models import Diagnosis


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


class KlingAPIError(Exception):
    """Kling (or a gateway in front of it) answered with an error.

    Carries the full Diagnosis so a caller can decide whether and when to retry
    without parsing anything: ``err.retryable``, ``err.retry_delay``, ``err.category``.
    """

    def __init__(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        parts = [p for p in (diagnosis.title, diagnosis.message) if p]
        codes = []
        if diagnosis.http_status is not None:
            codes.append(f"HTTP {diagnosis.http_status}")
        if diagnosis.service_code is not None:
            codes.append(f"code {diagnosis.service_code}")
        prefix = f"[{', '.join(codes)}] " if codes else ""
        super().__init__(prefix + (": ".join(parts) or diagnosis.outcome))

    @property
    def category(self) -> str | None:
        return self.diagnosis.category

    @property
    def retryable(self) -> bool | None:
        return self.diagnosis.retryable

    @property
    def retry_delay(self) -> float | None:
        """Seconds to wait before the first retry, or None when a retry is not advised."""
        advice = self.diagnosis.retry
        return advice.delay_seconds if advice is not None else None

    @property
    def service_code(self) -> int | None:
        return self.diagnosis.service_code

    @property
    def http_status(self) -> int | None:
        return self.diagnosis.http_status

    @property
    def request_id(self) -> str | None:
        return self.diagnosis.request_id
