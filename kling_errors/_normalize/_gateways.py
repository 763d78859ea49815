"""Which gateway a record passed through: named by a host, a header or a body's shape.

Detected: fal, piapi, kie, replicate and OpenAI-style aggregators. A record can also name
its gateway itself (``{"gateway": "acme", ...}``), so teams can match their own.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ._draft import Draft, as_int, is_kling_code

GATEWAY_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
_HOSTS = (
    (re.compile(r"(?:^|\.)fal\.(?:run|ai|media)$"), "fal"),
    (re.compile(r"(?:^|\.)piapi\.ai$"), "piapi"),
    (re.compile(r"(?:^|\.)kie\.ai$"), "kie"),
    (re.compile(r"(?:^|\.)replicate\.(?:com|delivery)$"), "replicate"),
)
_REPLICATE_STATUSES = frozenset(["starting", "processing", "succeeded", "failed", "canceled"])
URL = re.compile(r"https?://([A-Za-z0-9.-]+)(?::\d+)?(/[^\s'\"<>?#]*)?")
_TASK_PATH = re.compile(r"/v1/(?:videos|images)/[\w-]+/(\d{6,})")
# Keys without which no body shape below can be recognised (one set test skips them all).
SHAPE_HINTS = frozenset(["msg", "failCode", "failMsg", "taskId", "urls", "version", "logs",
                         "error_type", "data", "status", "detail", "error"])  # fmt: skip


def absorb_url(draft: Draft, url: str) -> None:
    endpoint, gateway, task_id = _parse_url(url[:2048])
    draft.set_endpoint(endpoint)
    draft.set_gateway(gateway)
    draft.set_task_id(task_id)


@lru_cache(maxsize=1024)  # logs repeat the same few endpoints
def _parse_url(url: str) -> tuple[str | None, str | None, str | None]:
    """(path without query, gateway named by the host, task id in a query path)."""
    found = URL.search(url)
    if found is None:
        return (url.split("?", 1)[0] if url.startswith("/") else None), None, None
    host, path = found.group(1).lower(), found.group(2) or "/"
    gateway = next((g for pattern, g in _HOSTS if pattern.search(host)), None)
    task = _TASK_PATH.search(path)
    return path, gateway, task.group(1) if task else None


def absorb_gateway_headers(draft: Draft) -> None:
    """fal marks its answers with x-fal-* headers (and names the error type in one)."""
    if any(k.startswith("x-fal-") for k in draft.headers):
        draft.set_gateway("fal")
        draft.set_gateway_code(draft.headers.get("x-fal-error-type"))


def detect_shape(draft: Draft, data: dict[str, Any], status: str | None) -> None:
    """A gateway known by the keys of its bodies (``status``: a text ``status`` value)."""
    inner = data.get("data")
    if isinstance(inner, dict) and "task_type" in inner and isinstance(inner.get("error"), dict):
        draft.gateway = "piapi"
    elif "msg" in data and "message" not in data and as_int(data.get("code")) is not None:
        if not is_kling_code(as_int(data.get("code")) or 0):
            draft.gateway = "kie"
    elif "failCode" in data or "failMsg" in data or ("taskId" in data and "state" in data):
        draft.gateway = "kie"
    elif status in _REPLICATE_STATUSES and ("urls" in data or "version" in data or "logs" in data):
        draft.gateway = "replicate"
    elif "error_type" in data and "detail" in data:
        draft.gateway = "fal"
    elif isinstance(data.get("error"), dict) and "type" in data["error"] and not data.get("code"):
        draft.gateway = "aggregator"
