"""Validating YAML documents against the JSON Schemas in schemas/, with messages a rule
author can act on and positions mapped back to YAML lines (jsonschema's error paths)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ._exceptions import Problem
from ._paths import schemas_dir
from ._yaml import YamlDocument, YamlPath


@lru_cache(maxsize=4)
def load_schema(name: str) -> dict[str, Any]:
    with open(schemas_dir() / name, encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@lru_cache(maxsize=4)
def _validator(schema: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(schema))


def schema_problems(doc: YamlDocument, schema: str) -> list[Problem]:
    """Every violation of ``schema`` in the document, each at its YAML line.

    Where a value may take several forms (``oneOf``) and only one form fits its type,
    the problems are that form's own, at their own place; the required fields a mapping
    lacks are reported together, once, where the first of them was found.
    """
    found: list[Problem | YamlPath] = []  # a path: the mapping that lacks required fields
    missing: dict[YamlPath, list[str]] = {}
    for error in _validator(schema).iter_errors(doc.data):
        for leaf in _leaves(error):
            if leaf.validator == "required" and isinstance(leaf.instance, dict):
                path: YamlPath = tuple(leaf.absolute_path)
                if path not in missing:
                    found.append(path)
                missing.setdefault(path, []).extend(
                    n for n in _names(leaf.validator_value) if n not in leaf.instance
                )
            else:
                found.append(doc.problem(error_path(leaf), _describe(leaf), _hint(leaf, schema)))
    return [
        item if isinstance(item, Problem) else _missing_fields(doc, item, missing[item], schema)
        for item in found
    ]


def _missing_fields(doc: YamlDocument, path: YamlPath, names: list[str], schema: str) -> Problem:
    unique = list(dict.fromkeys(names))
    many = len(unique) > 1
    return doc.problem(
        path,
        f"missing required field{'s' * many}: {', '.join(map(repr, unique))}",
        f"add {'them' if many else 'it'} (see schemas/{schema})",
    )


def _names(value: Any) -> list[str]:
    """The property names of a `required` keyword's value."""
    return [n for n in value if isinstance(n, str)] if isinstance(value, list) else []


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors worth reporting: for a value that may take several forms, the errors of
    the one form its type fits (if exactly one does), else the error itself."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    depth = len(error.absolute_path)
    fitting = [
        subs
        for subs in branches.values()
        if not any(e.validator == "type" and len(e.absolute_path) == depth for e in subs)
    ]
    if len(fitting) != 1 or all(e.validator == "required" for e in error.context):
        return [error]
    return [leaf for sub in fitting[0] for leaf in _leaves(sub)]


def error_path(error: ValidationError) -> YamlPath:
    """Where a schema error is: for an unknown key, the key itself, not its mapping."""
    path: YamlPath = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unknown = [k for k in error.instance if k not in known]
        if unknown:
            return (*path, unknown[0])
    return path


def _describe(error: ValidationError) -> str:
    """jsonschema's message, shortened to the part a rule author needs."""
    needed = _alternative_keys(error)
    if needed:
        where = "the file" if not error.absolute_path else "this mapping"
        return f"{where} has none of {', '.join(map(repr, needed))}, so it defines nothing"
    if error.validator == "oneOf" and error.context:
        # Report the branch that came closest instead of "is not valid under any".
        closest = best_match(error.context)
        if len(closest.absolute_path) > len(error.absolute_path):
            return _describe(closest)
        kinds = sorted({_schema_kind(e.schema, str(e.validator)) for e in error.context})
        return f"{_short(error.instance)} is not any of the accepted forms ({', '.join(kinds)})"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unknown = [k for k in error.instance if k not in known]
        if unknown:
            return f"unknown field{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))}"
    if error.validator == "enum":
        values = error.validator_value if isinstance(error.validator_value, list) else []
        allowed = ", ".join(str(v) for v in values)
        return f"{_short(error.instance)} is not one of: {allowed}"
    # jsonschema quotes the whole value; a file that is no rule file may hold anything
    return error.message.replace(repr(error.instance), _short(error.instance))


def _schema_kind(schema: Any, fallback: str) -> str:
    return str(schema.get("type", fallback)) if isinstance(schema, dict) else fallback


def _alternative_keys(error: ValidationError) -> list[str]:
    """For "needs one of these keys" (anyOf/oneOf of `required`): the keys, else []."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return []
    if not all(e.validator == "required" for e in error.context):
        return []
    return list(dict.fromkeys(n for e in error.context for n in _names(e.validator_value)))


def _hint(error: ValidationError, schema: str) -> str:
    if _alternative_keys(error):
        if schema == "rules.schema.json" and not error.absolute_path:
            return (
                "a rule file is `version: 1` and a `rules:` list of rules (see"
                " examples/team-rules/acme-gateway.yaml); `kling-errors rules new --from"
                " RECORD` writes a first one"
            )
        return f"add one of them (see schemas/{schema})"
    if isinstance(error.instance, dict) and len(error.instance) == 1 and error.validator == "oneOf":
        return "text containing ': ' reads as a mapping in YAML; put the text in quotes"
    if error.validator == "required":
        return f"add the missing field (see schemas/{schema})"
    if error.validator == "additionalProperties":
        return f"check the spelling; allowed keys are listed in schemas/{schema}"
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
