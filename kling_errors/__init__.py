"""kling-errors: explain failed Kling AI API calls — cause, fix, and whether to retry.

>>> from kling_errors import classify
>>> d = classify({"status": 429, "body": {"code": 1303}})
>>> d.category, d.retryable
('concurrency_limit', True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._engine import Engine, classify, raise_for_error
from ._exceptions import (
    ConfigError,
    InputError,
    KlingAPIError,
    KlingErrorsError,
    OutputError,
    Problem,
    RuleError,
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
    "Category",
    "ConfigError",
    "Diagnosis",
    "Engine",
    "Event",
    "Fix",
    "InputError",
    "KlingAPIError",
    "KlingErrorsError",
    "Location",
    "Outcome",
    "OutputError",
    "Problem",
    "RetryAdvice",
    "RetryPolicy",
    "Rule",
    "RuleError",
    "RuleSet",
    "Severity",
    "Strategy",
    "Violation",
    "__version__",
    "check_request",
    "classify",
    "classify_paths",
    "load_rules",
    "raise_for_error",
]
