"""The library API: classify, Engine, raise_for_error / KlingAPIError."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import kling_errors
from kling_errors import Diagnosis, Engine, KlingAPIError, RetryPolicy, classify, raise_for_error


@dataclass
class FakeRequest:
    method: str = "POST"


@dataclass
class FakeResponse:
    """The attributes requests.Response and httpx.Response share."""

    status_code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    url: str = "https://api-singapore.klingai.com/v1/videos/text2video"
    request: FakeRequest = field(default_factory=FakeRequest)

    @property
    def text(self) -> str:
        return self.body if isinstance(self.body, str) else json.dumps(self.body)


def test_public_names_are_exported() -> None:
    for name in (
        "classify",
        "load_rules",
        "Diagnosis",
        "KlingAPIError",
        "raise_for_error",
        "Engine",
    ):
        assert hasattr(kling_errors, name)


def test_classify_returns_a_diagnosis() -> None:
    d = classify({"status": 429, "body": {"code": 1303}})
    assert isinstance(d, Diagnosis)
    assert (d.category, d.retryable, d.is_error) == ("concurrency_limit", True, True)


def test_raise_for_error_returns_the_body_on_success() -> None:
    body = {"code": 0, "message": "SUCCEED", "data": {"task_id": "1", "task_status": "submitted"}}
    assert raise_for_error(FakeResponse(200, body))["data"]["task_id"] == "1"


def test_raise_for_error_raises_with_the_diagnosis() -> None:
    response = FakeResponse(
        429, {"code": 1302, "message": "too fast"}, headers={"Retry-After": "4"}
    )
    with pytest.raises(KlingAPIError) as caught:
        raise_for_error(response)
    err = caught.value
    assert (err.category, err.retryable, err.retry_delay) == ("rate_limit", True, 4.0)
    assert (err.http_status, err.service_code) == (429, 1302)
    assert "HTTP 429" in str(err) and "code 1302" in str(err)


def test_raise_for_error_raises_for_a_failed_task_in_a_success_envelope() -> None:
    body = {
        "code": 0,
        "message": "SUCCEED",
        "data": {
            "task_id": "7",
            "task_status": "failed",
            "task_status_msg": "Failure to pass the risk control system",
        },
    }
    with pytest.raises(KlingAPIError) as caught:
        raise_for_error(FakeResponse(200, body))
    assert caught.value.category == "content_policy"
    assert caught.value.retryable is False
    assert caught.value.retry_delay is None


def test_raise_for_error_accepts_plain_records() -> None:
    with pytest.raises(KlingAPIError):
        raise_for_error({"code": 1102, "message": "Account balance not enough"})
    assert raise_for_error({"code": 0, "data": {"task_status": "succeed"}})["code"] == 0


def test_a_retry_loop_can_be_driven_by_the_diagnosis() -> None:
    engine = Engine()
    d = engine.classify({"status": 429, "body": {"code": 1303}})
    assert d.retry is not None and d.retry.strategy == "wait_for_capacity"
    rule = engine.rules.get("kling.concurrency.1303")
    assert rule is not None
    delays = [rule.retry.delay(attempt) for attempt in range(1, 13)]
    assert delays[:4] == [1, 2, 4, 8]
    assert max(d for d in delays if d is not None) <= rule.retry.max_delay
    assert delays[-1] is None  # past max_attempts: stop


def test_retry_policy_honours_retry_after_and_none() -> None:
    assert RetryPolicy("backoff", 2, 60, 3).delay(1, retry_after=9) == 9
    assert RetryPolicy("backoff", 2, 60, 3, honour_retry_after=False).delay(1, retry_after=9) == 2
    assert RetryPolicy("none").delay(1) is None


def test_engine_is_reusable_and_keeps_input_order() -> None:
    engine = Engine()
    from kling_errors._models import Location
    from kling_errors._read import RawRecord

    raws = [
        RawRecord(Location("x", i), {"code": code}) for i, code in enumerate([1303, 1102, 1004])
    ]
    out = list(engine.classify_records(raws))
    assert [d.rule for d in out] == [
        "kling.concurrency.1303",
        "kling.account.1102",
        "kling.auth.1004",
    ]
    assert [d.index for d in out] == [0, 1, 2]


def test_diagnosis_to_dict_is_exactly_the_record_classify_writes() -> None:
    """Two serialisers, one truth: the CLI's fast encoder (6x json.dumps of to_dict) and
    Diagnosis.to_dict give the same record for every corpus input, whatever its outcome."""
    from kling_errors._eval import read_corpus
    from kling_errors._output import RecordEncoder

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    encoder = RecordEncoder()
    engine = Engine()
    seen = set()
    for index, labelled in enumerate(read_corpus([corpus])):
        diagnosis = engine.classify(labelled.input, index=index)
        seen.add(diagnosis.outcome)
        assert json.loads(encoder.encode(diagnosis)) == diagnosis.to_dict()
    assert seen == {"matched", "unmatched", "not_an_error", "unreadable"}
