"""What the retry-library adapters share: the import with a helpful message, and the
per-call Retrier for libraries whose hooks see only the exception (stamina, backoff).

Such a hook cannot tell one call of the decorated function from another, yet the rules'
limits are per call (1303: ten retries of *this* call). Each call therefore runs inside an
outer wrapper that puts a fresh Retrier in a ContextVar (per thread and per asyncio task,
nested calls restore the outer one); the library's hook reads it, and an inner wrapper
around each attempt runs the ``resign`` hook first when the last failure asked for it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, cast

from .retry import Retrier, RetrySettings

P = ParamSpec("P")
R = TypeVar("R")

_CURRENT: ContextVar[Retrier | None] = ContextVar("kling_errors_retrier", default=None)


def missing(package: str) -> str:
    """The ImportError message of an adapter whose retry library is not installed."""
    return (
        f"kling_errors.{package} needs the {package} package: pip install 'kling-errors[{package}]'"
    )


def current() -> Retrier | None:
    """The Retrier of the call being retried in this thread or task, if any."""
    return _CURRENT.get()


def per_call(
    settings: RetrySettings,
    fn: Callable[P, R],
    retried: Callable[[Callable[P, Any]], Callable[P, Any]],
) -> Callable[P, R]:
    """``fn`` decorated by the library (``retried``), each call with its own Retrier."""
    if inspect.iscoroutinefunction(fn):
        afn = cast(Callable[P, Awaitable[Any]], fn)

        @functools.wraps(fn)
        async def attempt_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            retrier = _CURRENT.get()
            if retrier is not None:
                await retrier.abefore_retry()
            return await afn(*args, **kwargs)

        inner_async = retried(attempt_async)

        @functools.wraps(fn)
        async def call_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            token = _CURRENT.set(settings.retrier())
            try:
                return await inner_async(*args, **kwargs)
            finally:
                _CURRENT.reset(token)

        return cast(Callable[P, R], call_async)

    @functools.wraps(fn)
    def attempt(*args: P.args, **kwargs: P.kwargs) -> R:
        retrier = _CURRENT.get()
        if retrier is not None:
            retrier.before_retry()
        return fn(*args, **kwargs)

    inner = retried(attempt)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _CURRENT.set(settings.retrier())
        try:
            return cast(R, inner(*args, **kwargs))
        finally:
            _CURRENT.reset(token)

    return call
