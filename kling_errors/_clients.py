"""Kling's answers as HTTP clients hand them over, read without losing the body.

    requests / httpx / aiohttp response ─┐
    httpx.HTTPStatusError, requests.HTTPError (their .response)
    a transport exception (its text) ────┼──▶ record ──Engine──▶ Diagnosis ──▶ typed error
    a dict (response, body, task) or a string ─┘                              or the JSON body

No client library is imported here: a response is recognised by the classes of the
libraries the caller already imported (``sys.modules``), so using one costs nothing to
those who do not.

The body is never lost silently. A body not read yet is read when it may hold Kling's answer
(an error status, a JSON or unknown content type) and reading is safe here: a sync stream of
httpx or requests. An async body (aiohttp, httpx.AsyncClient) cannot be read from sync code:
``ResponseNotReadError`` says to ``await araise_for_error(response)``. A successful download
(``video/mp4``) is left unread for the caller to stream. A stream the caller consumed without
keeping the body raises ``ResponseNotReadError`` too.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from ._engine import Engine, default_engine
from ._exceptions import KlingAPIError, ResponseNotReadError
from ._models import Diagnosis
from ._vocabulary import Outcome

_STATUS_KEYS = ("status", "status_code", "http_status", "statusCode")
# Exceptions of these libraries are HTTP or transport failures (is_transport).
_TRANSPORT_MODULES = ("httpx", "httpcore", "requests", "urllib3", "aiohttp", "http")
_ASYNC_HINT = "use `await araise_for_error(response)` (or `await aclassify(response)`)"


@dataclass
class _Answer:
    """What one response or exception gave: the record, the parsed body, the objects."""

    record: Any
    body: Any = None
    response: Any = None
    exception: BaseException | None = None


def to_record(response: object) -> Any:
    """A response object or client exception as a record the engine and the CLI read.

    A dict or a string passes through. Reads an unread body as described in the module
    docstring; log the record as JSON and ``kling-errors classify`` gives the same answer.
    """
    return _read(response).record


def classify(record: object, *, engine: Engine | None = None) -> Diagnosis:
    """Diagnose one record: a dict, a string, a response object or a client exception.

    A KlingAPIError gives its own diagnosis.
    """
    if isinstance(record, KlingAPIError):
        return record.diagnosis
    return (engine or default_engine()).classify(_read(record).record)


async def aclassify(record: object, *, engine: Engine | None = None) -> Diagnosis:
    """``classify`` that can read an async body (aiohttp, httpx.AsyncClient) first."""
    if isinstance(record, KlingAPIError):
        return record.diagnosis
    return (engine or default_engine()).classify((await _aread(record)).record)


def raise_for_error(response: object, *, engine: Engine | None = None) -> dict[str, Any]:
    """Raise the typed KlingAPIError if the response is a Kling error (a failed task too).

    Takes a requests or httpx response, an httpx/requests exception (its ``.response`` is
    read; a transport error is classified from its text), an aiohttp response whose body was
    read, or a record (dict or string). Returns the parsed JSON body when it is not an
    error — ``{}`` when a successful answer holds no JSON object (an empty body, a download
    left unread) — so ``raise_for_error(resp)["data"]`` reads naturally. An exception without
    a response is typed when it is a transport failure a rule explains (``OSError``s and the
    clients' exceptions); any other is raised again as it was, a KlingAPIError too.
    """
    if isinstance(response, KlingAPIError):
        raise response
    return _finish(_read(response), engine)


async def araise_for_error(response: object, *, engine: Engine | None = None) -> dict[str, Any]:
    """``raise_for_error`` for async clients: reads an aiohttp or httpx.AsyncClient body."""
    if isinstance(response, KlingAPIError):
        raise response
    return _finish(await _aread(response), engine)


def _finish(answer: _Answer, engine: Engine | None) -> dict[str, Any]:
    engine = engine or default_engine()
    diagnosis = engine.classify(answer.record)
    # An exception known only by its text is typed when it is a transport failure a rule
    # explains; any other (a bug's ValueError) goes back unchanged: `except` still works.
    exc = answer.exception
    guess = exc is not None and isinstance(answer.record, str)
    if exc is not None and guess and not is_transport(exc):
        raise exc
    if diagnosis.outcome == Outcome.MATCHED or (diagnosis.is_error and not guess):
        rule = engine.rules.get(diagnosis.rule) if diagnosis.rule else None
        error = KlingAPIError.from_diagnosis(
            diagnosis,
            response=answer.response,
            retry_policy=rule.retry if rule is not None else None,
        )
        if answer.exception is not None:
            raise error from answer.exception
        raise error
    if answer.exception is not None:
        raise answer.exception
    return answer.body if isinstance(answer.body, dict) else {}


# -- sync reading ---------------------------------------------------------------------------


def _read(value: object) -> _Answer:
    if isinstance(value, dict):
        return _Answer(value, _body_of_record(value))
    if isinstance(value, str):
        return _Answer(value, _parse(value, ""))
    if isinstance(value, BaseException):
        return _read_exception(value)
    return _read_response(value, _sync_body(value))


def _body_of_record(record: dict[Any, Any]) -> Any:
    """A response-shaped record gives its body; any other record is the body itself."""
    if "body" in record and any(key in record for key in _STATUS_KEYS):
        body = record["body"]
        return _parse(body, "") if isinstance(body, str | bytes) else body
    return record


def _read_exception(exc: BaseException) -> _Answer:
    response = _attached_response(exc)
    if response is not None:
        answer = _read_response(response, _sync_body(response))
        answer.exception = exc
        return answer
    return _exception_answer(exc)


def _attached_response(exc: BaseException) -> Any:
    """httpx.HTTPStatusError / requests.HTTPError carry the response (requests: maybe None)."""
    try:
        response = getattr(exc, "response", None)
    except Exception:  # httpx raises RuntimeError for an unset attribute
        return None
    if response is None or not _looks_like_response(response):
        return None
    return response


def _exception_answer(exc: BaseException) -> _Answer:
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(exc, aiohttp.ClientResponseError):
        # raise_for_status() dropped the body; status, headers and reason are all there is
        record: dict[str, Any] = {
            "status": exc.status,
            "headers": dict(exc.headers or {}),
            "message": exc.message,
        }
        info = exc.request_info
        record["url"], record["method"] = str(info.real_url), info.method
        return _Answer(record, exception=exc)
    return _Answer(_exception_text(exc), exception=exc)


def _exception_text(exc: BaseException) -> str:
    """``module.Class: message`` for the exception and its causes, as a traceback shows them."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(lines) < 5:
        seen.add(id(current))
        kind = type(current)
        name = kind.__qualname__
        if kind.__module__ not in ("builtins", "__main__"):
            name = f"{kind.__module__}.{name}"
        lines.append(f"{name}: {current}")
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return "\n".join(lines)


def is_transport(error: BaseException | None) -> bool:
    """An OSError (refused, reset, DNS, TLS, timeouts) or an exception of an HTTP client."""
    if isinstance(error, OSError):
        return True
    return type(error).__module__.split(".", 1)[0] in _TRANSPORT_MODULES


def _looks_like_response(value: object) -> bool:
    return hasattr(value, "status_code") or hasattr(value, "status")


def _sync_body(response: object) -> bytes | str | None:
    """The body of a response object; None when it is rightly left unread (a download)."""
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(response, httpx.Response):
        try:
            return bytes(response.content)
        except httpx.ResponseNotRead:
            pass
        if not _may_hold_answer(response.status_code, response.headers):
            return None
        try:
            return bytes(response.read())
        except (httpx.StreamConsumed, httpx.StreamClosed) as exc:
            raise _consumed("httpx") from exc
        except RuntimeError as exc:  # an AsyncClient stream: no sync read possible
            raise ResponseNotReadError(
                "the body of this httpx.AsyncClient response was not read yet",
                f"{_ASYNC_HINT}, or `await response.aread()` before",
            ) from exc
    requests = sys.modules.get("requests")
    if requests is not None and isinstance(response, requests.Response):
        unread = getattr(response, "_content", None) is False
        if unread and not _may_hold_answer(response.status_code, response.headers):
            return None
        try:
            content = response.content
        except RuntimeError as exc:  # "The content for this response was already consumed"
            raise _consumed("requests") from exc
        return bytes(content) if content is not None else None
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(response, aiohttp.ClientResponse):
        body = getattr(response, "_body", None)  # what `await response.read()` kept
        if body is None and _may_hold_answer(response.status, response.headers):
            raise ResponseNotReadError(
                "the body of this aiohttp response was not read yet; aiohttp reads only in"
                " async code",
                f"{_ASYNC_HINT}, or `await response.read()` before",
            )
        return bytes(body) if body is not None else None
    return _duck_body(response)


def _duck_body(response: object) -> bytes | str | None:
    """Any other response-like object: ``.content`` bytes, ``.text``, ``.body`` or ``.data``."""
    for name in ("content", "text", "body", "data"):
        try:
            value = getattr(response, name, None)
        except Exception:  # a property that cannot answer
            continue
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        if isinstance(value, str):
            return value
    return None


def _consumed(client: str) -> ResponseNotReadError:
    return ResponseNotReadError(
        f"the body of this {client} response was consumed without being kept",
        "call raise_for_error before iterating the stream, or pass the body yourself:"
        " raise_for_error({'status': r.status_code, 'headers': dict(r.headers), 'body': body})",
    )


def _may_hold_answer(status: Any, headers: Any) -> bool:
    """An error status, or a JSON or unknown type: Kling's answer may be in the body."""
    if not isinstance(status, int) or status >= 400:
        return True
    kind = _content_type(headers)
    return not kind or "json" in kind


def _content_type(headers: Any) -> str:
    try:
        value = headers.get("content-type") or headers.get("Content-Type") or ""
    except Exception:  # headers of an odd shape
        return ""
    return str(value).lower()


def _parse(raw: bytes | str | None, content_type: str) -> Any:
    """JSON when the body is JSON, else the text (decoded as the response declares)."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        pass
    if isinstance(raw, str):
        return raw
    charset = "utf-8"
    if "charset=" in content_type:
        charset = content_type.split("charset=", 1)[1].split(";", 1)[0].strip(" \"'") or charset
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _read_response(response: Any, raw: bytes | str | None) -> _Answer:
    """The record of a response object whose body (or None: unread on purpose) is ``raw``."""
    status = getattr(response, "status_code", None)
    if status is None:
        status = getattr(response, "status", None)
    try:
        headers = dict(getattr(response, "headers", None) or {})
    except (TypeError, ValueError):
        headers = {}
    body = _parse(raw, _content_type(headers))
    record: dict[str, Any] = {"status": status, "headers": headers, "body": body}
    url, method = _where(response)
    if url is not None:
        record["url"] = url
    if method is not None:
        record["method"] = method
    return _Answer(record, body, response)


def _where(response: Any) -> tuple[str | None, str | None]:
    """URL and method of the request behind a response, when the object knows them."""
    url: str | None = None
    method: str | None = None
    try:  # httpx raises RuntimeError when a Response has no request
        found = getattr(response, "url", None)
        url = str(found) if found is not None else None
        request = getattr(response, "request", None)
        method = getattr(request, "method", None) or getattr(response, "method", None)
    except Exception:  # whatever the object does, the record stays usable
        pass
    return url, method if isinstance(method, str) else None


# -- async reading --------------------------------------------------------------------------


async def _aread(value: object) -> _Answer:
    if isinstance(value, BaseException):
        response = _attached_response(value)
        if response is None:
            return _exception_answer(value)
        answer = _read_response(response, await _async_body(response))
        answer.exception = value
        return answer
    if isinstance(value, dict | str):
        return _read(value)
    return _read_response(value, await _async_body(value))


async def _async_body(response: object) -> bytes | str | None:
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(response, aiohttp.ClientResponse):
        body = getattr(response, "_body", None)
        if body is None and _may_hold_answer(response.status, response.headers):
            try:
                body = await response.read()
            except aiohttp.ClientConnectionError as exc:
                raise ResponseNotReadError(
                    "the aiohttp response was released before its body was read",
                    "call araise_for_error inside `async with session.get(...) as response:`",
                ) from exc
        return bytes(body) if body is not None else None
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(response, httpx.Response):
        try:
            return bytes(response.content)
        except httpx.ResponseNotRead:
            pass
        if not _may_hold_answer(response.status_code, response.headers):
            return None
        try:
            return bytes(await response.aread())
        except (httpx.StreamConsumed, httpx.StreamClosed) as exc:
            raise _consumed("httpx") from exc
        except RuntimeError:  # a sync stream handed to async code: read it the sync way
            return _sync_body(response)
    return _sync_body(response)
