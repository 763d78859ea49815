"""``kling_retry`` for stamina: ``stamina.retry`` driven by the rules.

    from kling_errors.stamina import kling_retry

    @kling_retry(resign=tokens.refresh)
    def create_task(prompt: str) -> str: ...

Retries only the retryable KlingAPIErrors, with each rule's wait (as stamina's custom
backoff) and limits; calls ``resign`` before retrying 1003/1004. stamina's instrumentation
(logging, structlog, Prometheus) and its testing mode (``stamina.set_testing``: no waits)
apply as usual. Options and decisions: ``kling_errors.retry``. Needs
``pip install 'kling-errors[stamina]'``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from ._adapters import current, missing, per_call
from ._engine import Engine
from .retry import Jitter, Resign, RetryDecorator, RetrySettings

try:
    import stamina
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(missing("stamina")) from exc

__all__ = ["kling_retry"]

P = ParamSpec("P")
R = TypeVar("R")


def _backoff_hook(exc: Exception) -> bool | float:
    """stamina's `on`: False to give up, else the seconds to wait (a custom backoff)."""
    retrier = current()
    wait = retrier.next_wait(exc) if retrier is not None else None
    return False if wait is None else wait


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
    """A stamina decorator that retries as the rules say; your values cap the rule's.

    Same options as ``kling_errors.tenacity.kling_retry``; the limits are the rules' (and
    yours), not stamina's defaults of 10 attempts and 45 s.
    """
    settings = RetrySettings(
        max_attempts, max_delay, timeout, jitter, rng, resign, retry_unknown,
        retry_transport, logger, engine,
    )  # fmt: skip
    retried = stamina.retry(on=_backoff_hook, attempts=None, timeout=None)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        return per_call(settings, fn, retried)

    return decorate
