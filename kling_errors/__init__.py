"""kling-errors: explain failed Kling AI API calls — cause, fix, and whether to retry.

>>> from kling_errors import classify
>>> d = classify({"status": 429, "body": {"code": 1303}})
>>> d.category, d.retryable
('concurrency_limit', True)
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._engine import Engine, classify, raise_for_error
from ._exceptions import InputError, KlingAPIError, KlingErrorsError, Problem, RuleError
from ._models import (
    CATEGORIES,
    Diagnosis,
    Event,
    Fix,
    Location,
    RetryAdvice,
    RetryPolicy,
    Rule,
)
from ._preflight import Violation, check_request
from ._rules import RuleSet, load_rules

__all__ = [
    "CATEGORIES",
    "Diagnosis",
    "Engine",
    "Event",
    "Fix",
    "InputError",
    "KlingAPIError",
    "KlingErrorsError",
    "Location",
    "Problem",
    "RetryAdvice",
    "RetryPolicy",
    "Rule",
    "RuleError",
    "RuleSet",
    "Violation",
    "__version__",
    "check_request",
    "classify",
    "load_rules",
    "raise_for_error",
]
