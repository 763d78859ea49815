"""Every input shape the README lists is read and normalized into the right event."""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kling_errors import Engine, Event
from kling_errors._normalize import _text as _event
from kling_errors._normalize import _verdicts
from kling_errors._read import read_paths, read_stream


def records(data: bytes, name: str = "log") -> list:
    return list(read_stream(io.BytesIO(data), name))


# ---- file shapes -------------------------------------------------------------


def test_json_array_yields_one_record_per_element() -> None:
    data = json.dumps([{"code": 1303}, {"code": 1102}, "httpx.ReadTimeout"]).encode()
    found = records(data)
    assert [r.value for r in found] == [{"code": 1303}, {"code": 1102}, "httpx.ReadTimeout"]
    assert str(found[2].location) == "log:1[2]"


def test_pretty_printed_object_is_one_record() -> None:
    data = json.dumps({"status": 429, "body": {"code": 1302}}, indent=2).encode()
    assert [r.value["status"] for r in records(data)] == [429]


def test_har_file_yields_its_entries(engine: Engine) -> None:
    har = {
        "log": {
            "entries": [
                {
                    "request": {
                        "method": "POST",
                        "url": "https://api-singapore.klingai.com/v1/videos/text2video",
                        "headers": [
                            {
                                "name": "Authorization",
                                "value": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJBSyJ9.c2ln",
                            }
                        ],
                    },
                    "response": {
                        "status": 429,
                        "headers": [{"name": "Content-Type", "value": "application/json"}],
                        "content": {
                            "text": '{"code":1303,"message":"parallel task over resource pack limit"}'
                        },
                    },
                },
                {
                    "request": {
                        "method": "GET",
                        "url": "https://api-singapore.klingai.com/v1/videos/text2video/1",
                    },
                    "response": {
                        "status": 200,
                        "content": {"text": '{"code":0,"data":{"task_status":"succeed"}}'},
                    },
                },
            ]
        }
    }
    found = records(json.dumps(har, indent=1).encode())
    assert len(found) == 2
    first = engine.classify(found[0].value)
    assert (first.rule, first.http_status) == ("kling.concurrency.1303", 429)
    assert first.event is not None and first.event.endpoint == "/v1/videos/text2video"
    assert first.event.method == "POST"
    assert engine.classify(found[1].value).outcome == "not_an_error"


def test_json_lines_and_text_lines_mix() -> None:
    data = b'{"code": 1303}\nplain text line\n\n{"code": 1102}\n'
    found = records(data)
    assert [r.value for r in found] == [{"code": 1303}, "plain text line", {"code": 1102}]
    assert [r.location.line for r in found] == [1, 2, 4]


def test_python_traceback_belongs_to_the_line_that_started_it() -> None:
    data = (
        b"2026-01-01 ERROR submit failed\n"
        b"Traceback (most recent call last):\n"
        b'  File "a.py", line 1, in <module>\n'
        b"    post()\n"
        b"httpx.ReadTimeout: The read operation timed out\n"
        b"2026-01-01 INFO next\n"
    )
    found = records(data)
    assert len(found) == 2
    assert found[0].value.endswith("httpx.ReadTimeout: The read operation timed out")
    assert found[1].value == "2026-01-01 INFO next"


def test_chained_traceback_stays_one_record() -> None:
    data = (
        b"Traceback (most recent call last):\n"
        b'  File "a.py", line 1\n'
        b"ConnectionResetError: [Errno 104] Connection reset by peer\n"
        b"\n"
        b"During handling of the above exception, another exception occurred:\n"
        b"\n"
        b"Traceback (most recent call last):\n"
        b'  File "b.py", line 2\n'
        b"requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104))\n"
        b"next line\n"
    )
    found = records(data)
    assert len(found) == 2
    assert "During handling" in found[0].value


def test_js_stack_trace_belongs_to_its_error_line() -> None:
    data = b"Error: socket hang up\n    at connResetException (node:internal/errors:720:14)\n    at TLSSocket.socketOnEnd (node:_http_client:519:23)\nnext\n"
    found = records(data)
    assert len(found) == 2 and found[0].value.count("\n") == 2


def test_bom_and_crlf_are_tolerated() -> None:
    found = records(b'\xef\xbb\xbf{"code": 1303}\r\nhttpx.ConnectTimeout: timed out\r\n')
    assert [r.value for r in found] == [{"code": 1303}, "httpx.ConnectTimeout: timed out"]


def test_gzip_files_are_read_transparently(tmp_path: Path) -> None:
    path = tmp_path / "day.log.gz"
    path.write_bytes(gzip.compress(b'{"code": 1303}\n{"code": 1102}\n'))
    assert [r.value for r in read_paths([str(path)])] == [{"code": 1303}, {"code": 1102}]


def test_undecodable_line_is_unreadable_and_the_rest_survives() -> None:
    found = records(b'{"code": 1303}\n\xff\xfe\x00\x01\x02\n{"code": 1102}\n')
    assert [r.unreadable is not None for r in found] == [False, True, False]


# ---- record shapes -------------------------------------------------------------

SHAPES = [
    # (record, rule, http_status, service_code)
    (
        {"status": 429, "headers": {"Retry-After": "3"}, "body": {"code": 1302}},
        "kling.rate.1302",
        429,
        1302,
    ),
    (
        {
            "status_code": 429,
            "body": '{"code":1303,"message":"parallel task over resource pack limit"}',
        },
        "kling.concurrency.1303",
        429,
        1303,
    ),
    (
        {"http_status": 401, "kling_code": 1004, "kling_message": "Authorization has expired"},
        "kling.auth.1004",
        401,
        1004,
    ),
    (
        {"code": 1103, "message": "Unauthorized access", "request_id": "r"},
        "kling.account.1103",
        None,
        1103,
    ),
    (
        {
            "task_id": "9",
            "task_status": "failed",
            "task_status_msg": "Failure to pass the risk control system",
        },
        "kling.task.risk_control",
        None,
        None,
    ),
    (
        {
            "code": 0,
            "message": "SUCCEED",
            "data": {
                "task_id": "9",
                "task_status": "failed",
                "task_status_msg": "Image pixel is invalid",
            },
        },
        "kling.task.invalid_image",
        None,
        0,
    ),
    (
        {
            "level": "error",
            "response": {"status": 503, "data": {"code": 5001, "message": "maintenance"}},
        },
        "kling.server.5001",
        503,
        5001,
    ),
    (
        {"error": {"message": "Authorization is invalid", "type": "kling_error", "code": "1002"}},
        "kling.auth.1002",
        None,
        1002,
    ),
    (
        '2026-01-01 ERROR create: {"code": 1102, "message": "Account balance not enough"}',
        "kling.account.1102",
        None,
        1102,
    ),
    (
        "HTTP 400 {'code': 1301, 'message': 'Trigger the content security policy of the platform'}",
        "kling.policy.1301",
        400,
        1301,
    ),
    ('ERROR {"code":1303,"message":"parallel task ov', "kling.concurrency.1303", None, 1303),
    ("Authorization未到有效时间", "kling.auth.1003", None, None),
    (
        "requests.exceptions.HTTPError: 500 Server Error: Internal Server Error for url: https://api-singapore.klingai.com/v1/videos/text2video",
        "http.500",
        500,
        None,
    ),
    (
        "aiohttp.client_exceptions.ClientResponseError: 503, message='Service Unavailable', url=URL('https://api-singapore.klingai.com/v1/videos/text2video')",
        "http.502_503",
        503,
        None,
    ),
    ("AxiosError: Request failed with status code 403", "http.403", 403, None),
    ("urllib.error.HTTPError: HTTP Error 504: Gateway Time-out", "http.504", 504, None),
    (
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
        "transport.tls_certificate",
        None,
        None,
    ),
    (
        "TypeError: fetch failed\n  [cause]: Error: getaddrinfo ENOTFOUND api-singapore.klingai.com",
        "transport.dns",
        None,
        None,
    ),
    (
        "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
        "transport.proxy_page_502_503",
        502,
        None,
    ),
    ({"code": 402, "msg": "积分不足"}, "gateway.kie.insufficient_credits", 402, None),
    (
        {"id": "p", "status": "failed", "error": "E1001 out of memory", "version": "v", "urls": {}},
        "gateway.replicate.out_of_memory",
        None,
        None,
    ),
    (
        {
            "status": 504,
            "headers": {"x-fal-error-type": "request_timeout"},
            "body": {"detail": "Request timed out", "error_type": "request_timeout"},
        },
        "gateway.fal.timeout",
        504,
        None,
    ),
]


@pytest.mark.parametrize(("record", "rule", "status", "code"), SHAPES)
def test_record_shapes_normalize_and_match(
    engine: Engine, record: object, rule: str, status: int | None, code: int | None
) -> None:
    d = engine.classify(record)
    assert (d.rule, d.http_status, d.service_code) == (rule, status, code)


def test_retry_after_header_sets_the_suggested_delay(engine: Engine) -> None:
    d = engine.classify({"status": 429, "headers": {"Retry-After": "17"}, "body": {"code": 1302}})
    assert d.retry is not None and d.retry.delay_seconds == 17


def test_retry_after_as_http_date_uses_the_response_date(engine: Engine) -> None:
    d = engine.classify(
        {
            "status": 503,
            "headers": {
                "Date": "Wed, 25 Nov 2026 10:00:00 GMT",
                "Retry-After": "Wed, 25 Nov 2026 10:02:00 GMT",
            },
            "body": "",
        }
    )
    assert d.retry is not None and d.retry.delay_seconds == 120


def test_endpoint_and_task_id_come_from_the_url(engine: Engine) -> None:
    d = engine.classify(
        {
            "status": 404,
            "url": "https://api-singapore.klingai.com/v1/videos/image2video/866118282290851899?x=1",
            "body": {"code": 1203},
        }
    )
    assert d.task_id == "866118282290851899"
    assert d.event is not None and d.event.endpoint == "/v1/videos/image2video/866118282290851899"


# ---- the cheap checks before costly text patterns skip nothing they should not ----------

# What (?i) matches beyond ASCII: dotted and dotless i, long s, the Kelvin sign.
ODD = {"I_DOT": "\u0130", "DOTLESS_I": "\u0131", "LONG_S": "\u017f", "KELVIN": "\u212a"}


def test_status_words_use_letters_that_case_fold_only_in_ascii() -> None:
    letters = {
        ch
        for words, pattern in _event._STATUS_IN_TEXT
        if pattern.flags & re.IGNORECASE
        for word in words
        for ch in word
        if ch.isalpha()
    }
    for letter in sorted(letters):
        pattern = re.compile("(?i)" + letter)
        matches = {chr(c) for c in range(0x10000) if pattern.fullmatch(chr(c))}
        assert matches == {letter, letter.upper()}, letter


LOG_TEXT = st.lists(
    st.sampled_from(
        ["2026-11-24 09:00:03,402", "[INFO]", "info", "Info", "DEBUG:", "TRACE", "notice",
         ODD["I_DOT"] + "NFO", ODD["DOTLESS_I"] + "nfo", "NOT" + ODD["I_DOT"] + "CE",
         "ERROR", "status", ODD["LONG_S"] + "tatus", "Status code", "HTTP/1.1", "HTTP", "429",
         "503", "error:", "Error", "Client error '429 Too Many Requests'", "500 Server Error",
         "returned", "GOT", "received", "Responded with", "ClientResponseError: 502,", "x", "-",
         "returned 503", "got HTTP 429", "received 502", "responded with 504", "status: 429",
         "  ", "=", ":", "{", "(", "kling.client", "Traceback", "task_info", "x\u0307INFO",
         "i\u0307nfo", *ODD.values()]
    ),
    max_size=12,
).map(" ".join)  # fmt: skip


@given(LOG_TEXT)
@example("TRACE kling.client: polling")
@example("2026-11-24 09:00:03,402 [" + ODD["I_DOT"] + "NFO] task created")
@example("notice: Traceback follows")
def test_prechecks_never_hide_a_status_or_a_level(text: str) -> None:
    if _event._LEADING_LEVEL.match(text):
        assert _event.may_name_a_level(text)
    lowered = text.lower()
    for words, pattern in _event._STATUS_IN_TEXT:
        if pattern.search(text):
            assert _event._A_STATUS.search(text)
            haystack = lowered if pattern.flags & re.IGNORECASE else text
            assert not words or any(word in haystack for word in words), pattern.pattern


def test_a_json_array_on_one_line_larger_than_a_record_is_streamed() -> None:
    data = json.dumps([{"code": 1303, "message": "x" * 100}] * 200_000).encode()  # 26 MB
    found = records(data)
    assert len(found) == 200_000 and str(found[-1].location) == "log:1[199999]"


def test_values_one_after_another_as_jq_prints_them_and_text_after_them() -> None:
    data = (
        json.dumps({"code": 1303}, indent=2).encode() + b"\n"
        + json.dumps([{"code": 1102}, {"code": 1201}], indent=2).encode() + b"\n"
        + b"httpx.ReadTimeout: timed out\n"
    )  # fmt: skip
    found = records(data)
    assert [r.value for r in found] == [
        {"code": 1303}, {"code": 1102}, {"code": 1201}, "httpx.ReadTimeout: timed out",
    ]  # fmt: skip
    assert [str(r.location) for r in found] == ["log:1", "log:4[0]", "log:4[1]", "log:12"]


def test_a_json_value_a_log_line_leaves_open_stays_with_it() -> None:
    data = b'2026-11-29 ERROR create failed: {\n  "code": 1303,\n  "message": "parallel task over resource pack limit"\n}\nnext line\n'
    found = records(data)
    assert len(found) == 2 and found[0].value.endswith("}")


UNREAD_TEXT = st.lists(
    st.sampled_from(
        ["response", "Response body", "is", "was", "empty", "EMPTY", "reply", "no response",
         "data", "task id", "task_id", "missing", "not returned", "has neither", "lacks",
         "returned no task id", "no se recibió el task_id", "invalid response from", "no",
         "request id", "found", "parse error", "Parsing error", "not valid JSON",
         "unexpected token < in JSON", "deserialization failed", "failed to decode the response",
         "failed to parse response", "не вернул идентификатор", "помилка парсингу",
         "响应解析失败", "未返回任务", "响应格式错误", "неверный формат ответа", "x", ".",
         "par" + ODD["LONG_S"] + "e error", "pars" + ODD["DOTLESS_I"] + "ng error", *ODD.values()]
    ),
    max_size=10,
).map(" ".join)  # fmt: skip


@given(UNREAD_TEXT)
@example("par" + ODD["LONG_S"] + "e error")
@example("PARS" + ODD["I_DOT"] + "NG ERROR")
@example("pars" + ODD["DOTLESS_I"] + "ng error")
def test_the_unread_answer_precheck_hides_no_match(text: str) -> None:
    """_answer_unread looks for words before its costly search: never one that matches."""
    unread = _verdicts._answer_unread(Event(message=text))
    assert unread == bool(_verdicts._EMPTY_BODY.search(text))


def test_code_words_use_letters_that_case_fold_only_in_ascii() -> None:
    """official_code_in_text finds where "code" and "error" start in the lowered text."""
    for letter in sorted({ch for word in ("code", "error") for ch in word}):
        pattern = re.compile("(?i)" + letter)
        matches = {chr(c) for c in range(0x10000) if pattern.fullmatch(chr(c))}
        assert matches == {letter, letter.upper()}, letter


CODE_TEXT = st.lists(
    st.sampled_from(
        ["code", "Code", "CODE", '"code"', "'code'", "error", "Error:", "ERROR", "错误码", "业务码",
         "错误", "xcode", "code_", "1303", "1102", "9999", "12345", "5001", ":", "=", "#", "\uff1a",
         '"', "'", "(", "[", " ", "{", "failed", ODD["I_DOT"], "x", "_"]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@given(CODE_TEXT)
@example('"code":1303')
@example("error code 1102")
@example("Kling API error 1303: parallel task")
@example("错误1102")
@example(ODD["I_DOT"] + " error 1303")
def test_official_codes_in_text_are_those_a_full_search_finds(text: str) -> None:
    """official_code_in_text tries only where a match can start: the same first official
    code as trying every position."""
    expected = next(
        (
            int(found.group(1))
            for found in _event._CODE_IN_TEXT.finditer(text)
            if int(found.group(1)) in _event.OFFICIAL_CODES
        ),
        None,
    )
    assert _event.official_code_in_text(text) == expected
