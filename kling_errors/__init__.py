"""kling-errors: explain failed Kling AI API calls — cause, fix, and whether to retry.

>>> from kling_errors import classify
>>> d = classify({"status": 429, "body": {"code": 1303}})
>>> d.category, d.retryable
('concurrency_limit', True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._clients import aclassify, araise_for_error, classify, raise_for_error, to_record
from ._engine import Engine
from ._exceptions import (
    AuthError,
    ConcurrencyLimitError,
    ConfigError,
    ContentPolicyError,
    GenerationFailedError,
    InputError,
    InvalidRequestError,
    KlingAPIError,
    KlingErrorsError,
    KlingTimeoutError,
    NetworkError,
    NotFoundError,
    OutputError,
    PermissionDeniedError,
    Problem,
    QuotaError,
    RateLimitError,
    ResponseNotReadError,
    RuleError,
    ServerError,
    UnmatchedError,
)
from ._models import (
    Diagnosis,
    Event,
    Fix,
    Location,
    RetryAdvice,
    RetryPolicy,
    Rule,
)
from ._pipeline import classify_paths
from ._rules import RuleSet, load_rules
from ._version import __version__
from ._vocabulary import CATEGORIES, Category, Outcome, Severity, Strategy

if TYPE_CHECKING:
    from ._preflight import Violation, check_request


def __getattr__(name: str) -> Any:
    """Pre-flight checks load on first use: `classify` starts without them."""
    if name in ("Violation", "check_request"):
        from . import _preflight

        return getattr(_preflight, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CATEGORIES",
    "AuthError",
    "Category",
    "ConcurrencyLimitError",
    "ConfigError",
    "ContentPolicyError",
    "Diagnosis",
    "Engine",
    "Event",
    "Fix",
    "GenerationFailedError",
    "InputError",
    "InvalidRequestError",
    "KlingAPIError",
    "KlingErrorsError",
    "KlingTimeoutError",
    "Location",
    "NetworkError",
    "NotFoundError",
    "Outcome",
    "OutputError",
    "PermissionDeniedError",
    "Problem",
    "QuotaError",
    "RateLimitError",
    "ResponseNotReadError",
    "RetryAdvice",
    "RetryPolicy",
    "Rule",
    "RuleError",
    "RuleSet",
    "ServerError",
    "Severity",
    "Strategy",
    "UnmatchedError",
    "Violation",
    "__version__",
    "aclassify",
    "araise_for_error",
    "check_request",
    "classify",
    "classify_paths",
    "load_rules",
    "raise_for_error",
    "to_record",
]
