"""A realistic Kling client four ways: create a task, poll it, fetch the video.

httpx.Client, requests, httpx.AsyncClient and aiohttp, each with the retry decorator it is
given (``kling_errors.tenacity.kling_retry`` and its stamina, backoff and dependency-free
siblings). The glue per call is one decorator and one ``raise_for_error``. tests/test_clients.py
runs it against a fake Kling server and holds it to ``mypy --strict``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import httpx
import requests

from kling_errors import araise_for_error, raise_for_error
from kling_errors.retry import RetryDecorator

CREATE = "/v1/videos/text2video"
RetryFactory = Callable[..., RetryDecorator]


class Tokens:
    """Stands in for signing a JWT with the access key and secret key (Kling's auth)."""

    def __init__(self) -> None:
        self.version = 1
        self.refreshes = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer token-{self.version}"}

    def refresh(self) -> None:
        self.version += 1
        self.refreshes += 1


@dataclass
class Video:
    task_id: str
    url: str
    data: bytes


def _video_url(data: dict[str, Any]) -> str | None:
    """The video URL of a finished task; None while it runs (a failed task raised already)."""
    if data["task_status"] != "succeed":
        return None
    return str(data["task_result"]["videos"][0]["url"])


class HttpxKling:
    def __init__(
        self, base_url: str, tokens: Tokens, retry: RetryFactory, **overrides: Any
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.tokens = tokens
        retried = retry(resign=tokens.refresh, **overrides)
        self.create = retried(self._create)
        self.wait = retried(self._wait)

    def _create(self, prompt: str) -> str:
        body = {"model_name": "kling-v1", "prompt": prompt}
        response = self.http.post(CREATE, json=body, headers=self.tokens.headers())
        return str(raise_for_error(response)["data"]["task_id"])

    def _wait(self, task_id: str) -> str:
        while True:
            response = self.http.get(f"{CREATE}/{task_id}", headers=self.tokens.headers())
            url = _video_url(raise_for_error(response)["data"])
            if url is not None:
                return url
            time.sleep(0.01)

    def fetch(self, url: str) -> bytes:
        with self.http.stream("GET", url) as response:
            raise_for_error(response)  # a download is left unread, to stream here
            return b"".join(response.iter_bytes())

    def generate(self, prompt: str) -> Video:
        task_id = self.create(prompt)
        url = self.wait(task_id)
        return Video(task_id, url, self.fetch(url))

    def close(self) -> None:
        self.http.close()


class RequestsKling:
    def __init__(
        self, base_url: str, tokens: Tokens, retry: RetryFactory, **overrides: Any
    ) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.tokens = tokens
        retried = retry(resign=tokens.refresh, **overrides)
        self.create = retried(self._create)
        self.wait = retried(self._wait)

    def _create(self, prompt: str) -> str:
        body = {"model_name": "kling-v1", "prompt": prompt}
        url = self.base_url + CREATE
        response = self.http.post(url, json=body, headers=self.tokens.headers(), timeout=10)
        return str(raise_for_error(response)["data"]["task_id"])

    def _wait(self, task_id: str) -> str:
        while True:
            url = f"{self.base_url}{CREATE}/{task_id}"
            response = self.http.get(url, headers=self.tokens.headers(), timeout=10)
            video = _video_url(raise_for_error(response)["data"])
            if video is not None:
                return video
            time.sleep(0.01)

    def fetch(self, url: str) -> bytes:
        with self.http.get(url, stream=True, timeout=10) as response:
            raise_for_error(response)
            return b"".join(response.iter_content(8192))

    def generate(self, prompt: str) -> Video:
        task_id = self.create(prompt)
        url = self.wait(task_id)
        return Video(task_id, url, self.fetch(url))

    def close(self) -> None:
        self.http.close()


class AsyncHttpxKling:
    def __init__(
        self, base_url: str, tokens: Tokens, retry: RetryFactory, **overrides: Any
    ) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)
        self.tokens = tokens
        retried = retry(resign=tokens.refresh, **overrides)
        self.create = retried(self._create)
        self.wait = retried(self._wait)

    async def _create(self, prompt: str) -> str:
        body = {"model_name": "kling-v1", "prompt": prompt}
        response = await self.http.post(CREATE, json=body, headers=self.tokens.headers())
        return str((await araise_for_error(response))["data"]["task_id"])

    async def _wait(self, task_id: str) -> str:
        while True:
            response = await self.http.get(f"{CREATE}/{task_id}", headers=self.tokens.headers())
            url = _video_url((await araise_for_error(response))["data"])
            if url is not None:
                return url
            await asyncio.sleep(0.01)

    async def fetch(self, url: str) -> bytes:
        async with self.http.stream("GET", url) as response:
            await araise_for_error(response)
            return b"".join([chunk async for chunk in response.aiter_bytes()])

    async def generate(self, prompt: str) -> Video:
        task_id = await self.create(prompt)
        url = await self.wait(task_id)
        return Video(task_id, url, await self.fetch(url))

    async def __aenter__(self) -> AsyncHttpxKling:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.aclose()


class AiohttpKling:
    """Build inside a running event loop (aiohttp's session wants one)."""

    def __init__(
        self, base_url: str, tokens: Tokens, retry: RetryFactory, **overrides: Any
    ) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self.tokens = tokens
        retried = retry(resign=tokens.refresh, **overrides)
        self.create = retried(self._create)
        self.wait = retried(self._wait)

    async def _create(self, prompt: str) -> str:
        body = {"model_name": "kling-v1", "prompt": prompt}
        url = self.base_url + CREATE
        async with self.http.post(url, json=body, headers=self.tokens.headers()) as response:
            return str((await araise_for_error(response))["data"]["task_id"])

    async def _wait(self, task_id: str) -> str:
        while True:
            url = f"{self.base_url}{CREATE}/{task_id}"
            async with self.http.get(url, headers=self.tokens.headers()) as response:
                video = _video_url((await araise_for_error(response))["data"])
            if video is not None:
                return video
            await asyncio.sleep(0.01)

    async def fetch(self, url: str) -> bytes:
        async with self.http.get(url) as response:
            await araise_for_error(response)
            return await response.read()

    async def generate(self, prompt: str) -> Video:
        task_id = await self.create(prompt)
        url = await self.wait(task_id)
        return Video(task_id, url, await self.fetch(url))

    async def __aenter__(self) -> AiohttpKling:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.close()
