"""Normalizing: any logged record -> one Event (or a verdict: not an error / unreadable).

Shapes understood (see README "Inputs"): response objects (status/status_code/http_status +
headers + body), HAR entries, bare Kling bodies, task objects and callbacks, structured log
objects (http_status/kling_code/kling_message...), gateway bodies (fal, PiAPI, Kie,
Replicate, OpenAI-style aggregators) and raw strings: log lines with embedded JSON or dict
reprs, truncated JSON, exception messages, HTML error pages.

Precedence: the body's service code beats the HTTP status; a failed task inside a
``code: 0`` / ``SUCCEED`` envelope is a failure and its ``task_status_msg`` is the message.
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._models import MAX_RETRY_AFTER, Event
from ._redact import SECURE, is_secret_name, redact

MAX_DEPTH = 8
MAX_TEXT = 16_384  # characters of a record searched by `text` conditions
MAX_MESSAGE = 1_000
MAX_EMBEDDED_SCAN = 12  # '{' positions tried when looking for JSON inside a line

KLING_CODE_RANGES = ((1000, 1999), (5000, 5999))

FAILED_STATUSES = frozenset(["failed", "fail", "failure", "error", "errored", "echec", "échec"])
CANCELED_STATUSES = frozenset(["canceled", "cancelled", "aborted"])
FINE_STATUSES = frozenset(
    [
        "submitted", "processing", "succeed", "succeeded", "success", "successful",
        "completed", "complete", "pending", "queued", "queuing", "in_queue", "waiting", "ok",
        "starting", "running", "generating", "staged", "in_progress", "created",
    ]
)  # fmt: skip

_FAILED_OR_CANCELED = FAILED_STATUSES | CANCELED_STATUSES
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
_INFO_LEVELS = frozenset(["debug", "info", "notice", "trace", "information", "verbose"])

_GATEWAY_HOSTS = (
    (re.compile(r"(?:^|\.)fal\.(?:run|ai|media)$"), "fal"),
    (re.compile(r"(?:^|\.)piapi\.ai$"), "piapi"),
    (re.compile(r"(?:^|\.)kie\.ai$"), "kie"),
    (re.compile(r"(?:^|\.)replicate\.(?:com|delivery)$"), "replicate"),
)
# Detected from URLs and body shapes: fal, piapi, kie, replicate, aggregator. A record can
# also name its gateway itself ({"gateway": "acme", ...}), so teams can match their own.
_GATEWAY_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
_REPLICATE_STATUSES = frozenset(["starting", "processing", "succeeded", "failed", "canceled"])

# The reason phrases of RFC 9110 a log line shows next to a status: "500 Internal Server Error".
_REASON_PHRASES = (
    "Bad Request", "Unauthorized", "Payment Required", "Forbidden", "Not Found",
    "Method Not Allowed", "Request Timeout", "Conflict", "Gone", "Payload Too Large",
    "Content Too Large", "Unprocessable Entity", "Unprocessable Content", "Too Many Requests",
    "Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout",
    "Gateway Time-out",
)  # fmt: skip
_REASON_WORDS = tuple(sorted({p.split()[0] for p in _REASON_PHRASES}))
# A reason phrase with no number ("Error: Internal Server Error", fetch's statusText) still
# names its status; title case only, and never "Not Found", which app messages use freely.
_PHRASE_STATUS = {
    "Bad Request": 400, "Unauthorized": 401, "Payment Required": 402, "Forbidden": 403,
    "Request Timeout": 408, "Unprocessable Entity": 422, "Too Many Requests": 429,
    "Internal Server Error": 500, "Bad Gateway": 502, "Service Unavailable": 503,
    "Gateway Timeout": 504, "Gateway Time-out": 504,
}  # fmt: skip
_STATUS_PHRASE = re.compile(r"\b(" + "|".join(map(re.escape, _PHRASE_STATUS)) + r")\b")
# HTTP status spelled in free text by common clients and log formats, in order of trust.
# Each comes with words it cannot match without: a substring test is far cheaper than a
# search. The (?i) patterns' words are looked for in the lowered text and avoid i, k and s,
# which (?i) also matches outside ASCII (tests/test_inputs.py holds both claims).
_STATUS_IN_TEXT: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    ((" error '",), re.compile(r"(?:Client|Server) error '([1-5]\d\d)\b")),  # httpx
    ((" Error",), re.compile(r"\b([1-5]\d\d) (?:Client|Server) Error\b")),  # requests
    (("ClientResponseError: ",), re.compile(r"ClientResponseError: ([1-5]\d\d),")),  # aiohttp
    (
        ("HTTP",),
        re.compile(r"\bHTTP(?: [Ee]rror|/\d(?:\.\d)?)?[\s:=]+([1-5]\d\d)\b"),
    ),  # HTTP/1.1 429
    (  # status=429, "status": 429, status code 429
        ("tatu",),
        re.compile(
            r"(?i)(?:\b|_)status(?:[ _-]?code)?\b[\"']?[\s:=]+(?:of\s+)?[\"']?([1-5]\d\d)\b"
        ),
    ),
    (("(",), re.compile(r"(?i)\b(?:error|status|http|code|failed)\s*\(([1-5]\d\d)\)")),  # (502)
    (("error",), re.compile(r"(?i)\berror:?\s+([1-5]\d\d)\s*(?:[-:({]|$)")),  # error: 400 - {
    ((), re.compile(r"^\s*([1-5]\d\d)\s*(?:[-:{]|$|[A-Z][a-z]+ [A-Z])")),  # 502 Bad Gateway
    (_REASON_WORDS, re.compile(rf"\b([1-5]\d\d)[\s:-]+\(?(?:{'|'.join(_REASON_PHRASES)})\b")),
    (("→", "->", "=>"), re.compile(r"(?:→|->|=>)\s*([1-5]\d\d)\b")),  # GET /task/1 → 404
    (
        ("led",),
        re.compile(r"(?i)\bfailed\b[^\n]{0,80}?:\s*([1-5]\d\d)\s*$"),
    ),  # ...failed (x): 405
    (  # response code 429, code: 503 (a 3-digit code is never a Kling service code)
        ("code",),
        re.compile(
            r"(?i)\b(?:response|http|status|error)[ _-]?code\b[\"']?[\s:=]+[\"']?([1-5]\d\d)\b"
        ),
    ),
    (
        ("returned", "got", "rece", "ponded"),
        re.compile(r"(?i)\b(?:returned|got|received|responded with)\s+(?:HTTP\s+)?([1-5]\d\d)\b"),
    ),
)
# (words, pattern, whether the words are looked for in the lowered text)
_STATUS_CHECKS = tuple(
    (words, pattern, bool(pattern.flags & re.IGNORECASE)) for words, pattern in _STATUS_IN_TEXT
)
_A_STATUS = re.compile(r"[1-5]\d\d")  # each pattern above needs one: skip them all if none
_FOUR_DIGITS = re.compile(r"\d{4}")  # _CODE_IN_TEXT needs one
# "code": 1303, code=1303, error code: 1303, Kling API error 1201:, 错误码 1102. In free text
# only the official table's codes count: a four-digit number is often something else.
_CODE_IN_TEXT = re.compile(
    r"(?i)(?:\"code\"|'code'|\bcode|\berror|错误码|业务码|错误)[\"']?\s*[:=\uff1a#]?\s*[\"'(\[]?"
    r"(\d{4})\b"
)
OFFICIAL_CODES = frozenset(
    [1000, 1001, 1002, 1003, 1004, 1100, 1101, 1102, 1103, 1200, 1201, 1202, 1203,
     1300, 1301, 1302, 1303, 1304, 5000, 5001, 5002]
)  # fmt: skip
_SALVAGE = {
    "message": re.compile(r"[\"'](?:message|msg)[\"']\s*:\s*[\"']((?:[^\"'\\]|\\.){1,500})"),
    "request_id": re.compile(r"[\"']request_id[\"']\s*:\s*[\"']([\w-]{4,80})"),
    "task_status_msg": re.compile(
        r"[\"']task_status_msg[\"']\s*:\s*[\"']((?:[^\"'\\]|\\.){1,500})"
    ),
    "task_status": re.compile(r"[\"']task_status[\"']\s*:\s*[\"'](\w+)"),
}  # fmt: skip
_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(?::\d+)?(/[^\s'\"<>?#]*)?")
_TASK_PATH = re.compile(r"/v1/(?:videos|images)/[\w-]+/(\d{6,})")
_HTML = re.compile(r"(?is)^\s*(?:<!doctype html|<html|<head|<body)")
_HTML_TAGS = re.compile(r"<[^<>]{0,2000}>")
MAX_HTML = 256 * 1024  # of an error page, what is read
MAX_HEADERS = 200


def _html_title(html: str) -> str | None:
    lowered = html.lower()
    start = lowered.find("<title>")
    if start == -1:
        return None
    end = lowered.find("</title>", start)
    return html[start + 7 : end if end != -1 else start + 7 + 300][:300]


def _without_scripts(html: str) -> str:
    """The page without <script>/<style> elements (their code is no message)."""
    lowered = html.lower()
    parts: list[str] = []
    position = 0
    while True:
        start = min(
            (
                i
                for i in (lowered.find("<script", position), lowered.find("<style", position))
                if i != -1
            ),
            default=-1,
        )
        if start == -1:
            parts.append(html[position:])
            return " ".join(parts)
        parts.append(html[position:start])
        tag = "</script>" if lowered.startswith("<script", start) else "</style>"
        end = lowered.find(tag, start)
        if end == -1:
            return " ".join(parts)
        position = end + len(tag)


_LEADING_LEVEL = re.compile(
    r"(?i)^[^a-z]{0,40}(?:\S+\s+){0,3}?[\[\(]?\b(DEBUG|INFO|NOTICE|TRACE)\b[\]\):]?"
)
_LEVEL_WORDS = ("debug", "info", "notice", "trace")


def _may_name_a_level(text: str) -> bool:
    """False when _LEADING_LEVEL cannot match (its search costs up to 40 µs a line)."""
    lowered = text.lower()
    if "\u0131" in lowered or "\u0307" in lowered:  # (?i) I also matches U+0131 and U+0130
        lowered = lowered.replace("\u0131", "i").replace("\u0307", "")
    return any(map(lowered.__contains__, _LEVEL_WORDS))


_ERROR_WORDS = re.compile(
    r"(?i)error|exception|fail|timeout|timed out|refused|reset|denied|invalid|unable|cannot"
    r"|can't|could not|forbidden|unauthori[sz]ed|too many|exceed|not found|unavailable|abort"
    r"|violat|reject|blocked|expired|insufficient|错误|失败|异常|超时|无效|非法|失效|欠费|拒绝|限制"
)
_WS = re.compile(r"\s+")
_LOST_BODY = re.compile(r"\[object Object\]")
# The client could not read the answer at all: nothing in the record says what went wrong.
_EMPTY_BODY = re.compile(
    r"(?i)\b(?:response|reply|result)(?: body)? (?:is|was) empty\b"
    r"|\bempty (?:response|reply)(?: body)?\b|\bno response (?:body|data)\b"
    r"|\btask[ _]?id\b(?:[^.;]){0,20}\b(?:missing|not returned)\b|\bresponse\b(?:[^.;]){0,20}"
    r"\b(?:has neither|lacks|is missing|missing data)\b"
    r"|\breturned no task[ _]?id\b|\bno se recibi[oó] (?:el )?task_id"
    r"|\binvalid response (?:from|format)\b"
    r"|\bno (?:task|request)[ _.]?id (?:was )?(?:found|returned|received|in (?:the )?response)\b"
    r"|\b(?:parse|parsing) error\b|\bnot valid json\b"
    r"|\bunexpected token .{1,3} in json\b"
    r"|не вернул[а-яё]* (?:идентификатор|id)|помилка парсингу"  # noqa: RUF001
    r"|(?:响应|返回)(?:数据)?解析失败|未返回任务"
    r"|\b(?:response )?deserializ(?:ation|e) failed\b"
    r"|\bfailed to (?:parse|decode|deserialize) (?:the )?response"
    r"|\bневерный формат ответа|(?:响应|返回)(?:数据)?格式(?:错误|异常|不正确)"  # noqa: RUF001
)
# Success or progress said in words, in a line with no status, code or error word.
_FINE_WORDS = re.compile(
    r"(?i)\bsuccess(?:ful(?:ly)?)?\b|\bsucceeded\b|\bcompleted\b|\bcreated\b|\bpolling\b"
    r"|\bwaiting\b|\bin[ _]progress\b|\bqueued\b|\bprogress:|\bgenerating\b|✅|🎉"
    r"|\bworking correctly\b|\bverified\b|\[OK\]|: OK\b|\binitiali[sz]ed\b|\binicializado\b"
    r"|\bsedang diproses\b|\bready\b|\bnot yet available\b|генерир|в процессе|обрабатыва"
    r"|成功|完成|通过|已提交|处理中|排队中|生成中|진행 중|완료"
)
# task_status='failed' / task_status: failed in a repr or a log line
_TASK_STATUS_IN_TEXT = re.compile(r"\btask_status\b[\"']?\s*[=:]\s*[\"']?([a-z]+)")


@dataclass(frozen=True)
class Verdict:
    """A record that is not an error, or cannot be read; ``reason`` says why."""

    outcome: str  # "not_an_error" | "unreadable"
    reason: str
    event: Event | None = None


def is_kling_code(code: int) -> bool:
    return any(low <= code <= high for low, high in KLING_CODE_RANGES)


class _Builder:
    """What has been read of a record so far (mutable; becomes a frozen Event)."""

    __slots__ = (
        "endpoint", "error_texts", "error_words", "gateway", "gateway_code", "headers",
        "http_status", "level", "messages", "method", "request_id", "retry_after", "service_code",
        "shape",
        "task_id", "task_messages", "task_status", "texts",
    )  # fmt: skip

    def __init__(self, shape: str) -> None:
        self.http_status: int | None = None
        self.service_code: int | None = None
        self.request_id: str | None = None
        self.task_id: str | None = None
        self.task_status: str | None = None
        self.headers: dict[str, str] = {}
        self.retry_after: float | None = None
        self.endpoint: str | None = None
        self.method: str | None = None
        self.gateway: str | None = None
        self.gateway_code: str | None = None
        self.level: str | None = None
        self.messages: list[tuple[int, str]] = []  # (depth, message): the deepest wins
        self.task_messages: list[str] = []
        self.texts: list[str] = []
        self.shape = shape
        self.error_words = False  # True: known to hold error words (an HTML error page)
        self.error_texts: list[str] = []  # texts to search for error words when it matters

    def first(self, name: str, value: Any) -> None:
        if value is not None and getattr(self, name) is None:
            setattr(self, name, value)


def to_event(value: Any) -> Event | Verdict:
    """Normalize one raw record. Never raises on odd content."""
    try:
        if isinstance(value, dict):
            builder = _Builder("object")
            _absorb_mapping(builder, value, 0)
        elif isinstance(value, str):
            if not value.strip():
                return Verdict("unreadable", "empty record")
            builder = _Builder("text")
            _absorb_text(builder, value, 0, top=True)
        elif isinstance(value, list):
            return Verdict("unreadable", "a JSON array inside a record; expected an object")
        elif value is None:
            return Verdict("unreadable", "null record")
        else:
            return Verdict("unreadable", f"a bare JSON {type(value).__name__}, nothing to go on")
    except RecursionError:
        return Verdict("unreadable", "record nested too deeply")
    return _finish(builder)


def _int(value: Any) -> int | None:
    """An integer from an int, an integral float or a short string of ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(10**9) < value < 10**9 else None  # str() of 10**5000 raises
    if isinstance(value, str):
        text = value.strip()
        # isdigit() alone accepts '²' and other digits int() refuses: ASCII only.
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _absorb_headers(builder: _Builder, headers: Any) -> None:
    pairs: list[tuple[Any, Any]] = []
    if isinstance(headers, dict):
        pairs = list(headers.items())
    elif isinstance(headers, list):  # HAR: [{"name": ..., "value": ...}]
        pairs = [(h.get("name"), h.get("value")) for h in headers if isinstance(h, dict)]
    for name, raw in pairs[:MAX_HEADERS]:
        if not isinstance(name, str) or raw is None:
            continue
        key = scrub(name.lower()[:100])
        value = SECURE if is_secret_name(key) else redact(scrub(str(raw)[:MAX_MESSAGE]))
        builder.headers.setdefault(key, value)
    if builder.retry_after is None and "retry-after" in builder.headers:
        builder.retry_after = _retry_after(builder.headers["retry-after"], builder.headers)
    if any(k.startswith("x-fal-") for k in builder.headers):
        builder.first("gateway", "fal")
        builder.first("gateway_code", builder.headers.get("x-fal-error-type"))
    for key in ("x-request-id", "x-kling-request-id", "request-id"):
        builder.first("request_id", builder.headers.get(key))


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


def _absorb_url(builder: _Builder, url: str) -> None:
    endpoint, gateway, task_id = _parse_url(url[:2048])
    builder.first("endpoint", endpoint)
    builder.first("gateway", gateway)
    builder.first("task_id", task_id)


@lru_cache(maxsize=4096)  # logs repeat the same few endpoints
def _parse_url(url: str) -> tuple[str | None, str | None, str | None]:
    """(path without query, gateway named by the host, task id in a query path)."""
    found = _URL.search(url)
    if found is None:
        return (url.split("?", 1)[0] if url.startswith("/") else None), None, None
    host, path = found.group(1).lower(), found.group(2) or "/"
    gateway = next((g for pattern, g in _GATEWAY_HOSTS if pattern.search(host)), None)
    task = _TASK_PATH.search(path)
    return path, gateway, task.group(1) if task else None


def _note_code(builder: _Builder, code: int) -> None:
    """A body ``code``: a Kling service code, or a gateway's own (HTTP-like) code."""
    if code == 0 or is_kling_code(code):
        if builder.service_code is None or builder.service_code == 0:
            builder.service_code = code
        return
    builder.first("gateway_code", str(code))
    if 400 <= code <= 599 and (builder.http_status is None or builder.http_status < 400):
        builder.http_status = code  # the body's code beats a 200 on the wire


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
_KEY_GROUP = {key: (g, rank) for g, group in enumerate(_GROUPS) for rank, key in enumerate(group)}
_SHAPE_HINTS = frozenset(["msg", "failCode", "failMsg", "taskId", "urls", "version", "logs",
                          "error_type", "data", "status", "detail", "error"])  # fmt: skip


def _grouped(data: dict[str, Any]) -> dict[int, list[str]]:
    """The mapping's known keys by group, each group in priority order."""
    found: dict[int, list[str]] = {}
    for key in data:
        spec = _KEY_GROUP.get(key)
        if spec is not None:
            keys = found.get(spec[0])
            if keys is None:
                found[spec[0]] = [key]
            else:  # rare: two keys of one group (status and status_code, say)
                keys.append(key)
                keys.sort(key=lambda k: _KEY_GROUP[k][1])
    return found


_ERROR_TYPE = re.compile(r"[A-Za-z][\w.-]{1,79}")


def _absorb_mapping(
    builder: _Builder, data: dict[str, Any], depth: int, parent: str | None = None
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
    if _G_GATEWAY in groups:
        gateway = data["gateway"]
        if isinstance(gateway, str) and _GATEWAY_NAME.fullmatch(gateway.lower()):
            builder.first("gateway", gateway.lower())  # an explicit annotation, any name
    if _G_HEADERS in groups:
        _absorb_headers(builder, data["headers"])
    for key in groups.get(_G_URL, ()):
        if isinstance(data[key], str):
            _absorb_url(builder, data[key])
            break
    for key in groups.get(_G_REQUEST, ()):
        request = data[key]
        if isinstance(request, dict):
            if isinstance(request.get("url"), str):
                _absorb_url(builder, request["url"])
            if isinstance(request.get("method"), str):
                builder.first("method", request["method"].upper())
    if _G_METHOD in groups and isinstance(data["method"], str) and len(data["method"]) <= 10:
        builder.first("method", data["method"].upper())

    text_status: str | None = None
    for key in groups.get(_G_STATUS, ()):
        status = _int(data[key])
        if status is not None and 100 <= status <= 599:
            if builder.http_status is None or builder.http_status < 400 <= status:
                builder.http_status = status
        elif isinstance(data[key], str) and key == "status":
            text_status = data[key].strip().lower()
    for key in groups.get(_G_CODE, ()):
        code = _int(data[key])
        if code is not None:
            _note_code(builder, code)
        elif isinstance(data[key], str) and data[key]:
            builder.first("gateway_code", data[key][:80])
    for key in groups.get(_G_GATEWAY_CODE, ()):
        if data[key] not in (None, ""):
            builder.first("gateway_code", str(data[key])[:80])
    error_type = data.get("type") if parent in ("error", "err") else None
    if isinstance(error_type, str) and _ERROR_TYPE.fullmatch(error_type):
        builder.first("gateway_code", error_type)
    if builder.request_id is None:
        for key in groups.get(_G_REQUEST_ID, ()):
            if isinstance(data[key], str | int):
                builder.request_id = str(data[key])[:120]
                break
    if builder.task_id is None:
        for key in groups.get(_G_TASK_ID, ()):
            if isinstance(data[key], str | int):
                builder.task_id = str(data[key])[:120]
                break
    for key in groups.get(_G_LEVEL, ()):
        if isinstance(data[key], str):
            builder.first("level", data[key].lower())

    if builder.gateway is None and not _SHAPE_HINTS.isdisjoint(data):
        _detect_gateway_shape(builder, data, text_status)
    task_status = text_status
    for key in groups.get(_G_TASK_STATUS, ()):
        if isinstance(data[key], str):
            task_status = data[key].strip().lower()
            break
    if task_status:
        if builder.task_status is None or task_status in _FAILED_OR_CANCELED:
            builder.task_status = task_status
        if builder.gateway == "replicate" and isinstance(data.get("id"), str):
            builder.first("task_id", data["id"])
    for key in groups.get(_G_TASK_MESSAGE, ()):
        if isinstance(data[key], str) and data[key].strip():
            builder.task_messages.append(data[key].strip())

    for key in groups.get(_G_MESSAGE, ()):
        value = data[key]
        if isinstance(value, str) and value.strip() and not (key == "title" and depth == 0):
            builder.messages.append((depth, value.strip()))
            break

    for key in groups.get(_G_NESTED, ()):
        nested = data[key]
        if isinstance(nested, dict):
            _absorb_mapping(builder, nested, depth + 1, key)
        elif isinstance(nested, str) and nested.strip():
            if task_status in FAILED_STATUSES and key in ("error", "detail"):
                builder.task_messages.append(nested.strip())
            _absorb_text(builder, nested, depth + 1, top=False)
        elif isinstance(nested, list) and nested:
            _absorb_list(builder, nested, depth + 1)


def _absorb_list(builder: _Builder, items: list[Any], depth: int) -> None:
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
            builder.first("gateway_code", kind[:80])
            if "content_policy" in kind:
                builder.first("gateway", "fal")
        if isinstance(item.get("url"), str) and "fal.ai" in item["url"]:
            builder.first("gateway", "fal")
        if "task_status" in item or "task_id" in item:
            _absorb_mapping(builder, item, depth)
            return
    if parts:
        builder.messages.append((depth, "; ".join(parts)))


def _detect_gateway_shape(builder: _Builder, data: dict[str, Any], status: str | None) -> None:
    inner = data.get("data")
    if isinstance(inner, dict) and "task_type" in inner and isinstance(inner.get("error"), dict):
        builder.gateway = "piapi"
    elif "msg" in data and "message" not in data and _int(data.get("code")) is not None:
        code = _int(data.get("code")) or 0
        if not is_kling_code(code):
            builder.gateway = "kie"
    elif "failCode" in data or "failMsg" in data or ("taskId" in data and "state" in data):
        builder.gateway = "kie"
    elif status in _REPLICATE_STATUSES and ("urls" in data or "version" in data or "logs" in data):
        builder.gateway = "replicate"
    elif "error_type" in data and "detail" in data:
        builder.gateway = "fal"
    elif isinstance(data.get("error"), dict) and "type" in data["error"] and not data.get("code"):
        builder.gateway = "aggregator"


def _absorb_text(builder: _Builder, text: str, depth: int, *, top: bool) -> None:
    text = text[: MAX_TEXT * 4]
    stripped = text.strip()
    builder.texts.append(stripped[:MAX_TEXT])
    if stripped[:1] in "{[":
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            _absorb_mapping(builder, value, depth)
            return
        if isinstance(value, list):
            _absorb_list(builder, value, depth)
            return
    if _HTML.match(stripped):
        _absorb_html(builder, stripped, depth)
        return

    embedded = _embedded_mapping(stripped)
    if embedded is not None:
        _absorb_mapping(builder, embedded, depth + 1)
    elif "{" in stripped:
        _salvage_truncated(builder, stripped, depth + 1)

    outside = stripped if embedded is None else stripped.split("{", 1)[0]
    status = _status_in_text(outside) if _A_STATUS.search(outside) else None
    if status is None and builder.http_status is None:
        phrase = _STATUS_PHRASE.search(outside[:MAX_TEXT])
        status = _PHRASE_STATUS[phrase.group(1)] if phrase else None
    if status is not None and (builder.http_status is None or builder.http_status < 400 <= status):
        builder.http_status = status
    if builder.service_code in (None, 0) and _FOUR_DIGITS.search(stripped):
        for code in _CODE_IN_TEXT.finditer(stripped[:MAX_TEXT]):
            if int(code.group(1)) in OFFICIAL_CODES:
                builder.service_code = int(code.group(1))
                break
    if builder.task_status is None and "task_status" in stripped:
        found = _TASK_STATUS_IN_TEXT.search(stripped)
        if found:
            builder.task_status = found.group(1).lower()
    url = _URL.search(stripped)
    if url:
        _absorb_url(builder, url.group(0))
    if top and _may_name_a_level(stripped):
        level = _LEADING_LEVEL.match(stripped)
        if level:
            builder.first("level", level.group(1).lower())
    builder.error_texts.append(stripped)  # searched for error words only if it matters
    builder.messages.append((depth, _main_line(stripped)))


def _status_in_text(text: str) -> int | None:
    """The HTTP status the first (most trusted) of _STATUS_IN_TEXT finds, if any."""
    lowered = text.lower()
    for words, pattern, folded in _STATUS_CHECKS:
        if words and not any(map((lowered if folded else text).__contains__, words)):
            continue
        found = pattern.search(text)
        if found:
            return int(found.group(1))
    return None


# Lines of a multi-line record that never say what went wrong (the last one else does).
_NOT_THE_MAIN_LINE = ("Traceback", "During", "The above", "For more information check:")


def _main_line(text: str) -> str:
    """The informative line of a multi-line record: a traceback's final exception line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        for line in reversed(lines):
            if not line[:1].isspace() and not line.startswith(_NOT_THE_MAIN_LINE):
                return line.strip()
    return lines[0].strip() if lines else text


_DECODER = json.JSONDecoder()


def _embedded_mapping(text: str) -> dict[str, Any] | None:
    """The first JSON object (or Python dict repr) inside a line of text."""
    start = text.find("{")
    tries = 0
    while start != -1 and tries < MAX_EMBEDDED_SCAN:
        tries += 1
        try:
            value, _ = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            return value
        if text.startswith("{'", start) or text.startswith('{"', start):
            end = text.rfind("}")
            if end > start and end - start < 50_000:
                try:
                    literal = ast.literal_eval(text[start : end + 1])
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    literal = None
                if isinstance(literal, dict):
                    return literal
        start = text.find("{", start + 1)
    return None


def _salvage_truncated(builder: _Builder, text: str, depth: int) -> None:
    """Truncated JSON: pick out the fields whose values are complete."""
    code = re.search(r"[\"']code[\"']\s*:\s*[\"']?(\d{1,6})\b", text)
    if code:
        _note_code(builder, int(code.group(1)))
    found = {name: p.search(text) for name, p in _SALVAGE.items()}
    if found["message"]:
        builder.messages.append((depth, found["message"].group(1)))
    if found["request_id"]:
        builder.first("request_id", found["request_id"].group(1))
    if found["task_status"]:
        builder.first("task_status", found["task_status"].group(1).lower())
    if found["task_status_msg"]:
        builder.task_messages.append(found["task_status_msg"].group(1))


def _absorb_html(builder: _Builder, html: str, depth: int) -> None:
    """An error page: its <title>, and its text without tags. Linear in the page's size
    (str.find, and tag patterns that cannot scan past the next '<'), whatever it holds."""
    html = html[:MAX_HTML]
    title = _html_title(html)
    body = _WS.sub(" ", _HTML_TAGS.sub(" ", _without_scripts(html))).strip()
    builder.texts.append(body[:MAX_TEXT])
    message = _WS.sub(" ", title).strip() if title else body[:200]
    if message:
        builder.messages.append((depth, message))
    builder.error_words = True
    status = re.search(r"\b([1-5]\d\d)\b", message) or re.search(
        r"(?i)error(?: code)?:?\s*([1-5]\d\d)\b", body
    )
    if status and builder.http_status is None:
        builder.http_status = int(status.group(1))


def _clean(text: str | None, limit: int = MAX_MESSAGE) -> str | None:
    """Trimmed, cut to ``limit`` and redacted: the form every shown string takes."""
    if text is None:
        return None
    # Cut before redacting (a 50 MB message costs nothing), with slack so a secret that
    # straddles the limit is still recognised whole.
    return _cut_and_redact(text[: limit + 512].strip()[: limit + 256], limit)


@lru_cache(maxsize=8192)  # the same messages come back again and again
def _cut_and_redact(text: str, limit: int) -> str:
    text = redact(scrub(text))  # a path can hold a key too: /sk-.../v1/videos
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SURROGATES = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """Lone surrogates (JSON can spell "\\ud800") become U+FFFD: no output can encode them."""
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)


_SUCCESS_WORDS = frozenset(["succeed", "success", "successful", "ok", "succeeded", "成功"])


def _failure_message(message: str | None) -> bool:
    """True for a message that reports a failure (a code 0 with one is no success)."""
    if not message or message.strip(" .!").lower() in _SUCCESS_WORDS:
        return False
    return _ERROR_WORDS.search(message[:4096]) is not None


_EMPTY_BODY_WORDS = (
    "empty", "response", "reply", "result", "deserializ", "task", "pars", "format",
    "json", "recibi", "响应", "返回", "ответа", "вернул", "парсинг",
)  # fmt: skip


def _answer_unread(event: Event) -> bool:
    """The client says the answer was empty, unparseable or lacked what it needed."""
    message = (event.message or "")[:4096]
    lowered = message.lower()
    return any(map(lowered.__contains__, _EMPTY_BODY_WORDS)) and bool(_EMPTY_BODY.search(message))


def fine_in_words(event: Event) -> Verdict | None:
    """For a record no rule explained: a task still running (its message had error words,
    but none a rule knows), or a success or progress line that says so in words ("✅ Video
    generated successfully!", "Polling task status (attempt 2/60)...") and has no status,
    code or error word: no failure."""
    if event.task_status in FINE_STATUSES and event.http_status is None:
        return Verdict("not_an_error", f"task {event.task_status}", event)
    if (
        event.shape != "text"
        or event.http_status is not None
        or event.service_code is not None
        or not event.message
        or not _FINE_WORDS.search(event.message)
        or _ERROR_WORDS.search(event.match_text[:4096])
    ):
        return None
    return Verdict("not_an_error", "a success or progress line without an error", event)


def _finish(b: _Builder) -> Event | Verdict:
    failed_task = b.task_status in _FAILED_OR_CANCELED
    # Kling says "SUCCEED" in the envelope of a failed task; the task's message is the reason.
    message = next((m for m in b.task_messages if m), None) if failed_task else None
    if message is None and b.messages:
        if len(b.messages) == 1:
            message = b.messages[0][1]
        else:
            deepest = max(d for d, _ in b.messages)
            message = next(m for d, m in b.messages if d == deepest)
        if failed_task and message.upper() in ("SUCCEED", "SUCCESS", "OK"):
            message = None
    event = Event(
        http_status=b.http_status,
        service_code=b.service_code,
        message=_clean(message),
        request_id=_clean(b.request_id, 120),
        task_id=_clean(b.task_id, 120),
        task_status=(
            "failed"
            if b.task_status in FAILED_STATUSES
            else (scrub(b.task_status[:40]) if b.task_status else None)
        ),
        headers=tuple(sorted(b.headers.items())) if b.headers else (),
        retry_after=b.retry_after,
        endpoint=_clean(b.endpoint, 300),
        method=scrub(b.method) if b.method else None,  # at most 10 characters (read so)
        gateway=b.gateway,
        gateway_code=scrub(b.gateway_code.lower()) if b.gateway_code else None,
        # Only matched against, never shown; Event.text gives it redacted.
        match_text=scrub(
            "\n".join([*b.texts, *(m for _, m in b.messages), *b.task_messages])[:MAX_TEXT]
        ),
        shape=b.shape,
    )
    gateway_error = b.gateway_code is not None and not b.gateway_code.isdigit()
    gateway_numeric = _int(b.gateway_code)
    if failed_task:
        return event
    if b.service_code not in (None, 0):
        return event
    if _answer_unread(event):
        # said by the client (often with its own 500): the answer itself could not be read
        return Verdict("unreadable", "the response was empty or could not be read", event)
    if b.http_status is not None and b.http_status >= 400:
        return event
    if gateway_numeric is not None and gateway_numeric >= 400:
        return event
    if b.task_status in FINE_STATUSES and not _failure_message(event.message):
        return Verdict("not_an_error", f"task {b.task_status}", event)
    if b.service_code == 0 and not _failure_message(event.message):
        return Verdict("not_an_error", "success response (code 0)", event)
    if b.http_status is not None and b.http_status < 400 and not gateway_error:
        return Verdict("not_an_error", f"HTTP {b.http_status} response", event)
    if gateway_numeric is not None and 200 <= gateway_numeric < 300:
        return Verdict("not_an_error", f"gateway success (code {gateway_numeric})", event)
    if gateway_error:
        return event
    if b.level in _INFO_LEVELS and not (
        b.error_words
        or any(_ERROR_WORDS.search(t[:4096]) for t in b.error_texts)
        or any(_ERROR_WORDS.search(m[:4096]) for _, m in b.messages)
    ):
        return Verdict("not_an_error", f"{b.level} log line without an error", event)
    if event.message and _LOST_BODY.search(event.message):
        return Verdict(
            "unreadable",
            "the client logged '[object Object]': the response body was lost"
            " (log JSON.stringify(err.response?.data) instead)",
            event,
        )
    if event.message:
        return event
    return Verdict("unreadable", "no status, code or message found", event)
