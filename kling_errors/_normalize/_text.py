"""What free text says: HTTP statuses and reason phrases, official service codes, JSON or
dict reprs inside a line, truncated JSON, error pages, log levels, a traceback's main line.

Pure functions over strings; _shapes decides what to do with what they find.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from typing import Any

from ._draft import MAX_TEXT, Draft
from ._gateways import URL, absorb_url

MAX_EMBEDDED_SCAN = 12  # '{' positions tried when looking for JSON inside a line

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
# Where a _CODE_IN_TEXT match that matters can start, found in the lowered text (a quoted
# "code" matches as \bcode too, with the same digits): finditer would try every position.
_CODE_STARTS = ("code", "error", "错误", "业务码")


def official_code_in_text(text: str) -> int | None:
    """The first official service code _CODE_IN_TEXT finds in the text, if any."""
    text = text[:MAX_TEXT]
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter lowered into two (İ): positions would not agree
        found: Iterable[re.Match[str] | None] = _CODE_IN_TEXT.finditer(text)
    else:
        found = (_CODE_IN_TEXT.match(text, start) for start in _code_starts(lowered))
    for match in found:
        if match is not None and int(match.group(1)) in OFFICIAL_CODES:
            return int(match.group(1))
    return None


def _code_starts(lowered: str) -> list[int]:
    starts: set[int] = set()
    for word in _CODE_STARTS:
        position = lowered.find(word)
        while position != -1:
            starts.add(position)
            position = lowered.find(word, position + 1)
    return sorted(starts)


_SALVAGE = {
    "message": re.compile(r"[\"'](?:message|msg)[\"']\s*:\s*[\"']((?:[^\"'\\]|\\.){1,500})"),
    "request_id": re.compile(r"[\"']request_id[\"']\s*:\s*[\"']([\w-]{4,80})"),
    "task_status_msg": re.compile(
        r"[\"']task_status_msg[\"']\s*:\s*[\"']((?:[^\"'\\]|\\.){1,500})"
    ),
    "task_status": re.compile(r"[\"']task_status[\"']\s*:\s*[\"'](\w+)"),
}  # fmt: skip
_HTML = re.compile(r"(?is)^\s*(?:<!doctype html|<html|<head|<body)")
_HTML_TAGS = re.compile(r"<[^<>]{0,2000}>")
MAX_HTML = 256 * 1024  # of an error page, what is read
_WS = re.compile(r"\s+")


def html_title(html: str) -> str | None:
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
# What (?i) matches beyond ASCII where an ASCII letter is written: dotless and dotted I
# (U+0131; U+0130, which lowers to i and a combining dot U+0307) for i, long s (U+017F)
# for s (the Kelvin sign lowers to k by itself).
_FOLDS = str.maketrans({"\u0131": "i", "\u017f": "s"})


def lowered_for_words(text: str) -> str:
    """``text`` lowered so that a plain look for a lower-case word finds it wherever a
    (?i) pattern spelling that word would: the pre-checks before costly searches use it."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return lowered.translate(_FOLDS).replace("i\u0307", "i")


# _LEADING_LEVEL needs one of its words whole ("Traceback" and "task_info" hold none).
_LEVEL_WORD = re.compile(r"\b(?:debug|info|notice|trace)\b")


def may_name_a_level(text: str) -> bool:
    """False when _LEADING_LEVEL cannot match (a failing search costs ~15 µs a line)."""
    return _LEVEL_WORD.search(lowered_for_words(text)) is not None


# task_status='failed' / task_status: failed in a repr or a log line
_TASK_STATUS_IN_TEXT = re.compile(r"\btask_status\b[\"']?\s*[=:]\s*[\"']?([a-z]+)")


def status_in_text(text: str) -> int | None:
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


def main_line(text: str) -> str:
    """The informative line of a multi-line record: a traceback's final exception line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        for line in reversed(lines):
            if not line[:1].isspace() and not line.startswith(_NOT_THE_MAIN_LINE):
                return line.strip()
    return lines[0].strip() if lines else text


_DECODER = json.JSONDecoder()


def embedded_mapping(text: str) -> dict[str, Any] | None:
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


def salvage_truncated(draft: Draft, text: str, depth: int) -> None:
    """Truncated JSON: pick out the fields whose values are complete."""
    code = re.search(r"[\"']code[\"']\s*:\s*[\"']?(\d{1,6})\b", text)
    if code:
        draft.note_code(int(code.group(1)))
    found = {name: p.search(text) for name, p in _SALVAGE.items()}
    if found["message"]:
        draft.messages.append((depth, found["message"].group(1)))
    if found["request_id"]:
        draft.set_request_id(found["request_id"].group(1))
    if found["task_status"] and draft.task_status is None:
        draft.task_status = found["task_status"].group(1).lower()
    if found["task_status_msg"]:
        draft.task_messages.append(found["task_status_msg"].group(1))


def is_html(text: str) -> bool:
    return _HTML.match(text) is not None


def absorb_html(draft: Draft, html: str, depth: int) -> None:
    """An error page: its <title>, and its text without tags. Linear in the page's size
    (str.find, and tag patterns that cannot scan past the next '<'), whatever it holds."""
    html = html[:MAX_HTML]
    title = html_title(html)
    body = _WS.sub(" ", _HTML_TAGS.sub(" ", _without_scripts(html))).strip()
    draft.texts.append(body[:MAX_TEXT])
    message = _WS.sub(" ", title).strip() if title else body[:200]
    if message:
        draft.messages.append((depth, message))
    draft.error_words = True
    status = re.search(r"\b([1-5]\d\d)\b", message) or re.search(
        r"(?i)error(?: code)?:?\s*([1-5]\d\d)\b", body
    )
    if status and draft.http_status is None:
        draft.http_status = int(status.group(1))


def absorb_line_facts(draft: Draft, text: str, outside: str, depth: int, *, top: bool) -> None:
    """What a line of text says in words (``outside``: the line without its embedded JSON):
    the HTTP status, an official code, a task status, a URL, a leading log level."""
    status = status_in_text(outside) if _A_STATUS.search(outside) else None
    if status is None and draft.http_status is None:
        phrase = _STATUS_PHRASE.search(outside[:MAX_TEXT])
        status = _PHRASE_STATUS[phrase.group(1)] if phrase else None
    if status is not None:
        draft.note_status(status)
    if draft.service_code in (None, 0) and _FOUR_DIGITS.search(text):
        code = official_code_in_text(text)
        if code is not None:
            draft.service_code = code
    if draft.task_status is None and "task_status" in text:
        found = _TASK_STATUS_IN_TEXT.search(text)
        if found:
            draft.task_status = found.group(1).lower()
    url = URL.search(text)
    if url:
        absorb_url(draft, url.group(0))
    if top and may_name_a_level(text):
        level = _LEADING_LEVEL.match(text)
        if level:
            draft.set_level(level.group(1))
    draft.error_texts.append(text)  # searched for error words only if it matters
    draft.messages.append((depth, main_line(text)))
