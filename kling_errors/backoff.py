"""``kling_retry`` for backoff: ``backoff.on_exception`` driven by the rules.

    from kling_errors.backoff import kling_retry

    @kling_retry(resign=tokens.refresh)
    def create_task(prompt: str) -> str: ...

Retries only the retryable KlingAPIErrors, with each rule's wait and limits (backoff's own
jitter is off: the waits are the rules'); calls ``resign`` before retrying 1003/1004.
backoff's own log lines are off: pass ``logger=`` for one line per retry with the error's
``log_fields()``. Options and decisions: ``kling_errors.retry``. Needs
``pip install 'kling-errors[backoff]'``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Generator
from typing import Any, ParamSpec, TypeVar

from ._adapters import current, missing, per_call
from ._engine import Engine
from .retry import Jitter, Resign, RetryDecorator, RetrySettings

try:
    import backoff
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(missing("backoff")) from exc

__all__ = ["kling_retry"]

P = ParamSpec("P")
R = TypeVar("R")


def _give_up(exc: Exception) -> bool:
    """backoff's `giveup`: decides the retry (and its wait) once per failure."""
    retrier = current()
    return retrier is None or retrier.next_wait(exc) is None


def _waits() -> Generator[float, Any, None]:
    """backoff's wait generator: the wait `_give_up` just decided for this call."""
    wait = 0.0
    while True:
        yield wait  # backoff sends the exception in; the decision is already made
        retrier = current()
        wait = (retrier.last_wait if retrier is not None else None) or 0.0


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
    """A backoff decorator that retries as the rules say; your values cap the rule's.

    Same options as ``kling_errors.tenacity.kling_retry``.
    """
    settings = RetrySettings(
        max_attempts, max_delay, timeout, jitter, rng, resign, retry_unknown,
        retry_transport, logger, engine,
    )  # fmt: skip
    retried = backoff.on_exception(
        _waits, Exception, giveup=_give_up, jitter=None, logger=None, raise_on_giveup=True
    )

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        return per_call(settings, fn, retried)

    return decorate
