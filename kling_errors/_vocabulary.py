"""The vocabulary every stage shares, one source of truth: outcomes, the category
taxonomy, severities, retry strategies, source kinds, record shapes.

StrEnums: each member is its string value ("matched", "quota_billing"), so output, JSON and
comparisons with plain strings work unchanged. The JSON Schemas in schemas/ list the same
values (tests/test_vocabulary.py holds them to it).
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What became of one input record."""

    MATCHED = "matched"  # a rule explains it
    UNMATCHED = "unmatched"  # an error no rule explains
    NOT_AN_ERROR = "not_an_error"  # a success, progress, an info line
    UNREADABLE = "unreadable"  # nothing to go on (binary, empty, the client lost the body)


class Category(StrEnum):
    """The category taxonomy (README "Outputs"; meanings in CATEGORY_INFO)."""

    AUTH = "auth"
    QUOTA_BILLING = "quota_billing"
    PERMISSION = "permission"
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    CONTENT_POLICY = "content_policy"
    RATE_LIMIT = "rate_limit"
    CONCURRENCY_LIMIT = "concurrency_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    NETWORK = "network"
    GENERATION_FAILED = "generation_failed"


class Severity(StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Strategy(StrEnum):
    """How to retry: ``none`` means do not."""

    NONE = "none"
    BACKOFF = "backoff"
    RESIGN_TOKEN = "resign_token"  # sign a fresh JWT first (1003/1004)
    WAIT_FOR_CAPACITY = "wait_for_capacity"  # a running task must end first (1303)


class SourceKind(StrEnum):
    """Where a rule's knowledge comes from."""

    OFFICIAL_TABLE = "official_table"
    OFFICIAL_DOC = "official_doc"
    OBSERVED_LOG = "observed_log"
    GATEWAY_DOC = "gateway_doc"
    INTEGRATOR_REPORT = "integrator_report"
    INFERRED = "inferred"


class Shape(StrEnum):
    """What a record was when it arrived: a mapping (JSON object) or free text."""

    OBJECT = "object"
    TEXT = "text"


# Rules may use no other category.
CATEGORIES: tuple[Category, ...] = tuple(Category)

# What each category means and whether a retry helps by itself (§7), for docs and explain.
CATEGORY_INFO: dict[Category, tuple[str, str]] = {
    Category.AUTH: (
        "The token or key is missing, malformed or rejected (1000-1004, a bare 401).",
        "1003/1004: yes, after re-signing a fresh JWT (and fixing clock skew); 1000-1002: no;"
        " a bare 401: unknown.",
    ),
    Category.QUOTA_BILLING: (
        "Account exception, arrears, resource pack used up or expired (1100-1102; gateway"
        " balance/credit errors).",
        "No: a person must act.",
    ),
    Category.PERMISSION: ("No access to the API or model (1103), IP whitelist (1304).", "No."),
    Category.INVALID_REQUEST: (
        "Bad parameters or method (1200-1202), or invalid input media reported by a failed task.",
        "No: change the request.",
    ),
    Category.NOT_FOUND: ("The requested resource, model or task does not exist (1203).", "No."),
    Category.CONTENT_POLICY: (
        "Platform strategy or content security (1300, 1301), a risk-control task failure, a"
        " gateway's content checker.",
        "No: change the content.",
    ),
    Category.RATE_LIMIT: (
        "Requests too fast (1302, a gateway 429 without a billing code).",
        "Yes, with backoff (honour Retry-After where sent).",
    ),
    Category.CONCURRENCY_LIMIT: (
        "Parallel tasks over the resource pack's limit (1303).",
        "Yes, with backoff (first delay of 1 s or more), or wait for running tasks to end.",
    ),
    Category.SERVER_ERROR: ("Kling's 5000/5001, gateway 500/502/503.", "Yes, with backoff."),
    Category.TIMEOUT: (
        "5002, 504 gateway timeouts, read timeouts, a task that took too long.",
        "Yes.",
    ),
    Category.NETWORK: (
        "DNS, refused or reset connections, TLS failures, connect timeouts, Cloudflare 52x.",
        "Yes (except certificate trust problems, which need a configuration fix).",
    ),
    Category.GENERATION_FAILED: (
        "A task ended failed for a reason that is none of the above, or no reason.",
        "Unknown.",
    ),
}
