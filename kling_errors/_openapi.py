"""The OpenAPI 3.1 document of `kling-errors serve` (GET /openapi.json), written by hand.

The diagnosis record is schemas/diagnosis.schema.json itself (OpenAPI 3.1 schemas are JSON
Schema 2020-12), so the service's description of its answers cannot drift from the CLI's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ._paths import schemas_dir
from ._version import __version__


@lru_cache(maxsize=1)
def _diagnosis_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (schemas_dir() / "diagnosis.schema.json").read_text(encoding="utf-8")
    )
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id")}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    """References to the shared error answers (components.responses)."""
    return {str(status): {"$ref": f"#/components/responses/E{status}"} for status in statuses}


def openapi_document(max_body_bytes: int, max_batch: int) -> dict[str, Any]:
    """The service's OpenAPI 3.1 document, with this instance's limits."""
    record = {
        "description": "A logged record: a response object, a Kling body, a task, a log"
        " object, a gateway body (a JSON object), or a log line (a JSON string).",
        "oneOf": [{"type": "object"}, {"type": "string"}],
    }
    batch = {
        "type": "object",
        "additionalProperties": False,
        "required": ["records"],
        "properties": {"records": {"type": "array", "maxItems": max_batch, "items": record}},
    }
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message", "hint"],
                "properties": {
                    "status": {"type": "integer"},
                    "message": {"type": "string", "description": "Never quotes the body."},
                    "hint": {"type": "string"},
                },
            }
        },
    }
    violation = {
        "type": "object",
        "required": ["path", "severity", "message", "fix", "service_code", "rule"],
        "properties": {
            "path": {"type": "string", "description": "JSON path, e.g. $.duration"},
            "severity": {"enum": ["error", "warning"]},
            "message": {"type": "string"},
            "fix": {"type": "string"},
            "service_code": {"type": ["integer", "null"]},
            "rule": {"type": ["string", "null"]},
        },
    }
    limits = (
        f"Bodies are limited to {max_body_bytes:,} bytes (413) and batches to"
        f" {max_batch:,} records (422)."
    )
    classify = {
        "summary": "Classify one logged record or a batch",
        "description": "The answer for each record is the record `kling-errors classify"
        " --format jsonl` writes for it (schemas/diagnosis.schema.json), `index` being its"
        " position in the batch and `location` null. The body is read as JSON whatever its"
        f" Content-Type. {limits} With `Accept: application/x-ndjson` the answer is JSON"
        " lines, one per record.",
        "operationId": "classify",
        "parameters": [
            {
                "name": "why",
                "in": "query",
                "required": False,
                "description": "true: add `why` (every rule whose conditions held, as"
                " `classify --why`).",
                "schema": {"type": "boolean"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": [batch, record]}}},
        },
        "responses": {
            "200": {
                "description": "A diagnosis (one record) or {records: [...]} (a batch).",
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                _ref("Diagnosis"),
                                {
                                    "type": "object",
                                    "required": ["records"],
                                    "properties": {
                                        "records": {"type": "array", "items": _ref("Diagnosis")}
                                    },
                                },
                            ]
                        }
                    },
                    "application/x-ndjson": {"schema": {"type": "string"}},
                },
            },
            **_errors(400, 413, 422),
        },
    }
    explain = {
        "summary": "The rules for a service code, an HTTP status or a rule id",
        "operationId": "explain",
        "parameters": [
            {
                "name": "query",
                "in": "path",
                "required": True,
                "description": "1303, 429 or kling.concurrency.1303.",
                "schema": {"type": "string", "maxLength": 200},
            }
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["query", "rules"],
                    "properties": {
                        "query": {"type": "string"},
                        "rules": {
                            "type": "array",
                            "description": "Rules as the export shows them"
                            " (schemas/export.schema.json#/$defs/rule).",
                            "items": {"type": "object"},
                        },
                    },
                },
                "The matching rules, each with its conditions, rank and knowledge.",
            ),
            **_errors(404, 422),
        },
    }
    check = {
        "summary": "Check a text2video or image2video request body before sending it",
        "description": "Every problem Kling would answer 1201 (or 1301) for. Image paths are"
        " not read: send URLs or Base64. " + limits,
        "operationId": "checkRequest",
        "parameters": [
            {
                "name": "endpoint",
                "in": "query",
                "required": False,
                "schema": {"enum": ["text2video", "image2video"], "default": "text2video"},
            }
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}},
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["endpoint", "ok", "errors", "warnings", "violations"],
                    "properties": {
                        "endpoint": {"type": "string"},
                        "ok": {"type": "boolean", "description": "false: at least one error."},
                        "errors": {"type": "integer"},
                        "warnings": {"type": "integer"},
                        "violations": {"type": "array", "items": _ref("Violation")},
                    },
                },
                "The findings, errors first.",
            ),
            **_errors(400, 413, 422),
        },
    }
    rules = {
        "summary": "The loaded rules as the export document",
        "description": "What `kling-errors rules export` writes (schemas/export.schema.json);"
        " the ETag is its digest (If-None-Match gives 304).",
        "operationId": "rules",
        "responses": {
            "200": _json({"type": "object"}, "The export document."),
            "304": {"description": "Unchanged since the ETag sent."},
        },
    }
    health = {
        "summary": "Liveness, and which rules are loaded",
        "operationId": "health",
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["status", "version", "rules", "rules_digest", "reloads"],
                    "properties": {
                        "status": {"const": "ok"},
                        "version": {"type": "string"},
                        "rules": {"type": "integer"},
                        "rule_sets": {"type": "array", "items": {"type": "string"}},
                        "rules_digest": {"type": "string"},
                        "loaded_at": {"type": "string", "format": "date-time"},
                        "reloads": {"type": "integer", "description": "Successful SIGHUPs."},
                        "last_reload_error": {"type": ["string", "null"]},
                    },
                },
                "The service is up.",
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kling-errors",
            "version": __version__,
            "summary": "Explain failed Kling AI API calls: cause, fix, whether to retry.",
            "description": 'Run with `kling-errors serve` (README, "Beyond Python").'
            " No authentication: it binds 127.0.0.1 unless told otherwise.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/": {
                "get": {
                    "summary": "What this service is, and its endpoints",
                    "operationId": "index",
                    "responses": {"200": _json({"type": "object"}, "Name, version, endpoints.")},
                }
            },
            "/v1/classify": {"post": classify},
            "/v1/explain/{query}": {"get": explain},
            "/v1/check-request": {"post": check},
            "/v1/rules": {"get": rules},
            "/healthz": {"get": health},
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
                }
            },
        },
        "components": {
            "schemas": {"Diagnosis": _diagnosis_schema(), "Error": error, "Violation": violation},
            "responses": {
                f"E{status}": _json(_ref("Error"), text)
                for status, text in (
                    (400, "The body cannot be read as JSON."),
                    (404, "Nothing known."),
                    (413, "The body is too large."),
                    (422, "The JSON has the wrong shape or is over a limit."),
                )
            },
        },
    }
