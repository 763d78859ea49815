"""The final reading of a record: an Event to match, or a Verdict (not an error, unreadable).

Precedence: a failed task is a failure whatever its envelope says (Kling answers ``code: 0``
/ ``SUCCEED`` around a failed task; the task's message is the reason); a service code beats
the HTTP status; a client that says it could not read the answer makes the record unreadable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .._models import Event
from .._vocabulary import Outcome, Shape
from ._draft import MAX_MESSAGE, MAX_TEXT, Draft, as_int, clean_all, scrub
from ._shapes import FAILED_OR_CANCELED, FAILED_STATUSES
from ._text import lowered_for_words


@dataclass(frozen=True)
class Verdict:
    """A record that is not an error, or cannot be read; ``reason`` says why."""

    outcome: Outcome  # NOT_AN_ERROR or UNREADABLE
    reason: str
    event: Event | None = None


INFO_LEVELS = frozenset(["debug", "info", "notice", "trace", "information", "verbose"])
FINE_STATUSES = frozenset(
    [
        "submitted", "processing", "succeed", "succeeded", "success", "successful",
        "completed", "complete", "pending", "queued", "queuing", "in_queue", "waiting", "ok",
        "starting", "running", "generating", "staged", "in_progress", "created",
    ]
)  # fmt: skip

_ERROR_WORDS = re.compile(
    r"(?i)error|exception|fail|timeout|timed out|refused|reset|denied|invalid|unable|cannot"
    r"|can't|could not|forbidden|unauthori[sz]ed|too many|exceed|not found|unavailable|abort"
    r"|violat|reject|blocked|expired|insufficient|错误|失败|异常|超时|无效|非法|失效|欠费|拒绝|限制"
)
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
_SUCCESS_WORDS = frozenset(["succeed", "success", "successful", "ok", "succeeded", "成功"])


def _failure_message(message: str | None) -> bool:
    """True for a message that reports a failure (a code 0 with one is no success)."""
    if not message or message.strip(" .!").lower() in _SUCCESS_WORDS:
        return False
    return _ERROR_WORDS.search(message[:4096]) is not None


# Each alternative of _EMPTY_BODY needs one of these (its search costs ~50 µs a message).
_EMPTY_BODY_WORDS = (
    "empty", "no response", "missing", "not returned", "has neither", "lacks",
    "returned no task", "no se recibi", "invalid response", "no task", "no request", "pars",
    "not valid json", "unexpected token", "deserializ", "decode", "не вернул",
    "помилка парсингу", "неверный формат ответа", "解析失败", "未返回任务", "格式",
)  # fmt: skip


def _answer_unread(event: Event) -> bool:
    """The client says the answer was empty, unparseable or lacked what it needed."""
    message = (event.message or "")[:4096]
    lowered = lowered_for_words(message)
    return any(map(lowered.__contains__, _EMPTY_BODY_WORDS)) and bool(_EMPTY_BODY.search(message))


def fine_in_words(event: Event) -> Verdict | None:
    """For a record no rule explained: a task still running (its message had error words,
    but none a rule knows), or a success or progress line that says so in words ("✅ Video
    generated successfully!", "Polling task status (attempt 2/60)...") and has no status,
    code or error word: no failure."""
    if event.task_status in FINE_STATUSES and event.http_status is None:
        return Verdict(Outcome.NOT_AN_ERROR, f"task {event.task_status}", event)
    if (
        event.shape != Shape.TEXT
        or event.http_status is not None
        or event.service_code is not None
        or not event.message
        or not _FINE_WORDS.search(event.message)
        or _ERROR_WORDS.search(event.match_text[:4096])
    ):
        return None
    return Verdict(Outcome.NOT_AN_ERROR, "a success or progress line without an error", event)


def finish(b: Draft) -> Event | Verdict:
    failed_task = b.task_status in FAILED_OR_CANCELED
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
    message, request_id, task_id, endpoint = clean_all(
        [(message, MAX_MESSAGE), (b.request_id, 120), (b.task_id, 120), (b.endpoint, 300)]
    )
    event = Event(
        http_status=b.http_status,
        service_code=b.service_code,
        message=message,
        request_id=request_id,
        task_id=task_id,
        task_status=(
            "failed"
            if b.task_status in FAILED_STATUSES
            else (scrub(b.task_status[:40]) if b.task_status else None)
        ),
        headers=tuple(sorted(b.headers.items())) if b.headers else (),
        retry_after=b.retry_after,
        endpoint=endpoint,
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
    gateway_numeric = as_int(b.gateway_code)
    if failed_task:
        return event
    if b.service_code not in (None, 0):
        return event
    if _answer_unread(event):
        # said by the client (often with its own 500): the answer itself could not be read
        return Verdict(Outcome.UNREADABLE, "the response was empty or could not be read", event)
    if b.http_status is not None and b.http_status >= 400:
        return event
    if gateway_numeric is not None and gateway_numeric >= 400:
        return event
    if b.task_status in FINE_STATUSES and not _failure_message(event.message):
        return Verdict(Outcome.NOT_AN_ERROR, f"task {b.task_status}", event)
    if b.service_code == 0 and not _failure_message(event.message):
        return Verdict(Outcome.NOT_AN_ERROR, "success response (code 0)", event)
    if b.http_status is not None and b.http_status < 400 and not gateway_error:
        return Verdict(Outcome.NOT_AN_ERROR, f"HTTP {b.http_status} response", event)
    if gateway_numeric is not None and 200 <= gateway_numeric < 300:
        return Verdict(Outcome.NOT_AN_ERROR, f"gateway success (code {gateway_numeric})", event)
    if gateway_error:
        return event
    if b.level in INFO_LEVELS and not (
        b.error_words
        or any(_ERROR_WORDS.search(t[:4096]) for t in b.error_texts)
        or any(_ERROR_WORDS.search(m[:4096]) for _, m in b.messages)
    ):
        return Verdict(Outcome.NOT_AN_ERROR, f"{b.level} log line without an error", event)
    if event.message and _LOST_BODY.search(event.message):
        return Verdict(
            Outcome.UNREADABLE,
            "the client logged '[object Object]': the response body was lost"
            " (log JSON.stringify(err.response?.data) instead)",
            event,
        )
    if event.message:
        return event
    return Verdict(Outcome.UNREADABLE, "no status, code or message found", event)
