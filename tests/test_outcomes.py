"""Records that are not errors, or cannot be read, are said to be so — never guessed at."""

from __future__ import annotations

import pytest

from kling_errors import Engine

NOT_ERRORS = [
    {
        "code": 0,
        "message": "SUCCEED",
        "request_id": "r",
        "data": {"task_id": "1", "task_status": "submitted"},
    },
    {
        "code": 0,
        "message": "SUCCEED",
        "data": {"task_id": "1", "task_status": "succeed", "task_result": {"videos": []}},
    },
    {"task_id": "1", "task_status": "processing"},
    {"status": 200, "body": {"code": 0, "data": {"task_status": "processing"}}},
    {"status": 200, "body": ""},
    {
        "code": 200,
        "message": "success",
        "data": {
            "task_id": "t",
            "task_type": "video_generation",
            "status": "completed",
            "model": "kling",
            "error": {"code": 0, "raw_message": "", "message": ""},
        },
    },
    {"code": 200, "msg": "success", "data": {"taskId": "task_kling_1"}},
    {"id": "p", "status": "succeeded", "version": "v", "urls": {}},
    "2026-11-25 10:00:00 INFO kling task created task_id=1",
    {"level": "info", "message": "polling task 1"},
]


@pytest.mark.parametrize("record", NOT_ERRORS)
def test_success_and_in_progress_are_not_errors(engine: Engine, record: object) -> None:
    d = engine.classify(record)
    assert d.outcome == "not_an_error", d
    assert d.rule is None and d.category is None and d.reason


UNREADABLE = [
    ("", "empty"),
    ("   ", "empty"),
    (42, "nothing to go on"),
    (None, "null"),
    ([1, 2], "array"),
    ({"foo": "bar"} | {"n": 1}, "no status, code or message"),
    ("[object Object]", "[object Object]"),
]


@pytest.mark.parametrize(("record", "reason"), UNREADABLE)
def test_records_with_nothing_to_go_on_are_unreadable_with_a_reason(
    engine: Engine, record: object, reason: str
) -> None:
    d = engine.classify(record)
    assert d.outcome == "unreadable"
    assert d.reason is not None and reason in d.reason


def test_deeply_nested_record_is_unreadable_not_a_crash(engine: Engine) -> None:
    record: dict = {}
    node = record
    for _ in range(100_000):
        node["body"] = {}
        node = node["body"]
    d = engine.classify(record)
    assert d.outcome in ("unreadable", "unmatched")


def test_unknown_error_is_unmatched_with_its_facts_kept(engine: Engine) -> None:
    d = engine.classify(
        {"status": 418, "body": {"code": 1999, "message": "teapot", "request_id": "r-9"}}
    )
    assert d.outcome == "unmatched"
    assert (d.http_status, d.service_code, d.message, d.request_id) == (418, 1999, "teapot", "r-9")
    assert d.category is None and d.retryable is None


def test_unknown_code_in_the_429_family_stays_unknown_on_retry(engine: Engine) -> None:
    d = engine.classify({"status": 429, "body": {"code": 1399}})
    assert d.rule == "http.429" and d.retryable is None
    assert d.remediation is not None and "1399" in d.remediation


def test_canceled_prediction_is_not_called_a_failure_it_is_unmatched(engine: Engine) -> None:
    d = engine.classify({"id": "p", "status": "canceled", "version": "v", "urls": {}})
    assert d.outcome == "unmatched"
