"""`rules new --from RECORD`: a rule file scaffolded from one logged record.

The conditions come from the record (code, status, gateway, task status, message with its
ids and numbers generalized), the record itself (redacted) becomes the first example, and
the knowledge fields start from the rule that matches today, if any, marked for review.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ._engine import Engine
from ._exceptions import InputError
from ._normalize import Verdict, to_event
from ._redact import redact_data

_VARIABLE = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(?P<number>\d{2,})",
    re.IGNORECASE,
)


def _escape(text: str) -> str:
    return re.escape(text).replace("\\ ", " ")  # spaces need no escape; keep it readable


def message_pattern(message: str, limit: int = 80) -> str:
    """A regex for the message with ids and numbers generalized."""
    parts, last = [], 0
    text = message[:limit]
    for found in _VARIABLE.finditer(text):
        parts.append(_escape(text[last : found.start()]))
        parts.append("[0-9a-f-]{36}" if found.group("uuid") else r"\d+")
        last = found.end()
    parts.append(_escape(text[last:]))
    return "".join(parts)


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:5]
    return "_".join(words) or "error"


def scaffold(record: Any, engine: Engine, rule_id: str | None = None) -> str:
    event = to_event(record)
    if isinstance(event, Verdict):
        raise InputError(
            f"cannot scaffold a rule from this record: {event.outcome.replace('_', ' ')}"
            f" ({event.reason})",
            "pick a record that is an error (an unmatched one from `classify`)",
        )
    current = engine.classify(record)
    match: dict[str, Any] = {}
    if event.service_code not in (None, 0):
        match["service_code"] = event.service_code
    if event.http_status is not None:
        match["http_status"] = event.http_status
    if event.gateway:
        match["gateway"] = event.gateway
    if event.gateway_code:
        match["gateway_code"] = event.gateway_code
    if event.task_status:
        match["task_status"] = event.task_status
    if event.message:
        match["message"] = message_pattern(event.message)
    base = engine.rules.get(current.rule) if current.rule else None
    rule: dict[str, Any] = {
        "id": rule_id or f"team.{_slug(event.message or str(event.service_code or 'error'))}",
        "title": (event.message or "Describe the error")[:80],
        "category": base.category.value if base else "generation_failed",
        "severity": base.severity.value if base else "error",
        "match": match,
        "causes": list(base.causes) if base else ["TODO: why does this happen?"],
        "fixes": [f.step for f in base.fixes] if base else ["TODO: what should the caller do?"],
        "retryable": base.retryable if base else None,
        "retry": dict(base.raw.get("retry", {"strategy": "none"}))
        if base
        else {"strategy": "backoff", "initial_delay": 10, "max_attempts": 1},
        "source": {"kind": "observed_log", "ref": "TODO: where was this seen (ticket, log, date)?"},
        "examples": [redact_data(record)],
    }
    header = (
        "# Scaffolded by `kling-errors rules new`. Review every field, then run\n"
        "#   kling-errors rules validate THIS_FILE && kling-errors rules test THIS_FILE\n"
        f"# Today this record is: {current.outcome}"
        + (f" by {current.rule} ({current.category})" if current.rule else "")
        + "\n"
    )
    body = yaml.safe_dump(
        {"version": 1, "rules": [rule]}, sort_keys=False, allow_unicode=True, width=100
    )
    return header + body
