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
    """Every violation of ``schema`` in the document, each at its YAML line."""
    return [
        doc.problem(error_path(error), _describe(error), _hint(error, schema))
        for error in _validator(schema).iter_errors(doc.data)
    ]


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
    if error.validator == "oneOf" and error.context:
        # Report the branch that came closest instead of "is not valid under any".
        closest = best_match(error.context)
        if len(closest.absolute_path) > len(error.absolute_path):
            return _describe(closest)
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
    # jsonschema quotes the whole value; a file that is no rule file may hold anything
    return error.message.replace(repr(error.instance), _short(error.instance))


def _schema_kind(schema: Any, fallback: str) -> str:
    return str(schema.get("type", fallback)) if isinstance(schema, dict) else fallback


def _hint(error: ValidationError, schema: str) -> str:
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
