"""The failures people actually log: no code, reshaped by gateways, rethrown in their own words.

Each case below was answered wrongly (or not at all) before the wording tier and the
reading fixes; the field corpus (corpus/, `make accuracy`) measures the same on sourced
records. These pin the behaviours the README promises.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from kling_errors import Engine
from kling_errors._read import read_stream

WRONG_BEFORE: list[tuple[Any, str, bool | None]] = [
    # billing under a throttling or server status is billing
    (
        {"status": 429, "body": {"error": {"type": "insufficient_quota", "code": "insufficient_quota",
                                           "message": "You exceeded your current quota"}}},
        "quota_billing", False,
    ),
    ({"status": 429, "body": {"code": 400, "message": "Account balance not enough"}}, "quota_billing", False),
    ({"status": 500, "body": {"error": "Kling AI account has insufficient credits. Please top up."}},
     "quota_billing", False),
    ("可灵视频当前账户余额不足，请先充值后再试。", "quota_billing", False),
    ("크레딧이 부족합니다", "quota_billing", False),
    # a parameter message under a gateway's 429 is a bad request
    ({"status": 429, "body": {"error": {"message": "prompt is required", "type": "invalid_request_error"}}},
     "invalid_request", False),
    # failed tasks worded otherwise than the two known strings
    ({"task_id": "1", "task_status": "failed", "task_status_msg": "nsfw"}, "content_policy", False),
    ({"task_id": "1", "task_status": "failed", "task_status_msg": "content moderation rejected"},
     "content_policy", False),
    ({"data": {"task_status": "failed", "task_status_msg": "NSFW content"}}, "content_policy", False),
    ({"status": "failed", "message": "INVALID_IMAGE"}, "invalid_request", False),
    ({"task_id": "1", "task_status": "failed", "task_status_msg": "The model did not detect a human"},
     "invalid_request", False),
    # developers' own words
    ("Positive prompt is empty", "invalid_request", False),
    ("Image width must be at least 300px", "invalid_request", False),
    ("Voice id not found", "invalid_request", False),
    ("KLING_ACCESS_KEY / KLING_SECRET_KEY are not configured", "auth", False),
    ("Kling API error 1201: couldn't get the contents of the file", "invalid_request", False),
    ("Error: connect ETIMEDOUT 47.89.1.2:443", "network", True),
    # plain status lines
    ("ERROR kling: 500 Internal Server Error", "server_error", True),
    ("WARNING kling: create failed: 429 Too Many Requests", "rate_limit", None),
    ("response code 429", "rate_limit", None),
    ("GET /v1/videos/text2video/123 → 404", "not_found", False),
    # a dict repr whose string code '0' is not a success when the message reports a failure
    ("i2v 失败: failed — {'code': '0', 'message': 'Failure to pass the risk control system'}",
     "content_policy", False),
]  # fmt: skip


@pytest.mark.parametrize(("record", "category", "retryable"), WRONG_BEFORE)
def test_real_wordings_get_their_category_and_retryability(
    engine: Engine, record: Any, category: str, retryable: bool | None
) -> None:
    d = engine.classify(record)
    assert (d.outcome, d.category, d.retryable) == ("matched", category, retryable), d.rule


def test_codes_in_text_count_like_body_codes(engine: Engine) -> None:
    assert engine.classify("kling create failed code=1303").rule == "kling.concurrency.1303"
    assert engine.classify("Kling API error 1102: something").service_code == 1102
    # a four-digit number that is no official code is not a service code
    assert engine.classify("error 1999: odd").service_code is None


def test_inner_envelopes_and_task_lists_are_read(engine: Engine) -> None:
    inner = engine.classify({"code": 0, "data": {"code": 1303, "msg": "parallel task over limit"}})
    assert inner.category == "concurrency_limit"
    listed = engine.classify(
        {"code": 0, "data": [{"task_id": "9", "task_status": "failed", "task_status_msg": "nsfw"}]}
    )
    assert (listed.category, listed.task_id) == ("content_policy", "9")


def test_wording_tier_says_it_inferred_and_stays_honest(engine: Engine) -> None:
    d = engine.classify("Kling AI authentication failed. Please verify your keys.")
    assert d.rule == "wording.auth_failed" and "(inferred from the wording)" in (d.title or "")
    assert d.retryable is None  # 1000-1004 all read "Authentication failed": unknown
    assert d.remediation is not None and "inferred from the wording" in d.remediation
    # a code or an official wording beats the wording tier
    assert engine.classify({"code": 1004, "message": "authentication failed"}).retryable is True


def test_success_and_progress_lines_are_not_errors(engine: Engine) -> None:
    for line in ("✅ Video generated successfully!", "🔄 Polling task status (attempt 2/60)..."):
        assert engine.classify(line).outcome == "not_an_error"
    # ... unless a rule explains them: "complete" in a failure reason is no success
    assert engine.classify("No complete upper body detected in the video").outcome == "matched"


def _records(text: str) -> list[Any]:
    return [r.value for r in read_stream(io.BytesIO(text.encode()), "log")]


def test_a_status_errors_second_line_stays_with_its_record() -> None:
    log = (
        "httpx.HTTPStatusError: Client error '429 Too Many Requests' for url "
        "'https://api-singapore.klingai.com/v1/videos/text2video'\n"
        "For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429\n"
        "ERROR kling: 502 Bad Gateway\n"
    )
    records = _records(log)
    assert len(records) == 2 and records[0].endswith("Status/429")


def test_a_traceback_that_starts_mid_line_is_kept_whole(engine: Engine) -> None:
    log = (
        "2026-11-29 10:00:00 ERROR failed: Traceback (most recent call last):\n"
        '  File "app.py", line 3, in <module>\n'
        "    create()\n"
        "httpx.ReadTimeout: The read operation timed out\n"
        "2026-11-29 10:00:01 INFO next\n"
    )
    records = _records(log)
    assert len(records) == 2
    assert engine.classify(records[0]).category == "timeout"
