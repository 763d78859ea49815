"""The error reference, generated from the loaded rules (never written by hand).

rules -> a plain data context -> a Jinja template (Markdown, HTML, a skill guide, or the
user's own). Output is deterministic: same rules, byte-identical file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._models import Rule, retry_text
from ._paths import templates_dir
from ._redact import redact, redact_data
from ._render import sandbox
from ._rules import RuleSet
from ._version import __version__
from ._vocabulary import CATEGORIES, CATEGORY_INFO

FORMATS = {"markdown": "reference.md.j2", "html": "reference.html.j2", "skill": "skill.md.j2"}
DEFAULT_FILES = {"markdown": "errors.md", "html": "errors.html", "skill": "SKILL.md"}


def _example_text(record: Any) -> str:
    if isinstance(record, str):
        return redact(record).replace("\r\n", "\n").replace("\r", "\n")
    return json.dumps(redact_data(record), ensure_ascii=False)


def _codes(rule: Rule) -> list[int]:
    return sorted({code for c in rule.match for code in (c.service_code or ())})


def _statuses(rule: Rule) -> list[int]:
    found = {rule.expected_status} if rule.expected_status else set()
    for conditions in rule.match:
        if conditions.http_status is not None and conditions.http_status.precision > 1:
            found.update(conditions.http_status.codes)
    return sorted(s for s in found if s is not None)


def rule_view(rule: Rule) -> dict[str, Any]:
    codes = _codes(rule)
    return {
        "id": rule.id,
        "anchor": rule.id,
        "title": rule.title,
        "summary": rule.summary,
        "category": rule.category,
        "severity": rule.severity,
        "retryable": rule.retryable,
        "retryable_text": {True: "yes", False: "no", None: "unknown"}[rule.retryable],
        "retry_text": retry_text(rule),
        "retry": {
            "strategy": rule.retry.strategy,
            "initial_delay": rule.retry.initial_delay,
            "max_delay": rule.retry.max_delay,
            "max_attempts": rule.retry.max_attempts,
        },
        "codes": codes,
        "statuses": _statuses(rule),
        "causes": list(rule.causes),
        "fixes": [
            {"step": f.step, "code": f.code or "", "language": f.language or ""} for f in rule.fixes
        ],
        "examples": [_example_text(e) for e in rule.examples[:3]],
        "source": {"kind": rule.source.kind, "ref": rule.source.ref, "url": rule.source.url or ""},
        "docs": [{"title": d.title, "url": d.url} for d in rule.docs],
        "origin": str(rule.origin),
        "rule_set": rule.rule_set,
        "builtin": rule.rule_set == "builtin",
        "search": " ".join(
            [rule.id, rule.title, rule.summary, rule.category, *map(str, codes),
             *map(str, _statuses(rule)), *rule.causes]
        ).lower(),
    }  # fmt: skip


def _sort_key(view: dict[str, Any]) -> tuple[Any, ...]:
    return (
        view["codes"][0] if view["codes"] else 99_999,
        view["statuses"][0] if view["statuses"] else 999,
        view["id"],
    )


def context(rules: RuleSet) -> dict[str, Any]:
    views = sorted((rule_view(r) for r in rules), key=_sort_key)
    categories = [
        {
            "name": name,
            "meaning": CATEGORY_INFO[name][0],
            "retry": CATEGORY_INFO[name][1],
            "rules": [v for v in views if v["category"] == name],
        }
        for name in CATEGORIES
    ]
    by_status = sorted(
        (
            {"status": status, "code": code, "rule": v}
            for v in views
            for status in v["statuses"]
            for code in (v["codes"] or [None])
        ),
        key=lambda row: (row["status"], row["code"] or 0, row["rule"]["id"]),
    )
    by_code = sorted(
        (
            {"code": code, "status": (v["statuses"] or [None])[0], "rule": v}
            for v in views
            for code in v["codes"]
        ),
        key=lambda row: (row["code"], row["rule"]["id"]),
    )
    return {
        "title": "Kling AI API error reference",
        "version": __version__,
        "rules": views,
        "categories": [c for c in categories if c["rules"]],
        "retry_categories": [n for n in CATEGORIES if CATEGORY_INFO[n][1].startswith("Yes")],
        "by_status": by_status,
        "by_code": by_code,
        "rule_sets": sorted({v["rule_set"] for v in views}),
    }


@dataclass(frozen=True)
class DocTemplate:
    source: str
    name: str


def builtin_template(fmt: str) -> DocTemplate:
    name = FORMATS[fmt]
    text = (templates_dir() / "docs" / name).read_text("utf-8")
    return DocTemplate(text, name)


def file_template(path: str | Path) -> DocTemplate:
    return DocTemplate(Path(path).read_text(encoding="utf-8"), Path(path).name)


def render(rules: RuleSet, template: DocTemplate) -> str:
    """The document; HTML templates (name ending .html.j2 / .html) are autoescaped."""
    env = sandbox(autoescape=template.name.removesuffix(".j2").endswith(".html"))
    env.filters["cell"] = lambda text: str(text).replace("|", "\\|")
    env.filters["trim_end"] = lambda text: str(text).rstrip()
    text = env.from_string(template.source).render(**context(rules))
    return text.rstrip("\n") + "\n"
