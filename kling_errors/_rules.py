"""Loading the knowledge: rule files -> schema check -> semantic checks -> Rule objects.

A rule set loads completely or not at all: every problem in every file is collected,
and if there is any, RuleError is raised carrying all of them with file:line:column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ._exceptions import Problem, RuleError
from ._models import (
    Conditions,
    DocLink,
    Fix,
    Location,
    RetryPolicy,
    Rule,
    Source,
    StatusCondition,
)
from ._render import template_problems
from ._yaml import YamlDocument, YamlPath, load_yaml

RULE_SUFFIXES = (".yaml", ".yml")


def _data_dir(name: str) -> Path:
    """Built-in data: inside the installed wheel, or at the top of a source checkout."""
    packaged = resources.files("kling_errors") / "_data" / name
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / name


def builtin_rules_dir() -> Path:
    return _data_dir("rules")


def schemas_dir() -> Path:
    return _data_dir("schemas")


@lru_cache(maxsize=4)
def load_schema(name: str) -> dict[str, Any]:
    with open(schemas_dir() / name, encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@lru_cache(maxsize=1)
def _rule_validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema("rules.schema.json"))


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories (recursively, sorted) into rule files; keep files as given."""
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
            )
        else:
            found.append(path)
    return found


@dataclass(frozen=True)
class RuleSet:
    """Rules in load order, plus lookup by id."""

    rules: tuple[Rule, ...]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


def load_rules(paths: Iterable[str | Path] = (), *, builtin: bool = True) -> RuleSet:
    """Load the built-in rules (unless ``builtin=False``) followed by ``paths``."""
    files: list[tuple[Path, str | None]] = [(path, None) for path in rule_files(paths)]
    if builtin:
        base = builtin_rules_dir()
        files[:0] = [(p, f"rules/{p.relative_to(base)}") for p in rule_files([base])]
    problems: list[Problem] = []
    rules: list[Rule] = []
    for path, display in files:
        file_rules, file_problems = read_rule_file(path, display)
        rules.extend(file_rules)
        problems.extend(file_problems)
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(
                Problem(
                    rule.origin.path,
                    rule.origin.line,
                    None,
                    f"duplicate rule id {rule.id!r} (also at {seen[rule.id].origin})",
                    "give each rule a unique id",
                    "id",
                )
            )
        seen.setdefault(rule.id, rule)
    if problems:
        raise RuleError(problems)
    return RuleSet(tuple(rules))


def read_rule_file(
    path: str | Path, display: str | None = None
) -> tuple[list[Rule], list[Problem]]:
    """Rules of one file and every problem found in it (rules are empty if any problem).

    ``display`` is the name used in messages and origins (built-ins show as rules/x.yaml).
    """
    name = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [Problem(name, None, None, "no such rule file or directory")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(name, None, None, f"cannot read rule file: {exc}")]
    doc, problems = load_yaml(text, name)
    if problems:
        return [], problems
    if doc.data is None:
        return [], [Problem(name, 1, 1, "empty rule file", "add a top-level `rules:` list")]
    problems = schema_problems(doc)
    if problems:
        return [], problems
    problems = semantic_problems(doc)
    if problems:
        return [], problems
    return [_build_rule(doc, index, raw) for index, raw in enumerate(doc.data["rules"])], []


def schema_problems(doc: YamlDocument) -> list[Problem]:
    problems = []
    for error in _rule_validator().iter_errors(doc.data):
        path: YamlPath = tuple(error.absolute_path)
        problems.append(doc.problem(path, _describe(error), _hint(error)))
    return problems


def _describe(error: ValidationError) -> str:
    """jsonschema's message, shortened to the part a rule author needs."""
    if error.validator == "oneOf" and error.context:
        # Report the branch that came closest instead of "is not valid under any".
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if deepest.absolute_path:
            return _describe(deepest)
        kinds = sorted({_schema_kind(e.schema, str(e.validator)) for e in error.context})
        return f"{_short(error.instance)} is not any of the accepted forms ({', '.join(kinds)})"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are", "unknown key(s):").replace(
            "Additional properties is", "unknown key"
        )
    if error.validator == "enum":
        values = error.validator_value if isinstance(error.validator_value, list) else []
        allowed = ", ".join(str(v) for v in values)
        return f"{_short(error.instance)} is not one of: {allowed}"
    return error.message


def _schema_kind(schema: Any, fallback: str) -> str:
    return str(schema.get("type", fallback)) if isinstance(schema, dict) else fallback


def _hint(error: ValidationError) -> str:
    if isinstance(error.instance, dict) and len(error.instance) == 1 and error.validator == "oneOf":
        return "text containing ': ' reads as a mapping in YAML; put the text in quotes"
    if error.validator == "required":
        return "add the missing field (see schemas/rules.schema.json)"
    if error.validator == "additionalProperties":
        return "check the spelling; allowed keys are listed in schemas/rules.schema.json"
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def semantic_problems(doc: YamlDocument) -> list[Problem]:
    """What the schema cannot say: regexes compile, templates are safe, retry is coherent."""
    problems: list[Problem] = []
    for index, raw in enumerate(doc.data["rules"]):
        base: YamlPath = ("rules", index)
        for alt_path, conditions in _condition_sets(raw, base):
            for key in ("message", "text"):
                if key in conditions:
                    error = _regex_error(conditions[key])
                    if error:
                        problems.append(
                            doc.problem(
                                (*alt_path, key),
                                f"invalid regular expression: {error}",
                                "regexes use Python `re` syntax, case-insensitive",
                            )
                        )
            for header, value in conditions.get("headers", {}).items():
                error = _regex_error(value) if isinstance(value, str) else None
                if error:
                    problems.append(
                        doc.problem(
                            (*alt_path, "headers", header), f"invalid regular expression: {error}"
                        )
                    )
        if "remediation" in raw:
            path = (*base, "remediation")
            line, _ = doc.where(path)
            first_line = (line or 0) + (1 if path in doc.block_scalars else 0)
            for offset, message in template_problems(raw["remediation"]):
                problems.append(
                    Problem(
                        doc.path,
                        first_line + offset - 1 if line is not None else None,
                        None,
                        f"rule {raw['id']!r}: {message}",
                        "templates may use: http_status, service_code, message, request_id,"
                        " task_id, task_status, retry_after, endpoint, method, gateway,"
                        " gateway_code, headers, rule, delay",
                        "remediation",
                    )
                )
        strategy = raw["retry"]["strategy"]
        if raw["retryable"] is False and strategy != "none":
            problems.append(
                doc.problem(
                    (*base, "retry", "strategy"),
                    f"retryable is false but the retry strategy is {strategy!r}",
                    "use `strategy: none`, or set `retryable: true` (or null when unsure)",
                )
            )
        if raw["retryable"] is True and strategy == "none":
            problems.append(
                doc.problem(
                    (*base, "retry", "strategy"),
                    "retryable is true but the retry strategy is 'none'",
                    "name how to retry (backoff, resign_token, wait_for_capacity)",
                )
            )
    return problems


def _condition_sets(raw: dict[str, Any], base: YamlPath) -> list[tuple[YamlPath, dict[str, Any]]]:
    match = raw["match"]
    if isinstance(match, dict):
        return [((*base, "match"), match)]
    return [((*base, "match", i), alt) for i, alt in enumerate(match)]


def _regex_error(pattern: str) -> str | None:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return str(exc)
    return None


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


def build_conditions(raw: dict[str, Any]) -> Conditions:
    def strings(key: str) -> frozenset[str] | None:
        return frozenset(str(v).lower() for v in _as_list(raw[key])) if key in raw else None

    def regex(key: str) -> re.Pattern[str] | None:
        return re.compile(raw[key], re.IGNORECASE) if key in raw else None

    headers = tuple(
        (name.lower(), None if value is True else re.compile(value, re.IGNORECASE))
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


def _build_rule(doc: YamlDocument, index: int, raw: dict[str, Any]) -> Rule:
    line, _ = doc.where(("rules", index))
    match = raw["match"]
    retry = raw["retry"]
    return Rule(
        id=raw["id"],
        title=raw["title"],
        summary=raw.get("summary", ""),
        category=raw["category"],
        severity=raw["severity"],
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
            strategy=retry["strategy"],
            initial_delay=float(retry.get("initial_delay", 0)),
            max_delay=float(retry.get("max_delay", 0)),
            max_attempts=int(retry.get("max_attempts", 0)),
            multiplier=float(retry.get("multiplier", 2)),
            honour_retry_after=bool(retry.get("honour_retry_after", True)),
        ),
        source=Source(raw["source"]["kind"], raw["source"]["ref"], raw["source"].get("url")),
        origin=Location(doc.path, line),
        remediation=raw.get("remediation"),
        docs=tuple(DocLink(d["title"], d["url"]) for d in raw.get("docs", [])),
        examples=tuple(raw.get("examples", [])),
        counter_examples=tuple(raw.get("counter_examples", [])),
        tags=tuple(raw.get("tags", [])),
    )
