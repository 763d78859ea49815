"""``kling_retry`` for tenacity: a ready ``tenacity.retry`` decorator driven by the rules.

    from kling_errors.tenacity import kling_retry

    @kling_retry(resign=tokens.refresh)
    def create_task(prompt: str) -> str:
        response = httpx.post(URL, json={"prompt": prompt}, headers=tokens.headers())
        return str(raise_for_error(response)["data"]["task_id"])

Retries only the retryable KlingAPIErrors, waits per rule (Retry-After honoured), stops per
rule and re-raises the last error itself (never tenacity.RetryError); calls ``resign``
before retrying 1003/1004. Works on sync and async functions; the decorated function keeps
tenacity's ``.retry``, ``.statistics`` and ``.retry_with``. Options and decisions:
``kling_errors.retry``. Needs ``pip install 'kling-errors[tenacity]'``.
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from ._adapters import missing
from ._engine import Engine
from .retry import Jitter, Resign, Retrier, RetryDecorator, RetrySettings

try:
    import tenacity
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(missing("tenacity")) from exc

__all__ = ["kling_retry"]

P = ParamSpec("P")
R = TypeVar("R")

_RETRIER = "_kling_errors_retrier"  # the attribute of a RetryCallState holding its Retrier


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
    """A tenacity decorator that retries as the rules say; your values cap the rule's.

    ``max_attempts``: retries after the first call, per rule; ``max_delay``: seconds
    between attempts; ``timeout``: seconds for the whole call; ``resign``: called before a
    resign_token retry (may be async for async functions). See ``kling_errors.retry``.
    """
    settings = RetrySettings(
        max_attempts, max_delay, timeout, jitter, rng, resign, retry_unknown,
        retry_transport, logger, engine,
    )  # fmt: skip

    def retrier_of(state: tenacity.RetryCallState) -> Retrier:
        """One Retrier per call: tenacity makes a RetryCallState per call of the function."""
        found = getattr(state, _RETRIER, None)
        if not isinstance(found, Retrier):
            found = settings.retrier()
            setattr(state, _RETRIER, found)
        return found

    def should(state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        error = outcome.exception()
        return error is not None and retrier_of(state).next_wait(error) is not None

    def wait(state: tenacity.RetryCallState) -> float:
        return retrier_of(state).last_wait or 0.0

    def resign_sync(state: tenacity.RetryCallState) -> None:
        retrier_of(state).before_retry()

    async def resign_async(state: tenacity.RetryCallState) -> None:
        await retrier_of(state).abefore_retry()

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        # Giving up is the retry predicate's answer (the rule's limits are per rule, which
        # a stop condition cannot see), so tenacity re-raises the last error itself.
        return tenacity.retry(
            retry=should,
            wait=wait,
            stop=tenacity.stop_never,
            before_sleep=resign_async if inspect.iscoroutinefunction(fn) else resign_sync,
            reraise=True,
        )(fn)

    return decorate
