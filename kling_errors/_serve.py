"""`kling-errors serve`: the engine behind HTTP, for programs in any language.

An ASGI app (Starlette; `kling-errors serve` runs it on uvicorn) over the same library
calls as the CLI, so its answers are the CLI's:

    POST /v1/classify          one record, or {"records": [...]}: the records
                               `classify --format jsonl` writes (Writer.tail), location null
    GET  /v1/explain/{query}   the rules for a service code, an HTTP status or a rule id
    POST /v1/check-request     pre-flight of a request body (?endpoint=image2video)
    GET  /v1/rules             the export (`rules export`), with an ETag
    GET  /healthz              liveness and which rules are loaded
    GET  /openapi.json         the OpenAPI 3.1 document (_openapi)

Rules are loaded once, before the first request, and again on SIGHUP: the new set is built
on a worker thread and replaces the old one only when it loaded completely; a reload that
fails keeps the old rules and logs every problem. Bodies are limited in bytes (413) and
batches in records (422); malformed JSON is a 400. Errors are JSON ({"error": {"status",
"message", "hint"}}) and never quote the request body; the few values they name are
redacted like every output. That state, the limits and the reading of bodies live in
kling_errors._service; this module is the HTTP side.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import PurePath
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._export import rule_dict
from ._match import explain_candidates
from ._openapi import openapi_document
from ._redact import redact
from ._service import LOG, Loaded, ServeError, Service
from ._version import __version__

MAX_QUERY_CHARS = 200
NDJSON = "application/x-ndjson"


def _error(
    status: int, message: str, hint: str = "", headers: dict[str, str] | None = None
) -> Response:
    body = {"error": {"status": status, "message": message, "hint": hint}}
    return JSONResponse(body, status, headers=headers)


def _shown(value: str) -> str:
    """A caller's value as an error message may name it: redacted and short."""
    value = redact(value)
    return value if len(value) <= 80 else value[:79] + "…"


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


async def classify(request: Request) -> Response:
    service: Service = request.app.state.service
    records, batch = service.records(await service.json_body(request))
    loaded = service.current  # one rule set for the whole request, even during a reload
    why = _flag(request, "why")
    lines = []
    for index, record in enumerate(records):
        diagnosis = loaded.engine.classify(record, index=index)
        reasons = explain_candidates(loaded.engine.candidates(record)) if why else None
        lines.append(f'{{"index": {index}' + loaded.writer.tail(diagnosis, reasons))
    if NDJSON in request.headers.get("accept", ""):
        return Response("".join(f"{line}\n" for line in lines), media_type=NDJSON)
    text = f'{{"records": [{", ".join(lines)}]}}' if batch else lines[0]
    return Response(text, media_type="application/json")


async def explain(request: Request) -> Response:
    service: Service = request.app.state.service
    query = request.path_params["query"]
    if len(query) > MAX_QUERY_CHARS:
        raise ServeError(422, f"the query is longer than {MAX_QUERY_CHARS} characters")
    loaded = service.current
    found = loaded.engine.explain(query)
    if not found:
        raise ServeError(
            404,
            f"nothing known about {_shown(query)!r}",
            "try a service code such as 1303, a status such as 429, or a rule id (GET /v1/rules)",
        )
    rules = [rule_dict(rule, loaded.positions[rule.id]) for rule in found]
    return JSONResponse({"query": query.strip(), "rules": rules})


_ENDPOINTS = ("text2video", "image2video")
_IMAGE_FILES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")


def _local_paths(payload: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Image values the CLI would read as files: a service reads no files from its own disk
    (a caller's path means nothing here, and probing the server's disk is no feature)."""
    found = []
    checked = dict(payload)
    for key in ("image", "image_tail"):
        value = payload.get(key)
        if not isinstance(value, str) or value.startswith(("http://", "https://", "data:")):
            continue
        if len(value) < 4096 and PurePath(value).suffix.lower() in _IMAGE_FILES:
            checked[key] = "https://file.invalid/"  # checked as a URL: not opened
            found.append(
                {
                    "path": f"$.{key}", "severity": "error",
                    "message": "a file path: the service does not read files",
                    "fix": "send a public URL or the image's raw Base64",
                    "service_code": 1201, "rule": "kling.request.1201",
                }
            )  # fmt: skip
    return checked, found


async def check_request(request: Request) -> Response:
    from ._preflight import check_request as check
    from ._preflight import load_terms

    service: Service = request.app.state.service
    endpoint = request.query_params.get("endpoint", "text2video")
    if endpoint not in _ENDPOINTS:
        raise ServeError(422, "endpoint must be text2video or image2video", "?endpoint=image2video")
    payload = await service.json_body(request)
    violations: list[dict[str, Any]] = []
    if isinstance(payload, dict) and endpoint == "image2video":
        payload, violations = _local_paths(payload)
    if not hasattr(request.app.state, "terms"):
        request.app.state.terms = load_terms()
    for violation in check(payload, endpoint, terms=request.app.state.terms):
        shown = violation.to_dict()
        shown["message"] = redact(shown["message"])  # messages may quote the payload
        violations.append(shown)
    violations.sort(key=lambda v: (v["severity"] != "error", v["path"]))
    errors = sum(v["severity"] == "error" for v in violations)
    return JSONResponse(
        {
            "endpoint": endpoint, "ok": errors == 0, "errors": errors,
            "warnings": len(violations) - errors, "violations": violations,
        }
    )  # fmt: skip


async def rules_export(request: Request) -> Response:
    loaded: Loaded = request.app.state.service.current
    etag = f'"{loaded.digest}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(loaded.export, media_type="application/json", headers={"ETag": etag})


async def healthz(request: Request) -> Response:
    service: Service = request.app.state.service
    loaded = service.current
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "rules": len(loaded.engine.rules),
            "rule_sets": list(loaded.engine.rules.sources),
            "rules_digest": loaded.digest,
            "loaded_at": loaded.loaded_at,
            "reloads": service.reloads,
            "last_reload_error": service.last_reload_error,
        }
    )


async def openapi(request: Request) -> Response:
    service: Service = request.app.state.service
    return JSONResponse(openapi_document(service.max_body_bytes, service.max_batch))


async def index(request: Request) -> Response:
    return JSONResponse(
        {
            "service": "kling-errors", "version": __version__, "openapi": "/openapi.json",
            "endpoints": ["POST /v1/classify", "GET /v1/explain/{query}",
                          "POST /v1/check-request", "GET /v1/rules", "GET /healthz"],
        }
    )  # fmt: skip


async def _serve_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServeError)
    return _error(exc.status, exc.message, exc.hint)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error(404, "no such endpoint", "GET /openapi.json lists the endpoints")
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return _error(405, f"method not allowed; allowed: {allowed}", "", {"Allow": allowed})
    return _error(exc.status_code, str(exc.detail))


async def _internal_error(request: Request, exc: Exception) -> Response:
    LOG.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, f"internal error: {type(exc).__name__}", "this is a bug in kling-errors")


def create_app(service: Service) -> Starlette:
    """The ASGI app over a Service whose rules are already loaded."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        reloads: set[asyncio.Task[bool]] = set()

        def on_hangup() -> None:
            LOG.info("SIGHUP: reloading the rules")
            task = loop.create_task(service.reload())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        hangup = getattr(signal, "SIGHUP", None)
        try:
            if hangup is not None:
                loop.add_signal_handler(hangup, on_hangup)
        except (NotImplementedError, RuntimeError, ValueError):
            hangup = None  # not the main thread, or no signals here: reload is not offered
        yield
        if hangup is not None:
            loop.remove_signal_handler(hangup)
        service.current.engine.save_renders()

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/v1/classify", classify, methods=["POST"]),
            Route("/v1/explain/{query:path}", explain, methods=["GET"]),
            Route("/v1/check-request", check_request, methods=["POST"]),
            Route("/v1/rules", rules_export, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers={
            ServeError: _serve_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    app.state.service = service
    return app
