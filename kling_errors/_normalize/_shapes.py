"""Reading structured records: the key aliases of mappings, detail lists, the recursion.

Response objects (status/status_code/http_status + headers + body), HAR entries, bare Kling
bodies, task objects and callbacks, structured log objects (http_status/kling_code/...),
gateway bodies: each is a mapping whose known keys fall in groups (_GROUPS). A mapping is
read outer fields first, nested containers last, so the outer value of a field wins where
the field keeps its first value. Strings found inside go to absorb_text.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .._models import MAX_RETRY_AFTER
from .._redact import SECURE, is_secret_name, may_hold_secrets, redact
from ._draft import MAX_MESSAGE, MAX_TEXT, Draft, as_int, scrub
from ._gateways import GATEWAY_NAME, SHAPE_HINTS, absorb_gateway_headers, absorb_url, detect_shape
from ._text import (
    absorb_html,
    absorb_line_facts,
    embedded_mapping,
    is_html,
    salvage_truncated,
)

MAX_DEPTH = 8
MAX_HEADERS = 200
FAILED_STATUSES = frozenset(["failed", "fail", "failure", "error", "errored", "echec", "échec"])
CANCELED_STATUSES = frozenset(["canceled", "cancelled", "aborted"])
FAILED_OR_CANCELED = FAILED_STATUSES | CANCELED_STATUSES

_STATUS_KEYS = ("status_code", "http_status", "statusCode", "httpStatus", "http_code", "status")
_CODE_KEYS = ("code", "service_code", "kling_code", "error_code", "errorCode", "err_code")
_MESSAGE_KEYS = (
    "message", "kling_message", "error_message", "errorMessage", "msg", "err_msg",
    "errmsg", "error_msg", "reason", "title",
)  # fmt: skip
_TASK_MESSAGE_KEYS = (
    "task_status_msg", "failMsg", "fail_msg", "failure_reason", "fail_reason", "failReason",
    "raw_message",
)  # fmt: skip
_REQUEST_ID_KEYS = ("request_id", "requestId", "x-request-id", "x_request_id")
_TASK_ID_KEYS = ("task_id", "taskId", "prediction_id")
_TASK_STATUS_KEYS = ("task_status", "state")
_NESTED_KEYS = (
    "body", "response", "error", "err", "data", "detail", "result", "exception",
    "json", "payload", "response_body", "responseBody", "content", "text", "raw",
    "response_text", "task", "errors", "cause",
)  # fmt: skip
_LEVEL_KEYS = ("level", "levelname", "severity", "log_level")
_URL_KEYS = ("url", "endpoint", "uri", "path")
_REQUEST_KEYS = ("request", "config")  # HAR request, axios error.config
_GATEWAY_CODE_KEYS = ("error_type", "failCode", "fail_code")
_GROUPS = (
    ("gateway",), ("headers",), ("method",), _URL_KEYS, _REQUEST_KEYS, _STATUS_KEYS,
    _CODE_KEYS, _GATEWAY_CODE_KEYS, _REQUEST_ID_KEYS, _TASK_ID_KEYS, _LEVEL_KEYS,
    _TASK_STATUS_KEYS, _TASK_MESSAGE_KEYS, _MESSAGE_KEYS, _NESTED_KEYS,
)  # fmt: skip
(_G_GATEWAY, _G_HEADERS, _G_METHOD, _G_URL, _G_REQUEST, _G_STATUS, _G_CODE, _G_GATEWAY_CODE,
 _G_REQUEST_ID, _G_TASK_ID, _G_LEVEL, _G_TASK_STATUS, _G_TASK_MESSAGE, _G_MESSAGE,
 _G_NESTED) = range(len(_GROUPS))  # fmt: skip
# key -> (its group, its priority within the group): one dict lookup per key of a record.
KEY_GROUP = {key: (g, rank) for g, group in enumerate(_GROUPS) for rank, key in enumerate(group)}
_ERROR_CONTAINERS = ("error", "err")  # an OpenAI-style error object's `type` is a gateway code
_ERROR_TYPE = re.compile(r"[A-Za-z][\w.-]{1,79}")


_NO_GROUPS: dict[int, tuple[str, ...]] = {}
# The known keys of a mapping by group depend only on its keys: records of one shape share
# them. Keyed by the keys in order; bounded (shapes, not records; cleared when full).
_GROUPS_BY_KEYS: dict[tuple[str, ...], dict[int, tuple[str, ...]]] = {}
_MAX_SHAPES = 4096


def _grouped(data: dict[str, Any]) -> dict[int, tuple[str, ...]]:
    """The mapping's known keys by group, each group in priority order."""
    keys = tuple(data)
    found = _GROUPS_BY_KEYS.get(keys)
    if found is None:
        if len(_GROUPS_BY_KEYS) >= _MAX_SHAPES:
            _GROUPS_BY_KEYS.clear()
        found = _GROUPS_BY_KEYS[keys] = _group_keys(keys)
    return found


def _group_keys(keys: tuple[Any, ...]) -> dict[int, tuple[str, ...]]:
    lists: dict[int, list[str]] = {}
    for key in keys:
        spec = KEY_GROUP.get(key) if isinstance(key, str) else None
        if spec is not None:
            lists.setdefault(spec[0], []).append(key)
    return {
        group: tuple(sorted(members, key=lambda k: KEY_GROUP[k][1]))
        for group, members in lists.items()
    } or _NO_GROUPS


def absorb_mapping(
    draft: Draft, data: dict[str, Any], depth: int, parent: str | None = None
) -> None:
    """Read the known keys of one mapping (outer fields first, then nested containers).

    ``parent`` is the key the mapping was found under: an OpenAI-style ``error`` object's
    ``type`` (``insufficient_quota``, ``invalid_request_error``) is a gateway code too.
    """
    if depth > MAX_DEPTH:
        return
    groups = _grouped(data)
    if not groups:
        return
    _absorb_where(draft, data, groups)
    text_status = _absorb_status_and_codes(draft, data, groups, parent)
    _absorb_ids(draft, data, groups)
    if draft.gateway is None and not SHAPE_HINTS.isdisjoint(data):
        detect_shape(draft, data, text_status)
    task_status = _absorb_task(draft, data, groups, text_status)
    for key in groups.get(_G_MESSAGE, ()):
        value = data[key]
        if isinstance(value, str) and value.strip() and not (key == "title" and depth == 0):
            draft.messages.append((depth, value.strip()))
            break
    for key in groups.get(_G_NESTED, ()):
        _absorb_nested(draft, key, data[key], depth + 1, task_status)


def _absorb_where(draft: Draft, data: dict[str, Any], groups: dict[int, tuple[str, ...]]) -> None:
    """Gateway annotation, headers, URL and method: where the request went."""
    if _G_GATEWAY in groups:
        gateway = data["gateway"]
        if isinstance(gateway, str) and GATEWAY_NAME.fullmatch(gateway.lower()):
            draft.set_gateway(gateway.lower())  # an explicit annotation, any name
    if _G_HEADERS in groups:
        _absorb_headers(draft, data["headers"])
    for key in groups.get(_G_URL, ()):
        if isinstance(data[key], str):
            absorb_url(draft, data[key])
            break
    for key in groups.get(_G_REQUEST, ()):
        request = data[key]
        if isinstance(request, dict):
            if isinstance(request.get("url"), str):
                absorb_url(draft, request["url"])
            if isinstance(request.get("method"), str):
                draft.set_method(request["method"])
    if _G_METHOD in groups and isinstance(data["method"], str) and len(data["method"]) <= 10:
        draft.set_method(data["method"])


def _absorb_status_and_codes(
    draft: Draft, data: dict[str, Any], groups: dict[int, tuple[str, ...]], parent: str | None
) -> str | None:
    """HTTP status, service or gateway code; returns a text ``status`` ("failed") if any."""
    text_status: str | None = None
    for key in groups.get(_G_STATUS, ()):
        status = as_int(data[key])
        if status is not None and 100 <= status <= 599:
            draft.note_status(status)
        elif isinstance(data[key], str) and key == "status":
            text_status = data[key].strip().lower()
    for key in groups.get(_G_CODE, ()):
        code = as_int(data[key])
        if code is not None:
            draft.note_code(code)
        elif isinstance(data[key], str) and data[key]:
            draft.set_gateway_code(data[key][:80])
    for key in groups.get(_G_GATEWAY_CODE, ()):
        if data[key] not in (None, ""):
            draft.set_gateway_code(str(data[key])[:80])
    if parent in _ERROR_CONTAINERS:
        error_type = data.get("type")
        if isinstance(error_type, str) and _ERROR_TYPE.fullmatch(error_type):
            draft.set_gateway_code(error_type)
    return text_status


def _absorb_ids(draft: Draft, data: dict[str, Any], groups: dict[int, tuple[str, ...]]) -> None:
    if draft.request_id is None:
        for key in groups.get(_G_REQUEST_ID, ()):
            if isinstance(data[key], str | int):
                draft.request_id = str(data[key])[:120]
                break
    if draft.task_id is None:
        for key in groups.get(_G_TASK_ID, ()):
            if isinstance(data[key], str | int):
                draft.task_id = str(data[key])[:120]
                break
    for key in groups.get(_G_LEVEL, ()):
        if isinstance(data[key], str):
            draft.set_level(data[key])


def _absorb_task(
    draft: Draft, data: dict[str, Any], groups: dict[int, tuple[str, ...]], text_status: str | None
) -> str | None:
    """A task's status and failure messages; returns the status this mapping gives."""
    task_status = text_status
    for key in groups.get(_G_TASK_STATUS, ()):
        if isinstance(data[key], str):
            task_status = data[key].strip().lower()
            break
    if task_status:
        if draft.task_status is None or task_status in FAILED_OR_CANCELED:
            draft.task_status = task_status
        if draft.gateway == "replicate" and isinstance(data.get("id"), str):
            draft.set_task_id(data["id"])
    for key in groups.get(_G_TASK_MESSAGE, ()):
        if isinstance(data[key], str) and data[key].strip():
            draft.task_messages.append(data[key].strip())
    return task_status


def _absorb_nested(
    draft: Draft, key: str, nested: Any, depth: int, task_status: str | None
) -> None:
    if isinstance(nested, dict):
        absorb_mapping(draft, nested, depth, key)
    elif isinstance(nested, str) and nested.strip():
        if task_status in FAILED_STATUSES and key in ("error", "detail"):
            draft.task_messages.append(nested.strip())
        absorb_text(draft, nested, depth, top=False)
    elif isinstance(nested, list) and nested:
        absorb_list(draft, nested, depth)


def _absorb_headers(draft: Draft, headers: Any) -> None:
    pairs: list[tuple[Any, Any]] = []
    if isinstance(headers, dict):
        pairs = list(headers.items())
    elif isinstance(headers, list):  # HAR: [{"name": ..., "value": ...}]
        pairs = [(h.get("name"), h.get("value")) for h in headers if isinstance(h, dict)]
    names: list[str] = []
    values: list[str] = []
    for name, raw in pairs[:MAX_HEADERS]:
        if isinstance(name, str) and raw is not None:
            key = scrub(name.lower()[:100])
            names.append(key)
            values.append(SECURE if is_secret_name(key) else scrub(str(raw)[:MAX_MESSAGE]))
    if may_hold_secrets(values):
        values = [redact(value) for value in values]
    for key, value in zip(names, values, strict=True):
        draft.headers.setdefault(key, value)
    if draft.retry_after is None and "retry-after" in draft.headers:
        draft.retry_after = _retry_after(draft.headers["retry-after"], draft.headers)
    absorb_gateway_headers(draft)
    for key in ("x-request-id", "x-kling-request-id", "request-id"):
        draft.set_request_id(draft.headers.get(key))


def _retry_after(value: str, headers: dict[str, str]) -> float | None:
    """Seconds to wait from a Retry-After value (delay seconds or an HTTP date), or None."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return min(max(0.0, seconds), MAX_RETRY_AFTER) if math.isfinite(seconds) else None
    if "date" not in headers:
        return None  # an absolute date without the response's Date: cannot tell the wait
    from email.utils import parsedate_to_datetime  # rare: only for HTTP-date Retry-After

    try:
        wait = (
            parsedate_to_datetime(value) - parsedate_to_datetime(headers["date"])
        ).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # unparseable, or one date with a zone and one without
    return min(max(0.0, wait), MAX_RETRY_AFTER)


def absorb_list(draft: Draft, items: list[Any], depth: int) -> None:
    """fal/pydantic validation details: [{"loc": [...], "msg": ..., "type": ...}, ...]."""
    parts = []
    for item in items[:20]:
        if not isinstance(item, dict):
            continue
        msg = item.get("msg") or item.get("message")
        if isinstance(msg, str):
            loc = item.get("loc")
            where = ".".join(str(p) for p in loc) if isinstance(loc, list) else ""
            parts.append(f"{where}: {msg}" if where else msg)
        kind = item.get("type")
        if isinstance(kind, str):
            draft.set_gateway_code(kind[:80])
            if "content_policy" in kind:
                draft.set_gateway("fal")
        if isinstance(item.get("url"), str) and "fal.ai" in item["url"]:
            draft.set_gateway("fal")
        if "task_status" in item or "task_id" in item:
            absorb_mapping(draft, item, depth)
            return
    if parts:
        draft.messages.append((depth, "; ".join(parts)))


def absorb_text(draft: Draft, text: str, depth: int, *, top: bool) -> None:
    """A string: JSON, an error page, or a line of text that may carry JSON inside."""
    text = text[: MAX_TEXT * 4]
    stripped = text.strip()
    draft.texts.append(stripped[:MAX_TEXT])
    if stripped[:1] in "{[":
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            absorb_mapping(draft, value, depth)
            return
        if isinstance(value, list):
            absorb_list(draft, value, depth)
            return
    if is_html(stripped):
        absorb_html(draft, stripped, depth)
        return
    embedded = embedded_mapping(stripped)
    if embedded is not None:
        absorb_mapping(draft, embedded, depth + 1)
    elif "{" in stripped:
        salvage_truncated(draft, stripped, depth + 1)
    outside = stripped if embedded is None else stripped.split("{", 1)[0]
    absorb_line_facts(draft, stripped, outside, depth, top=top)
