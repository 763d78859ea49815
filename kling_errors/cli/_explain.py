"""``kling-errors explain``: what is known about a service code, an HTTP status or a rule id."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .._config import RuleSets
from .._exceptions import EXIT_USAGE
from .._export import conditions_dict
from .._models import Rule, fix_dict, retry_text
from .._output import knowledge_lines
from ._options import color_default, rule_set_options, text_or_json_format


def _service_codes(rule: Rule) -> list[int]:
    return sorted({code for c in rule.match for code in (c.service_code or ())})


def _http_status(rule: Rule) -> int | None:
    """The HTTP status the error arrives with: the rule's ``expected_status``, else the one
    status its conditions name (None when they name none, several or a class)."""
    if rule.expected_status is not None:
        return rule.expected_status
    named = {
        code
        for c in rule.match
        if c.http_status is not None and c.http_status.precision == 3
        for code in c.http_status.codes
    }
    return named.pop() if len(named) == 1 else None


def _arrives(rule: Rule) -> str:
    """The line `service code: 1303 · arrives as HTTP 429` (either half may be missing)."""
    codes = _service_codes(rule)
    status = _http_status(rule)
    parts = [f"service code: {', '.join(map(str, codes))}"] if codes else []
    if status is not None:
        parts.append(f"arrives as HTTP {status}")
    return " · ".join(parts)


def _overview_line(rule: Rule, width: int) -> str:
    """One line per rule: id, service codes, category, whether to retry, title."""
    codes = ",".join(map(str, _service_codes(rule))) or "-"
    retry = {True: "retry", False: "no retry", None: "retry unknown"}[rule.retryable]
    return f"  {rule.id:<{width}}  {codes:<9}  {rule.category:<17}  {retry:<13}  {rule.title}"


def _overview(query: str, found: list[Rule]) -> str:
    width = max(len(rule.id) for rule in found)
    head = f"{len(found)} rules for {query}; details below"
    return "\n".join([head, *(_overview_line(rule, width) for rule in found)])


def _rule_text(rule: Rule) -> str:
    lines = [click.style(rule.id, bold=True) + f"  ({rule.origin})", f"  {rule.title}"]
    if rule.summary:
        lines.append(f"  {rule.summary}")
    lines.append(f"  category: {rule.category} · severity: {rule.severity}")
    arrives = _arrives(rule)
    if arrives:
        lines.append(f"  {arrives}")
    lines.append(f"  retry: {retry_text(rule)}")
    lines.extend(knowledge_lines(rule.causes, rule.fixes))
    lines.append(f"  source: {rule.source.kind} — {rule.source.ref}")
    lines.extend(f"  docs: {d.title} <{d.url}>" for d in rule.docs)
    return "\n".join(lines)


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "summary": rule.summary,
        "category": rule.category,
        "severity": rule.severity,
        "retryable": rule.retryable,
        "retry": rule.retry.__dict__,
        "service_codes": _service_codes(rule),
        "http_status": _http_status(rule),
        "match": [conditions_dict(c) for c in rule.match],  # what tells alike rules apart
        "causes": list(rule.causes),
        "fixes": [fix_dict(fix) for fix in rule.fixes],
        "source": rule.source.__dict__,
        "origin": str(rule.origin),
    }


@click.command("explain")
@click.argument("query")
@text_or_json_format
@rule_set_options
def explain(query: str, fmt: str, rule_sets: RuleSets) -> None:
    """What is known about a service code (1303), an HTTP status (429) or a rule id.

    Several rules (an HTTP status is shared by many): one line each first, then each in
    full. JSON: a list of rules, each with its service codes and the HTTP status it
    arrives with.
    """
    found = rule_sets.engine().explain(query)
    if not found:
        click.echo(f"error: nothing known about {query!r}", err=True)
        click.echo(
            "hint: try a service code such as 1303, a status such as 429, or "
            "`kling-errors rules list` for rule ids",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    if fmt == "json":
        click.echo(json.dumps([_rule_json(r) for r in found], indent=2, ensure_ascii=False))
    else:
        details = "\n\n".join(_rule_text(r) for r in found)
        text = details if len(found) == 1 else f"{_overview(query, found)}\n\n{details}"
        click.echo(text, color=color_default(sys.stdout))
