"""The code that calls Kling: real clients against a fake Kling server on a loopback port.

requests, httpx (sync and async) and aiohttp — their responses, streams and exceptions —
through raise_for_error / araise_for_error / classify; the typed errors they raise; and the
issue's "done means": create → poll → fetch with 1303 twice, 1102, 1004 and a risk-control
failure, under each retry adapter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import pickle
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import aiohttp
import httpx
import pytest
import requests

import kling_errors
import kling_errors.backoff
import kling_errors.retry
import kling_errors.stamina
import kling_errors.tenacity
from kling_errors import (
    Category,
    ConcurrencyLimitError,
    ContentPolicyError,
    KlingAPIError,
    KlingTimeoutError,
    NetworkError,
    QuotaError,
    ResponseNotReadError,
    UnmatchedError,
    aclassify,
    araise_for_error,
    classify,
    raise_for_error,
)
from kling_errors._exceptions import CATEGORY_ERRORS

from .fake_kling import (
    CONCURRENCY_1303,
    CREATE_PATH,
    QUOTA_1102,
    RISK_CONTROL,
    VIDEO,
    FakeKling,
)
from .typed.kling_client import (
    AiohttpKling,
    AsyncHttpxKling,
    HttpxKling,
    RequestsKling,
    Tokens,
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeKling]:
    fake = FakeKling().start()
    yield fake
    fake.stop()


@pytest.fixture
def kling(server: FakeKling) -> FakeKling:
    server.reset()
    return server


def _quota(kling: FakeKling) -> str:
    """The create URL, scripted to answer 429 + 1102 (out of credit) once."""
    kling.create = [QUOTA_1102]
    return kling.url + CREATE_PATH


AUTH = {"Authorization": "Bearer token-1"}

# -- the done criteria: a realistic client under each retry adapter -------------------------

ADAPTERS: dict[str, Callable[..., kling_errors.retry.RetryDecorator]] = {
    "tenacity": kling_errors.tenacity.kling_retry,
    "stamina": kling_errors.stamina.kling_retry,
    "backoff": kling_errors.backoff.kling_retry,
    "plain": kling_errors.retry.kling_retry,
}
SYNC_CLIENTS = {"httpx": HttpxKling, "requests": RequestsKling}
ASYNC_CLIENTS = {"httpx-async": AsyncHttpxKling, "aiohttp": AiohttpKling}
SCENARIOS = ["1303-twice", "1102", "1004-resign", "risk-control"]


def _script(kling: FakeKling, scenario: str) -> None:
    if scenario == "1303-twice":
        kling.create = [CONCURRENCY_1303, CONCURRENCY_1303]
    elif scenario == "1102":
        kling.create = [QUOTA_1102]
    elif scenario == "1004-resign":
        kling.expired = {"token-1"}  # only a re-signed token gets through
    else:
        kling.poll = [RISK_CONTROL]


def _check(kling: FakeKling, scenario: str, tokens: Tokens, outcome: Any) -> None:
    """What each scenario must give: the video, or the typed error without a retry."""
    creates, polls = kling.count("POST", CREATE_PATH), kling.count("GET", CREATE_PATH)
    if scenario == "1303-twice":
        assert outcome.data == VIDEO and outcome.task_id.startswith("task-")
        assert creates == 3 and tokens.refreshes == 0
    elif scenario == "1102":
        assert isinstance(outcome, QuotaError) and outcome.service_code == 1102
        assert outcome.response is not None and creates == 1 and polls == 0
    elif scenario == "1004-resign":
        assert outcome.data == VIDEO
        assert tokens.refreshes == 1 and creates == 2
        assert [token for _, _, token in kling.seen][:2] == ["token-1", "token-2"]
    else:
        assert isinstance(outcome, ContentPolicyError)
        assert outcome.rule == "kling.task.risk_control" and outcome.task_id == "task-1"
        assert creates == 1 and polls == 1  # a failed task is not polled again


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("client", SYNC_CLIENTS)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_sync_client_creates_polls_and_fetches_as_the_rules_say(
    kling: FakeKling, adapter: str, client: str, scenario: str
) -> None:
    _script(kling, scenario)
    tokens = Tokens()
    api = SYNC_CLIENTS[client](kling.url, tokens, ADAPTERS[adapter], max_delay=0.02)
    try:
        outcome: Any = api.generate("a cat playing the piano")
    except KlingAPIError as err:
        outcome = err
    finally:
        api.close()
    _check(kling, scenario, tokens, outcome)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("client", ASYNC_CLIENTS)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_async_client_creates_polls_and_fetches_as_the_rules_say(
    kling: FakeKling, adapter: str, client: str, scenario: str
) -> None:
    _script(kling, scenario)
    tokens = Tokens()

    async def run() -> Any:
        async with ASYNC_CLIENTS[client](
            kling.url, tokens, ADAPTERS[adapter], max_delay=0.02
        ) as api:
            try:
                return await api.generate("a cat playing the piano")
            except KlingAPIError as err:
                return err

    _check(kling, scenario, tokens, asyncio.run(run()))


def test_without_a_resign_hook_a_1004_is_retried_once_then_raised(kling: FakeKling) -> None:
    kling.expired = {"token-1"}

    @kling_errors.tenacity.kling_retry(max_delay=0.01)
    def create() -> dict[str, Any]:
        return raise_for_error(httpx.post(kling.url + CREATE_PATH, headers=AUTH))

    with pytest.raises(kling_errors.AuthError) as caught:
        create()
    assert caught.value.service_code == 1004 and kling.count("POST", CREATE_PATH) == 2


# -- bodies: read when they may hold the answer, never lost silently ------------------------


def test_aiohttp_after_read_keeps_the_billing_code(kling: FakeKling) -> None:
    """The issue's case: 429 + 1102 read as a bare 429 because the body was lost."""
    url = _quota(kling)

    async def run() -> tuple[str | None, str | None]:
        async with aiohttp.ClientSession() as session, session.post(url, headers=AUTH) as r:
            await r.read()
            by_sync = classify(r).rule
            kling.create = [QUOTA_1102]
        async with aiohttp.ClientSession() as session, session.post(url, headers=AUTH) as r:
            return by_sync, (await aclassify(r)).rule  # not read: aclassify reads it

    assert asyncio.run(run()) == ("kling.account.1102", "kling.account.1102")


def test_aiohttp_unread_body_in_sync_code_says_how_to_read_it(kling: FakeKling) -> None:
    url = _quota(kling)

    async def run() -> tuple[str, KlingAPIError]:
        async with aiohttp.ClientSession() as session, session.post(url, headers=AUTH) as r:
            with pytest.raises(ResponseNotReadError) as unread:
                raise_for_error(r)
            with pytest.raises(QuotaError) as quota:
                await araise_for_error(r)
            return str(unread.value) + " " + unread.value.hint, quota.value

    hint, error = asyncio.run(run())
    assert "araise_for_error" in hint and isinstance(error.response, aiohttp.ClientResponse)


def test_aiohttp_success_returns_the_parsed_body(kling: FakeKling) -> None:
    async def run() -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(kling.url + CREATE_PATH, headers=AUTH) as r,
        ):
            return await araise_for_error(r)

    body = asyncio.run(run())
    assert body["code"] == 0 and body["data"]["task_status"] == "submitted"


def test_an_httpx_stream_is_read_for_its_error_and_stays_readable(kling: FakeKling) -> None:
    with (
        httpx.Client() as client,
        client.stream("POST", _quota(kling), headers=AUTH) as response,
    ):
        with pytest.raises(QuotaError):
            raise_for_error(response)
        assert response.json()["code"] == 1102  # the body is still there for the caller


def test_an_httpx_event_hook_sees_the_typed_error(kling: FakeKling) -> None:
    """Response hooks run before httpx reads the body; raise_for_error reads it."""
    url = _quota(kling)
    with (
        httpx.Client(event_hooks={"response": [raise_for_error]}) as client,
        pytest.raises(QuotaError),
    ):
        client.post(url, headers=AUTH)


def test_an_async_httpx_stream_in_sync_code_says_to_await_it(kling: FakeKling) -> None:
    url = _quota(kling)

    async def run() -> tuple[ResponseNotReadError, QuotaError]:
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", url, headers=AUTH) as response,
        ):
            with pytest.raises(ResponseNotReadError) as unread:
                raise_for_error(response)
            with pytest.raises(QuotaError) as quota:
                await araise_for_error(response)
            return unread.value, quota.value

    unread, quota = asyncio.run(run())
    assert "aread" in unread.hint and "araise_for_error" in unread.hint
    assert isinstance(unread, RuntimeError) and quota.service_code == 1102


def test_a_consumed_stream_raises_instead_of_guessing(kling: FakeKling) -> None:
    with (
        httpx.Client() as client,
        client.stream("POST", _quota(kling), headers=AUTH) as response,
    ):
        for _ in response.iter_raw():
            pass
        with pytest.raises(ResponseNotReadError, match="consumed"):
            raise_for_error(response)
    response2 = requests.post(_quota(kling), headers=AUTH, stream=True, timeout=5)
    for _ in response2.iter_content(16):
        pass
    with pytest.raises(ResponseNotReadError, match="consumed"):
        raise_for_error(response2)


def test_a_requests_stream_is_read_for_its_error(kling: FakeKling) -> None:
    response = requests.post(_quota(kling), headers=AUTH, stream=True, timeout=5)
    with pytest.raises(QuotaError):
        raise_for_error(response)


@pytest.mark.parametrize("client", ["httpx", "requests", "httpx-async", "aiohttp"])
def test_a_download_is_left_unread_for_the_caller(kling: FakeKling, client: str) -> None:
    url = kling.url + "/files/task-1.mp4"
    if client == "httpx":
        with httpx.Client() as c, c.stream("GET", url) as r:
            assert raise_for_error(r) == {} and not r.is_stream_consumed
            assert b"".join(r.iter_bytes()) == VIDEO
    elif client == "requests":
        with requests.get(url, stream=True, timeout=5) as r:
            assert raise_for_error(r) == {} and r.raw.tell() == 0
            assert b"".join(r.iter_content(4096)) == VIDEO

    async def run() -> bytes:
        if client == "aiohttp":
            async with aiohttp.ClientSession() as session, session.get(url) as r:
                assert raise_for_error(r) == {} and await araise_for_error(r) == {}
                return await r.read()
        async with httpx.AsyncClient() as c, c.stream("GET", url) as r:
            assert await araise_for_error(r) == {} and not r.is_stream_consumed
            return b"".join([chunk async for chunk in r.aiter_bytes()])

    if client in ("aiohttp", "httpx-async"):
        assert asyncio.run(run()) == VIDEO


# -- client exceptions: follow .response, or read the transport failure ---------------------


def test_httpx_status_error_is_followed_to_its_response(kling: FakeKling) -> None:
    response = httpx.post(_quota(kling), headers=AUTH)
    with pytest.raises(httpx.HTTPStatusError) as raised:
        response.raise_for_status()
    assert classify(raised.value).rule == "kling.account.1102"
    with pytest.raises(QuotaError) as caught:
        raise_for_error(raised.value)
    assert caught.value.__cause__ is raised.value and caught.value.response is response


def test_requests_http_error_is_followed_to_its_response(kling: FakeKling) -> None:
    response = requests.post(_quota(kling), headers=AUTH, timeout=5)
    with pytest.raises(requests.HTTPError) as raised:
        response.raise_for_status()
    with pytest.raises(QuotaError) as caught:
        raise_for_error(raised.value)
    assert caught.value.response is response and caught.value.request_id == "req-1102"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_transport_failures_become_network_errors() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1/videos/text2video"
    failures: list[BaseException] = []
    for call in (lambda: httpx.post(url), lambda: requests.post(url, timeout=5)):
        try:
            call()
        except Exception as exc:
            failures.append(exc)

    async def aio() -> None:
        async with aiohttp.ClientSession() as session:
            await session.post(url)

    try:
        asyncio.run(aio())
    except Exception as exc:
        failures.append(exc)
    assert len(failures) == 3
    for failure in failures:
        with pytest.raises(NetworkError) as caught:
            raise_for_error(failure)
        assert isinstance(caught.value, ConnectionError) and caught.value.retryable is True
        assert caught.value.__cause__ is failure and caught.value.response is None


def test_a_timeout_is_a_builtin_timeout_error_too() -> None:
    with pytest.raises(TimeoutError) as caught:
        raise_for_error(httpx.ReadTimeout("timed out"))
    assert isinstance(caught.value, KlingTimeoutError)
    assert caught.value.rule == "transport.read_timeout"
    with pytest.raises(KlingTimeoutError):
        raise_for_error(TimeoutError())  # what asyncio.wait_for raises


def test_aiohttp_raise_for_status_keeps_the_status_but_not_the_body(kling: FakeKling) -> None:
    """aiohttp's own raise_for_status drops the body; araise_for_error is the way."""
    url = _quota(kling)

    async def run() -> BaseException:
        async with aiohttp.ClientSession() as session, session.post(url, headers=AUTH) as r:
            try:
                r.raise_for_status()
            except aiohttp.ClientResponseError as exc:
                return exc
        raise AssertionError("no error")

    with pytest.raises(KlingAPIError) as caught:
        raise_for_error(asyncio.run(run()))
    assert (caught.value.http_status, caught.value.rule) == (429, "http.429")


@pytest.mark.parametrize(
    "original",
    [ValueError("prompt is required"), KeyError("data"), httpx.DecodingError("")],
    ids=["a bug's ValueError", "KeyError", "an httpx error no rule explains"],
)
def test_an_exception_that_is_no_known_failure_is_raised_again_unchanged(
    original: Exception,
) -> None:
    with pytest.raises(type(original)) as caught:
        raise_for_error(original)
    assert caught.value is original


# -- the typed errors -----------------------------------------------------------------------


def test_there_is_one_typed_error_per_category_importable_from_the_package() -> None:
    assert [kind.for_category for kind in CATEGORY_ERRORS] == list(Category)
    for kind in CATEGORY_ERRORS:
        assert issubclass(kind, KlingAPIError) and getattr(kling_errors, kind.__name__) is kind
        assert kind.__name__ in kling_errors.__all__
    assert issubclass(kling_errors.KlingTimeoutError, TimeoutError)
    assert issubclass(kling_errors.NetworkError, ConnectionError)


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"status": 401, "body": {"code": 1004}}, kling_errors.AuthError),
        ({"status": 429, "body": {"code": 1102}}, kling_errors.QuotaError),
        ({"status": 429, "body": {"code": 1304}}, kling_errors.PermissionDeniedError),
        ({"status": 400, "body": {"code": 1201}}, kling_errors.InvalidRequestError),
        ({"status": 404, "body": {"code": 1203}}, kling_errors.NotFoundError),
        ({"status": 400, "body": {"code": 1301}}, kling_errors.ContentPolicyError),
        ({"status": 429, "body": {"code": 1302}}, kling_errors.RateLimitError),
        ({"status": 429, "body": {"code": 1303}}, kling_errors.ConcurrencyLimitError),
        ({"status": 500, "body": {"code": 5000}}, kling_errors.ServerError),
        ({"status": 504, "body": {"code": 5002}}, kling_errors.KlingTimeoutError),
        ("httpx.ConnectError: [Errno 111] Connection refused", kling_errors.NetworkError),
        (
            {"task_id": "9", "task_status": "failed", "task_status_msg": ""},
            kling_errors.GenerationFailedError,
        ),
        ({"status": 418, "body": {"code": 7777, "message": "zq"}}, UnmatchedError),
    ],
)
def test_raise_for_error_raises_the_category_s_class(record: Any, kind: type) -> None:
    with pytest.raises(KlingAPIError) as caught:
        raise_for_error(record)
    assert type(caught.value) is kind
    assert caught.value.category == kind.for_category


WORKER_RECORD = {"status": 429, "headers": {"Retry-After": "7"}, "body": {"code": 1303}}


def _raise_in_worker(record: dict[str, Any]) -> None:
    raise_for_error(record)


def test_typed_errors_cross_a_process_pool_with_their_diagnosis() -> None:
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        future = pool.submit(_raise_in_worker, WORKER_RECORD)
        with pytest.raises(ConcurrencyLimitError) as caught:
            future.result(timeout=60)
    err = caught.value
    assert err.diagnosis == classify(WORKER_RECORD) and err.diagnosis.event is not None
    assert err.retry_after == 7.0 and err.retry_policy is not None
    assert err.retry_policy.max_attempts == 10 and err.fingerprint == "kling.concurrency.1303:1303"


def test_every_typed_error_pickles_with_its_diagnosis_but_not_its_response(
    kling: FakeKling,
) -> None:
    response = httpx.post(_quota(kling), headers=AUTH)
    with pytest.raises(QuotaError) as caught:
        raise_for_error(response)
    caught.value.add_note("while creating task for user 7")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is QuotaError and copy.diagnosis == caught.value.diagnosis
    assert str(copy) == str(caught.value) and copy.__notes__ == caught.value.__notes__
    assert copy.retry_policy == caught.value.retry_policy and copy.response is None
    assert copy.retry_after == caught.value.retry_after
    secret = {"status": 429, "body": {"code": 1303, "message": "key sk-live-0123456789abcdefghij"}}
    with pytest.raises(KlingAPIError) as leaky:
        raise_for_error(secret)
    assert "sk-live-0123456789abcdefghij" not in pickle.dumps(leaky.value).decode("latin-1")
    for kind in (*CATEGORY_ERRORS, UnmatchedError, KlingAPIError):
        error = kind(classify({"status": 504, "body": {"code": 5002}}))
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is kind and again.diagnosis == error.diagnosis
        assert str(again) == str(error)


def test_log_fields_go_into_extra_without_clashing_with_the_log_record() -> None:
    with pytest.raises(KlingAPIError) as caught:
        raise_for_error({"status": 429, "body": {"code": 1303, "message": "busy"}})
    fields = caught.value.log_fields()
    reserved = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
    assert all(key.startswith("kling_") for key in fields) and not reserved & set(fields)
    assert all(v is None or type(v) in (str, int, float, bool) for v in fields.values())
    assert json.loads(json.dumps(fields)) == fields

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("test_clients.log_fields")
    log.addHandler(handler)
    try:
        log.error("kling call failed", extra=fields)  # a `message` key would raise KeyError
    finally:
        log.removeHandler(handler)
    assert records[0].kling_rule == "kling.concurrency.1303"  # type: ignore[attr-defined]
    assert records[0].kling_category == "concurrency_limit"  # type: ignore[attr-defined]


def test_the_fingerprint_groups_by_rule_and_code_never_by_request() -> None:
    def error(record: dict[str, Any]) -> KlingAPIError:
        with pytest.raises(KlingAPIError) as caught:
            raise_for_error(record)
        return caught.value

    first = error({"status": 429, "body": {"code": 1303, "request_id": "a1", "message": "x"}})
    second = error({"status": 429, "body": {"code": 1303, "request_id": "b2", "message": "y"}})
    billing = error({"status": 429, "body": {"code": 1102, "request_id": "a1"}})
    unknown = error({"status": 418, "body": {"code": 7777, "message": "zq", "request_id": "c3"}})
    assert first.fingerprint == second.fingerprint == "kling.concurrency.1303:1303"
    assert billing.fingerprint != first.fingerprint
    assert unknown.fingerprint == "unmatched:http418" and "c3" not in unknown.fingerprint


def test_a_typed_error_passed_back_in_is_itself() -> None:
    with pytest.raises(QuotaError) as caught:
        raise_for_error({"status": 429, "body": {"code": 1102}})
    assert classify(caught.value) is caught.value.diagnosis
    with pytest.raises(QuotaError) as again:
        raise_for_error(caught.value)
    assert again.value is caught.value


def test_to_record_gives_what_the_cli_reads(kling: FakeKling) -> None:
    response = httpx.post(_quota(kling), headers=AUTH)
    record = kling_errors.to_record(response)
    assert record["status"] == 429 and record["body"]["code"] == 1102
    assert record["method"] == "POST" and record["url"].endswith(CREATE_PATH)
    assert classify(json.loads(json.dumps(record))).rule == "kling.account.1102"
