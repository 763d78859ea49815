"""Jinja rendering of remediation text, always in the sandbox with strict undefined.

Logged text only ever reaches a template as data (a variable), never as template source.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ._models import TEMPLATE_FIELDS


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seconds"] = seconds
    return env


def seconds(value: float | None) -> str:
    """`{{ delay | seconds }}` -> "1.5 s", "2 s"; a template needs no float formatting."""
    return "0 s" if value is None else f"{value:g} s"


def template_problems(source: str) -> list[tuple[int, str]]:
    """Problems of a rule's template as (line within the template, message); empty = fine."""
    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [(exc.lineno or 1, f"template syntax error: {exc.message}")]
    problems: list[tuple[int, str]] = []
    unknown = meta.find_undeclared_variables(tree) - TEMPLATE_FIELDS
    problems.extend(
        (1, f"template uses {name!r}, which is not an event field") for name in sorted(unknown)
    )
    if not problems:
        problems.extend(_trial_render(source))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            attr = node.arg.value if isinstance(node.arg.value, str) else None
        if attr is not None and attr.startswith("_"):
            problems.append(
                (node.lineno, f"template reaches for {attr!r}: private attributes are refused")
            )
    return problems


# Values a trial render uses: every field set, then every optional field empty.
_TRIAL_FULL: dict[str, Any] = {
    "http_status": 429, "service_code": 1303, "message": "m", "request_id": "r",
    "task_id": "t", "task_status": "failed", "retry_after": 1.0, "endpoint": "/v1/x",
    "method": "POST", "gateway": "fal", "gateway_code": "c", "headers": {"x": "y"},
    "delay": 1.0, "rule": {"id": "i", "title": "t", "summary": "s", "category": "c",
                           "retryable": True, "strategy": "backoff", "first_fix": "f"},
}  # fmt: skip
_TRIAL_EMPTY = {
    **dict.fromkeys(_TRIAL_FULL),
    "headers": {},
    "rule": _TRIAL_FULL["rule"],
}


def _trial_render(source: str) -> list[tuple[int, str]]:
    """Render once with every field set and once with them empty: errors surface at load."""
    template = environment().from_string(source)
    for context in (_TRIAL_FULL, _TRIAL_EMPTY):
        try:
            template.render(**context)
        except Exception as exc:  # any failure is the author's to fix
            return [(getattr(exc, "lineno", None) or 1, f"template fails to render: {exc}")]
    return []


class Remediation:
    """A compiled remediation template plus a cache keyed by the fields it reads."""

    def __init__(self, source: str) -> None:
        env = environment()
        self.source = source
        self._template = env.from_string(source)
        self._fields = tuple(sorted(meta.find_undeclared_variables(env.parse(source))))
        self._cache: dict[tuple[Any, ...], str] = {}

    def render(self, context: Mapping[str, Any]) -> str:
        key = tuple(_hashable(context.get(name)) for name in self._fields)
        cached = self._cache.get(key)
        if cached is None:
            try:
                cached = self._template.render(**context).strip()
            except Exception:  # a record must never crash a run
                rule = context.get("rule") or {}
                cached = str(rule.get("summary") or rule.get("title") or "")
            if len(self._cache) < 4096:
                self._cache[key] = cached
        return cached


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value
