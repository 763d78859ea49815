"""Retrying Kling calls as a policy: whether, how long to wait, and what to do first.

The rules already say how to retry each error (``Rule.retry``: strategy, initial delay,
multiplier, max delay, max attempts); this module turns that into waits, and
``kling_retry`` here, in ``kling_errors.tenacity``, ``kling_errors.stamina`` and
``kling_errors.backoff`` into a ready decorator. The decisions:

- **Only ``retryable: true`` is retried.** ``null`` means the evidence does not say (a bare
  429 with no body, a bare 401, a task that failed for no stated reason): no automatic retry,
  as a blind retry of a billing or auth failure wastes calls and hides the cause.
  ``retry_unknown=True`` follows such a rule's schedule anyway.
- **Waits grow exponentially with equal jitter**: the rule's ``initial_delay *
  multiplier ** (n - 1)``, capped at its ``max_delay``, of which half is kept and half drawn
  at random. Retries spread out (no thundering herd after a 1303) but never come sooner than
  half the rule's wait, which full jitter would allow (down to 0 s). ``jitter="full"`` and
  ``"none"`` are there too; pass a ``random.Random`` for reproducible waits.
- **Retry-After is honoured as sent** (no jitter: never sooner than the server asked),
  capped by the rule's ``max_delay`` and yours.
- **``max_attempts`` counts retries after the first call, per rule**, as the rules do:
  1303 allows 10, 1004 one. A call that meets 1303 five times and then 1004 still gets its
  re-signed retry. Your ``max_attempts`` and ``max_delay`` cap the rule's values, never
  raise them; ``timeout`` bounds the whole call. A rule's ``max_attempts: 0`` sets no limit.
- **``resign_token`` (1003/1004)**: your ``resign`` callable runs once before each such
  retry (sign a fresh JWT). Without one the call is still retried: right for a function that
  signs a token on every call.
- **Only KlingAPIErrors are retried** (what ``raise_for_error`` raises). A transport
  exception (httpx.ConnectError, requests' ReadTimeout, asyncio's TimeoutError) passes
  through unless ``retry_transport=True``: after a read timeout Kling may have created the
  task, and creating it again bills twice.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec, Protocol, TypeVar, cast

from ._clients import _read, is_transport
from ._engine import Engine, default_engine
from ._exceptions import KlingAPIError
from ._models import MAX_RETRY_AFTER, Diagnosis, RetryPolicy
from ._vocabulary import Strategy

__all__ = [
    "Jitter",
    "Resign",
    "Retrier",
    "RetryDecorator",
    "RetrySettings",
    "as_kling_error",
    "kling_retry",
    "retry_policy",
    "should_retry",
    "wait_seconds",
]

P = ParamSpec("P")
R = TypeVar("R")

Jitter = Literal["equal", "full", "none"]
# Called before a resign_token retry; in async code it may return an awaitable.
Resign = Callable[[], object]


class RetryDecorator(Protocol):
    """A decorator that keeps the decorated function's signature (sync or async)."""

    def __call__(self, fn: Callable[P, R], /) -> Callable[P, R]: ...


def as_kling_error(
    error: BaseException, *, transport: bool = False, engine: Engine | None = None
) -> KlingAPIError | None:
    """The KlingAPIError an exception is, or (``transport``) stands for; else None.

    With ``transport``, an exception of httpx, requests, urllib3 or aiohttp, or an
    OSError (reset, refused, timed out), is classified (an HTTPStatusError by its response).
    """
    if isinstance(error, KlingAPIError):
        return error
    if not transport or not is_transport(error):
        return None
    try:
        answer = _read(error)
    except Exception:  # an unreadable body: nothing to decide on
        return None
    engine = engine or default_engine()
    diagnosis = engine.classify(answer.record)
    if not diagnosis.is_error:
        return None
    rule = engine.rules.get(diagnosis.rule) if diagnosis.rule else None
    return KlingAPIError.from_diagnosis(
        diagnosis, response=answer.response, retry_policy=rule.retry if rule else None
    )


def should_retry(error: BaseException, *, retry_unknown: bool = False) -> bool:
    """True when the error is a KlingAPIError that its rule says a retry helps.

    ``retryable`` None (unknown) counts only with ``retry_unknown``; an error whose strategy
    is ``none`` never does.
    """
    if not isinstance(error, KlingAPIError):
        return False
    if error.retryable is False or (error.retryable is None and not retry_unknown):
        return False
    return error.strategy != Strategy.NONE


def retry_policy(
    error: KlingAPIError | Diagnosis, *, engine: Engine | None = None
) -> RetryPolicy | None:
    """The full retry schedule of an error's rule; None when no rule explains it.

    A KlingAPIError carries it (``err.retry_policy``); for a Diagnosis the rule is looked
    up in ``engine`` (default: the built-in rules), else rebuilt from its RetryAdvice.
    """
    if isinstance(error, KlingAPIError):
        if error.retry_policy is not None:
            return error.retry_policy
        diagnosis = error.diagnosis
    else:
        diagnosis = error
    if diagnosis.rule is None:
        return None
    rule = (engine or default_engine()).rules.get(diagnosis.rule)
    if rule is not None and rule.category == diagnosis.category:
        return rule.retry
    advice = diagnosis.retry
    if advice is None:
        return None
    return RetryPolicy(
        strategy=advice.strategy,
        initial_delay=advice.delay_seconds or 0.0,
        max_delay=advice.max_delay,
        max_attempts=advice.max_attempts,
        honour_retry_after=advice.honour_retry_after,
    )


def wait_seconds(
    error: KlingAPIError | Diagnosis,
    attempt: int = 1,
    *,
    max_delay: float | None = None,
    jitter: Jitter = "equal",
    rng: random.Random | None = None,
    engine: Engine | None = None,
) -> float | None:
    """Seconds to wait before retry number ``attempt`` (1-based) of this error.

    None when the rule says not to retry (``retryable: false``, strategy ``none``) or
    ``attempt`` is past its ``max_attempts``. Retry-After, when sent and honoured, is the
    wait (capped); otherwise the rule's exponential wait with ``jitter`` (module docstring).
    ``max_delay`` caps every wait. Whether to retry an unknown (``None``) error is
    ``should_retry``'s to say; its schedule is given here.
    """
    diagnosis = error.diagnosis if isinstance(error, KlingAPIError) else error
    policy = retry_policy(error, engine=engine)
    if diagnosis.retryable is False or policy is None or policy.strategy == Strategy.NONE:
        return None
    attempt = max(attempt, 1)  # a 0-based loop's first retry is the first, as Rule.retry says
    if policy.max_attempts and attempt > policy.max_attempts:
        return None
    cap = policy.max_delay or MAX_RETRY_AFTER
    if max_delay is not None:
        cap = min(cap, max(0.0, max_delay))
    event = diagnosis.event
    if event is not None and event.retry_after is not None and policy.honour_retry_after:
        return min(event.retry_after, cap)
    try:
        base = min(policy.initial_delay * policy.multiplier ** (attempt - 1), cap)
    except OverflowError:
        base = cap
    if jitter == "none" or base <= 0 or not math.isfinite(base):
        return base
    draw = (rng or random).uniform
    if jitter == "full":
        return draw(0.0, base)
    return base / 2 + draw(0.0, base / 2)


@dataclass(frozen=True)
class RetrySettings:
    """What every ``kling_retry`` takes; each call of the decorated function gets a Retrier."""

    max_attempts: int | None = None
    max_delay: float | None = None
    timeout: float | None = None
    jitter: Jitter = "equal"
    rng: random.Random | None = None
    resign: Resign | None = None
    retry_unknown: bool = False
    retry_transport: bool = False
    logger: logging.Logger | None = None
    engine: Engine | None = None

    def retrier(self) -> Retrier:
        return Retrier(self)


@dataclass
class Retrier:
    """The retry state of one call and its retries: counts per rule, the resign to do.

    ``next_wait(exc)`` after each failure: the seconds to wait, or None to give up (raise
    it). ``before_retry()`` (``await abefore_retry()`` in async code) before calling again.
    """

    settings: RetrySettings = field(default_factory=RetrySettings)
    attempts: Counter[str] = field(default_factory=Counter, init=False)  # retries, per rule
    retries: int = field(default=0, init=False)
    last_error: KlingAPIError | None = field(default=None, init=False)
    last_wait: float | None = field(default=None, init=False)  # the last next_wait's answer
    _resign_due: bool = field(default=False, init=False, repr=False)
    _started: float = field(default_factory=time.monotonic, init=False, repr=False)

    def next_wait(self, exc: BaseException) -> float | None:
        """Count this failure; the seconds to wait before retrying it, or None to give up."""
        self.last_wait = wait = self._decide(exc)
        return wait

    def _decide(self, exc: BaseException) -> float | None:
        s = self.settings
        error = as_kling_error(exc, transport=s.retry_transport, engine=s.engine)
        if error is None or not should_retry(error, retry_unknown=s.retry_unknown):
            return None
        key = error.rule or error.fingerprint
        attempt = self.attempts[key] + 1
        if s.max_attempts is not None and attempt > s.max_attempts:
            return None
        wait = wait_seconds(
            error, attempt, max_delay=s.max_delay, jitter=s.jitter, rng=s.rng, engine=s.engine
        )
        if wait is None:
            return None
        if s.timeout is not None and time.monotonic() - self._started + wait > s.timeout:
            return None
        self.attempts[key] = attempt
        self.retries += 1
        self.last_error = error
        self._resign_due = error.strategy == Strategy.RESIGN_TOKEN
        if s.logger is not None:
            extra = {**error.log_fields(), "kling_attempt": attempt, "kling_wait": wait}
            s.logger.warning(
                "Kling call failed (%s); retry %d in %.2f s", error, attempt, wait, extra=extra
            )
        return wait

    def before_retry(self) -> None:
        """Run ``resign`` if the last failure asked for a fresh token (sync code)."""
        if not self._take_resign():
            return
        result = cast(Resign, self.settings.resign)()
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise TypeError("resign returned an awaitable: an async resign needs async code")

    async def abefore_retry(self) -> None:
        """Run ``resign`` (awaited when it returns an awaitable) if the last failure asks."""
        if not self._take_resign():
            return
        result = cast(Resign, self.settings.resign)()
        if inspect.isawaitable(result):
            await result

    def _take_resign(self) -> bool:
        due, self._resign_due = self._resign_due, False
        return due and self.settings.resign is not None


def kling_retry(
    *,
    max_attempts: int | None = None,
    max_delay: float | None = None,
    timeout: float | None = None,
    jitter: Jitter = "equal",
    rng: random.Random | None = None,
    resign: Resign | None = None,
    retry_unknown: bool = False,
    retry_transport: bool = False,
    logger: logging.Logger | None = None,
    engine: Engine | None = None,
) -> RetryDecorator:
    """Retry a sync or async function per rule, without any retry library.

    Retries the retryable KlingAPIErrors it raises (module docstring), re-raises the last
    error when the rule (or your caps) say stop. The same options as
    ``kling_errors.tenacity.kling_retry``.
    """
    settings = RetrySettings(
        max_attempts, max_delay, timeout, jitter, rng, resign, retry_unknown,
        retry_transport, logger, engine,
    )  # fmt: skip

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(fn):
            import asyncio  # only for async functions: `import kling_errors.retry` stays light

            afn = cast(Callable[P, Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                retrier = settings.retrier()
                while True:
                    try:
                        return await afn(*args, **kwargs)
                    except Exception as exc:
                        wait = retrier.next_wait(exc)
                        if wait is None:
                            raise
                    await asyncio.sleep(wait)
                    await retrier.abefore_retry()

            return cast(Callable[P, R], run_async)

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            retrier = settings.retrier()
            while True:
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:
                    wait = retrier.next_wait(exc)
                    if wait is None:
                        raise
                time.sleep(wait)
                retrier.before_retry()

        return run

    return decorate
