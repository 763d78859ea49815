"""Retries as a policy: the n-th wait, the should-retry predicate, per-call limits, the
resign hook, and the tenacity / stamina / backoff / dependency-free decorators."""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kling_errors.backoff
import kling_errors.retry
import kling_errors.stamina
import kling_errors.tenacity
from kling_errors import (
    AuthError,
    ConcurrencyLimitError,
    Engine,
    KlingAPIError,
    QuotaError,
    Strategy,
    classify,
    raise_for_error,
)
from kling_errors.retry import (
    Retrier,
    RetryDecorator,
    RetrySettings,
    retry_policy,
    should_retry,
    wait_seconds,
)

from .conftest import REPO


def error_of(record: Any, engine: Engine | None = None) -> KlingAPIError:
    with pytest.raises(KlingAPIError) as caught:
        raise_for_error(record, engine=engine)
    return caught.value


E1303 = error_of({"status": 429, "body": {"code": 1303, "request_id": "r1"}})
E1102 = error_of({"status": 429, "body": {"code": 1102}})
E1004 = error_of({"status": 401, "body": {"code": 1004}})
E1302_AFTER_4 = error_of({"status": 429, "headers": {"Retry-After": "4"}, "body": {"code": 1302}})
BARE_429 = error_of({"status": 429})


# -- the n-th wait --------------------------------------------------------------------------


def test_the_schedule_without_jitter_is_the_rule_s() -> None:
    waits = [wait_seconds(E1303, n, jitter="none") for n in range(1, 12)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, None]  # 10 retries, 60 s at most
    assert wait_seconds(E1004, 1, jitter="none") == 0 and wait_seconds(E1004, 2) is None


def test_equal_jitter_keeps_at_least_half_the_wait_and_full_jitter_may_reach_zero() -> None:
    rng = random.Random(7)
    for attempt, base in [(1, 1.0), (3, 4.0), (8, 60.0)]:
        equal = [wait_seconds(E1303, attempt, rng=rng) or 0.0 for _ in range(300)]
        full = [wait_seconds(E1303, attempt, jitter="full", rng=rng) or 0.0 for _ in range(300)]
        assert base / 2 <= min(equal) and max(equal) <= base and len(set(equal)) > 250
        assert 0 <= min(full) < base / 4 and max(full) <= base


def test_a_seeded_random_gives_the_same_waits_every_time() -> None:
    def schedule(seed: int) -> list[float | None]:
        rng = random.Random(seed)
        return [wait_seconds(E1303, n, rng=rng) for n in range(1, 11)]

    assert schedule(3) == schedule(3) and schedule(3) != schedule(4)


def test_retry_after_is_the_wait_as_sent_capped_by_the_rule_and_by_you() -> None:
    assert [wait_seconds(E1302_AFTER_4, n) for n in (1, 2, 5)] == [4.0, 4.0, 4.0]
    assert wait_seconds(E1302_AFTER_4, 1, max_delay=0.5) == 0.5
    late = error_of({"status": 429, "headers": {"Retry-After": "600"}, "body": {"code": 1302}})
    assert wait_seconds(late, 1) == 60.0  # kling.rate.1302: max_delay 60


def test_a_rule_can_ignore_retry_after(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        text="""\
        version: 1
        rules:
          - id: team.busy
            title: Busy
            category: rate_limit
            severity: warning
            match: {http_status: 429}
            causes: [busy]
            fixes: [wait]
            retryable: true
            retry: {strategy: backoff, initial_delay: 3, max_delay: 10, max_attempts: 2,
                    honour_retry_after: false}
            source: {kind: observed_log, ref: our logs}
        """
    )
    engine = Engine(rule_paths=[path], builtin=False)
    error = error_of({"status": 429, "headers": {"Retry-After": "1"}}, engine)
    assert error.retry_policy is not None and not error.retry_policy.honour_retry_after
    assert [wait_seconds(error, n, jitter="none") for n in (1, 2, 3)] == [3, 6, None]


def test_no_wait_for_what_must_not_be_retried() -> None:
    assert wait_seconds(E1102, 1) is None
    assert wait_seconds(E1303, 0, jitter="none") == wait_seconds(E1303, 1, jitter="none") == 1
    assert wait_seconds(E1303, 2, max_delay=0.25, jitter="none") == 0.25


def test_a_diagnosis_gives_the_same_schedule_as_its_error() -> None:
    diagnosis = classify({"status": 429, "body": {"code": 1303}})
    assert retry_policy(diagnosis) == E1303.retry_policy
    assert [wait_seconds(diagnosis, n, jitter="none") for n in (1, 4, 11)] == [1, 8, None]


# -- should we retry at all -----------------------------------------------------------------


def test_only_retryable_true_is_retried_unless_unknown_is_asked_for() -> None:
    assert should_retry(E1303) and should_retry(E1004)
    assert not should_retry(E1102) and not should_retry(ValueError("x"))
    assert BARE_429.retryable is None and BARE_429.rule == "http.429"
    assert not should_retry(BARE_429) and should_retry(BARE_429, retry_unknown=True)


# -- one call's retries ---------------------------------------------------------------------


def test_limits_are_per_rule_so_a_late_1004_still_gets_its_resign() -> None:
    resigned: list[int] = []
    retrier = Retrier(RetrySettings(jitter="none", resign=lambda: resigned.append(1)))
    assert [retrier.next_wait(E1303) for _ in range(3)] == [1, 2, 4]
    retrier.before_retry()
    assert resigned == []  # 1303 is no reason to re-sign
    assert retrier.next_wait(E1004) == 0
    retrier.before_retry()
    retrier.before_retry()
    assert resigned == [1]  # once, before the retry that needs it
    assert retrier.next_wait(E1004) is None  # 1004 allows one retry
    assert [retrier.next_wait(E1303) for _ in range(8)][-2:] == [60, None]  # 10 in all
    assert retrier.retries == 11 and retrier.attempts["kling.concurrency.1303"] == 10


def test_your_max_attempts_and_timeout_cap_the_rule() -> None:
    capped = Retrier(RetrySettings(max_attempts=2, jitter="none"))
    assert [capped.next_wait(E1303) for _ in range(3)] == [1, 2, None]
    timed = Retrier(RetrySettings(timeout=1.5, jitter="none"))
    assert [timed.next_wait(E1303), timed.next_wait(E1303)] == [1, None]  # 2 s would pass it


def test_an_async_resign_is_awaited_and_refused_in_sync_code() -> None:
    done: list[str] = []

    async def resign() -> None:
        done.append("signed")

    retrier = Retrier(RetrySettings(resign=resign))
    retrier.next_wait(E1004)
    asyncio.run(retrier.abefore_retry())
    assert done == ["signed"]
    sync = Retrier(RetrySettings(resign=resign))
    assert sync.next_wait(AuthError(E1004.diagnosis)) == 0  # no policy attached: looked up
    with pytest.raises(TypeError, match="async"):
        sync.before_retry()


def test_transport_errors_are_retried_only_when_asked() -> None:
    reset = ConnectionResetError(104, "Connection reset by peer")
    assert Retrier().next_wait(reset) is None
    assert Retrier(RetrySettings(retry_transport=True)).next_wait(reset) is not None
    assert Retrier(RetrySettings(retry_transport=True)).next_wait(KeyError("data")) is None


def test_each_retry_is_logged_with_the_error_s_fields(caplog: pytest.LogCaptureFixture) -> None:
    retrier = Retrier(RetrySettings(jitter="none", logger=logging.getLogger("kling.test")))
    with caplog.at_level(logging.WARNING, "kling.test"):
        retrier.next_wait(E1303)
    (record,) = caplog.records
    assert record.kling_rule == "kling.concurrency.1303" and record.kling_attempt == 1  # type: ignore[attr-defined]
    assert record.kling_wait == 1 and "retry 1 in 1.00 s" in record.getMessage()  # type: ignore[attr-defined]


# -- the decorators, one test body for every library -----------------------------------------

ADAPTERS: dict[str, Callable[..., RetryDecorator]] = {
    "tenacity": kling_errors.tenacity.kling_retry,
    "stamina": kling_errors.stamina.kling_retry,
    "backoff": kling_errors.backoff.kling_retry,
    "plain": kling_errors.retry.kling_retry,
}


class Script:
    """A function that raises the scripted errors in turn, then returns "ok"."""

    def __init__(self, *errors: BaseException, forever: bool = False) -> None:
        self.errors, self.forever, self.calls = list(errors), forever, 0

    def step(self) -> str:
        self.calls += 1
        if self.errors:
            error = self.errors[0] if self.forever else self.errors.pop(0)
            raise error
        return "ok"


@pytest.fixture(params=list(ADAPTERS))
def kling_retry(request: pytest.FixtureRequest) -> Callable[..., RetryDecorator]:
    return ADAPTERS[request.param]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_retries_the_retryable_and_gives_up_as_the_rule_says(
    kling_retry: Callable[..., RetryDecorator], is_async: bool
) -> None:
    resigns: list[int] = []

    def run(script: Script, **overrides: Any) -> tuple[Any, int]:
        retry = kling_retry(max_delay=0.001, resign=lambda: resigns.append(1), **overrides)
        if is_async:

            async def acall() -> str:
                await asyncio.sleep(0)
                return script.step()

            call: Callable[[], Any] = lambda: asyncio.run(retry(acall)())  # noqa: E731
        else:
            call = retry(script.step)
        try:
            return call(), script.calls
        except Exception as exc:
            return exc, script.calls

    assert run(Script(E1303, E1303)) == ("ok", 3)
    result, calls = run(Script(E1102, E1303))
    assert isinstance(result, QuotaError) and calls == 1  # never retried, raised as it is
    result, calls = run(Script(E1004, forever=True))
    assert isinstance(result, AuthError) and calls == 2 and resigns == [1]
    result, calls = run(Script(E1303, forever=True), max_attempts=3)
    assert isinstance(result, ConcurrencyLimitError) and calls == 4
    result, calls = run(Script(KeyError("data"), E1303))
    assert isinstance(result, KeyError) and calls == 1
    result, calls = run(Script(BARE_429, BARE_429))
    assert result is BARE_429 and calls == 1
    assert run(Script(BARE_429, BARE_429), retry_unknown=True) == ("ok", 3)


def test_every_call_gets_the_whole_budget_and_nested_calls_their_own(
    kling_retry: Callable[..., RetryDecorator],
) -> None:
    inner_script = Script(E1004, forever=True)
    inner = kling_retry(max_delay=0.001)(inner_script.step)
    outer_calls = 0

    @kling_retry(max_delay=0.001)
    def outer() -> str:
        nonlocal outer_calls
        outer_calls += 1
        return inner()

    with pytest.raises(AuthError):
        outer()
    assert (outer_calls, inner_script.calls) == (2, 4)  # 1 + 1 retry each, inner twice


def test_an_async_resign_is_awaited_by_every_adapter(
    kling_retry: Callable[..., RetryDecorator],
) -> None:
    script, signed = Script(E1004), []

    async def resign() -> None:
        await asyncio.sleep(0)
        signed.append(script.calls)

    @kling_retry(max_delay=0.001, resign=resign)
    async def create() -> str:
        return script.step()

    assert asyncio.run(create()) == "ok" and signed == [1]


def test_the_tenacity_decorator_stays_a_tenacity_decorator() -> None:
    script = Script(E1303, E1303)
    create = kling_errors.tenacity.kling_retry(max_delay=0.001)(script.step)
    assert create() == "ok"
    assert create.statistics["attempt_number"] == 3  # type: ignore[attr-defined]
    assert create.retry.reraise  # type: ignore[attr-defined]
    assert create.__name__ == "step"


def test_stamina_testing_mode_still_follows_the_rules() -> None:
    import stamina

    stamina.set_testing(True, attempts=5)
    try:
        script = Script(E1303, E1303)
        assert kling_errors.stamina.kling_retry()(script.step)() == "ok" and script.calls == 3
        quota = Script(E1102)
        with pytest.raises(QuotaError):
            kling_errors.stamina.kling_retry()(quota.step)()
        assert quota.calls == 1
    finally:
        stamina.set_testing(False)


@pytest.mark.parametrize("library", ["tenacity", "stamina", "backoff"])
def test_a_missing_library_names_the_extra_to_install(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # `import library` now fails
    monkeypatch.delitem(sys.modules, f"kling_errors.{library}")
    with pytest.raises(ImportError, match=rf"pip install 'kling-errors\[{library}\]'"):
        importlib.import_module(f"kling_errors.{library}")


def test_the_extras_name_the_libraries() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for library in ("tenacity", "stamina", "backoff"):
        assert any(req.startswith(library) for req in extras[library])
        assert any(req.startswith(library) for req in extras["dev"])


def test_the_strategy_of_an_error_is_the_rule_s() -> None:
    assert (E1303.strategy, E1004.strategy, E1102.strategy) == (
        Strategy.WAIT_FOR_CAPACITY,
        Strategy.RESIGN_TOKEN,
        Strategy.NONE,
    )
