"""The error reference, generated from the loaded rules (never written by hand).

rules -> a plain data context -> a Jinja template (Markdown, HTML, a skill guide, or the
user's own). Output is deterministic: same rules, byte-identical file.

A mistake in a user's template (``docs --template``: a syntax error, an undefined name,
something the sandbox refuses) is the user's to fix, not a bug of ours: it is raised as
``DocTemplateError`` naming the template's file:line and what went wrong.
"""

from __future__ import annotations

import json
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._exceptions import EXIT_USAGE, KlingErrorsError
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


class DocTemplateError(KlingErrorsError):
    """A user's ``docs --template`` cannot be read or rendered: their file, their fix."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class DocTemplate:
    source: str
    name: str
    path: str | None = None  # the user's file; None for the built-in templates


def builtin_template(fmt: str) -> DocTemplate:
    name = FORMATS[fmt]
    text = (templates_dir() / "docs" / name).read_text("utf-8")
    return DocTemplate(text, name)


def file_template(path: str | Path) -> DocTemplate:
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocTemplateError(
            f"{path}: cannot read the template: {exc}", "a --template is a UTF-8 Jinja file"
        ) from None
    return DocTemplate(source, Path(path).name, str(path))


_BACKTICKS = re.compile(r"`([^`\n]+)`")


def inline_code(text: Any) -> Any:
    """``{{ text | inline_code }}`` in an HTML template: the text escaped, and each
    Markdown `code span` in it as <code>code span</code> (rule texts are written in
    Markdown's inline style; a page should not show the backticks)."""
    from markupsafe import Markup, escape

    escaped = str(escape(text))
    return Markup(_BACKTICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


_TEMPLATE_HINT = (
    "fix the template; its data is context() in kling_errors/_docs.py, rendered in Jinja's"
    " sandbox with strict undefined"
)


def render(rules: RuleSet, template: DocTemplate) -> str:
    """The document; HTML templates (name ending .html.j2 / .html) are autoescaped.

    A user's template (``template.path``) that fails raises DocTemplateError with its
    file:line; a built-in one that fails is a bug and raises as it is.
    """
    env = sandbox(autoescape=template.name.removesuffix(".j2").endswith(".html"))
    env.filters["cell"] = lambda text: str(text).replace("|", "\\|")
    env.filters["trim_end"] = lambda text: str(text).rstrip()
    env.filters["inline_code"] = inline_code
    data = context(rules)
    if template.path is None:
        text = env.from_string(template.source).render(**data)
    else:
        text = _render_user_template(env, template.source, template.path, data)
    return text.rstrip("\n") + "\n"


def _render_user_template(env: Any, source: str, path: str, data: dict[str, Any]) -> str:
    from jinja2 import TemplateSyntaxError

    try:
        compiled = env.from_string(source)
    except TemplateSyntaxError as exc:
        raise DocTemplateError(
            f"{path}:{exc.lineno}: template syntax error: {exc.message}", _TEMPLATE_HINT
        ) from None
    try:
        return str(compiled.render(**data))
    except Exception as exc:  # anything the user's template does wrong is theirs to fix
        frames = traceback.extract_tb(exc.__traceback__)
        lines = [f.lineno for f in frames if f.filename == "<template>" and f.lineno]
        where = f"{path}:{lines[-1]}" if lines else path
        raise DocTemplateError(f"{where}: {type(exc).__name__}: {exc}", _TEMPLATE_HINT) from None
