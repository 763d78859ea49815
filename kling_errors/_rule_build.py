"""Building the model: a validated (and merged) raw rule -> a Rule with its Conditions.

Raw rules come from rule files (_rules) or from the store of loaded rule sets; either way
they passed the schema and the rule-file checks, so nothing here validates again.
"""

from __future__ import annotations

from typing import Any

from ._models import Conditions, DocLink, Fix, Location, RetryPolicy, Rule, Source, StatusCondition
from ._regex import Pattern, compile_rule_regex
from ._vocabulary import Category, Severity, SourceKind, Strategy


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _status_condition(value: Any) -> StatusCondition:
    codes: set[int] = set()
    classes = False
    for item in _as_list(value):
        if isinstance(item, str):
            first = int(item[0]) * 100
            codes.update(range(first, first + 100))
            classes = True
        else:
            codes.add(item)
    precision = 1 if classes else (3 if len(codes) == 1 else 2)
    return StatusCondition(frozenset(codes), precision)


def one_regex(wordings: str | list[str]) -> str:
    """A `message`/`text` condition as one regex: a list is a family of alternatives."""
    if isinstance(wordings, str):
        return wordings
    return wordings[0] if len(wordings) == 1 else "|".join(f"(?:{w})" for w in wordings)


def build_conditions(raw: dict[str, Any]) -> Conditions:
    def strings(key: str) -> frozenset[str] | None:
        return frozenset(str(v).lower() for v in _as_list(raw[key])) if key in raw else None

    def regex(key: str) -> Pattern | None:
        if key not in raw:
            return None
        return compile_rule_regex(one_regex(raw[key]))

    headers = tuple(
        (name.lower(), None if value is True else compile_rule_regex(value))
        for name, value in sorted(raw.get("headers", {}).items())
    )
    return Conditions(
        http_status=_status_condition(raw["http_status"]) if "http_status" in raw else None,
        service_code=frozenset(_as_list(raw["service_code"])) if "service_code" in raw else None,
        message=regex("message"),
        text=regex("text"),
        task_status=strings("task_status"),
        headers=headers,
        gateway=strings("gateway"),
        gateway_code=strings("gateway_code"),
    )


def build_rule(raw: dict[str, Any], origin: Location, rule_set: str, extends: str | None) -> Rule:
    """A Rule from its validated (and merged) raw fields."""
    match = raw["match"]
    retry = raw["retry"]
    return Rule(
        id=raw["id"],
        title=raw["title"],
        summary=raw.get("summary", ""),
        category=Category(raw["category"]),
        severity=Severity(raw["severity"]),
        priority=raw.get("priority", 0),
        expected_status=raw.get("expected_status"),
        match=tuple(build_conditions(alt) for alt in _as_list(match)),
        causes=tuple(raw["causes"]),
        fixes=tuple(
            Fix(f) if isinstance(f, str) else Fix(f["step"], f.get("code"), f.get("language"))
            for f in raw["fixes"]
        ),
        retryable=raw["retryable"],
        retry=RetryPolicy(
            strategy=Strategy(retry["strategy"]),
            initial_delay=float(retry.get("initial_delay", 0)),
            max_delay=float(retry.get("max_delay", 0)),
            max_attempts=int(retry.get("max_attempts", 0)),
            multiplier=float(retry.get("multiplier", 2)),
            honour_retry_after=bool(retry.get("honour_retry_after", True)),
        ),
        source=Source(
            SourceKind(raw["source"]["kind"]), raw["source"]["ref"], raw["source"].get("url")
        ),
        origin=origin,
        rule_set=rule_set,
        extends=extends,
        remediation=raw.get("remediation"),
        docs=tuple(DocLink(d["title"], d["url"]) for d in raw.get("docs", [])),
        examples=tuple(raw.get("examples", [])),
        counter_examples=tuple(raw.get("counter_examples", [])),
        raw=raw,
    )
