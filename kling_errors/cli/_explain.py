"""``kling-errors explain``: what is known about a service code, an HTTP status or a rule id."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .._config import RuleSets
from .._exceptions import EXIT_USAGE
from .._models import Rule, fix_dict, retry_text
from .._output import knowledge_lines
from ._options import rule_set_options, text_or_json_format


def _service_codes(rule: Rule) -> list[int]:
    return sorted({code for c in rule.match for code in (c.service_code or ())})


def _rule_text(rule: Rule) -> str:
    codes = _service_codes(rule)
    lines = [click.style(rule.id, bold=True) + f"  ({rule.origin})", f"  {rule.title}"]
    if rule.summary:
        lines.append(f"  {rule.summary}")
    lines.append(f"  category: {rule.category} · severity: {rule.severity}")
    if codes:
        lines.append(f"  service code: {', '.join(map(str, codes))}")
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
    """What is known about a service code (1303), an HTTP status (429) or a rule id."""
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
        click.echo("\n\n".join(_rule_text(r) for r in found))
