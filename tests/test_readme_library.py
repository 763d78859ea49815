"""The README's "Library" section is code that runs and type-checks.

Its Python blocks, in order, make one module (after a prelude giving the names the README
says are yours: ``KLING``, ``tokens``, ``log``). ``mypy --strict`` must pass on it and on the
realistic client (tests/typed/kling_client.py); the module then runs against the fake Kling
server, and the functions it defines are called through the scenarios the README promises.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from kling_errors import ContentPolicyError, QuotaError

from .conftest import REPO
from .fake_kling import CONCURRENCY_1303, QUOTA_1102, RISK_CONTROL, Answer, FakeKling

PRELUDE = """\
from __future__ import annotations

import logging

KLING = "https://api-singapore.klingai.com"


class Tokens:
    def __init__(self) -> None:
        self.version = 1
        self.refreshes = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer token-{self.version}"}

    def refresh(self) -> None:
        self.version += 1
        self.refreshes += 1


tokens = Tokens()
log = logging.getLogger("readme")
"""


def library_code() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Library\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) >= 4, "the Library section lost its examples"
    return PRELUDE + "\n\n" + "\n\n".join(textwrap.dedent(block) for block in blocks)


def test_the_tenacity_example_is_five_lines_of_glue_at_most() -> None:
    section = library_code()
    start = section.index("@kling_retry(resign=tokens.refresh)")
    example = section[start:].split("\n\n", 1)[0].splitlines()
    assert len(example) <= 5 and example[-1].lstrip().startswith("return")


def test_the_examples_and_the_client_pass_mypy_strict(tmp_path: Path) -> None:
    module = tmp_path / "readme_library.py"
    module.write_text(library_code(), encoding="utf-8")
    client = REPO / "tests" / "typed" / "kling_client.py"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.11",
         "--cache-dir", str(tmp_path / "cache"), str(module), str(client)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def server() -> Iterator[FakeKling]:
    fake = FakeKling().start()
    yield fake
    fake.stop()


@pytest.fixture
def readme(server: FakeKling, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The README's examples, run: their asserts hold, their functions are defined."""
    monkeypatch.chdir(REPO)  # the examples load examples/team-rules/
    server.reset()
    namespace: dict[str, Any] = {"__name__": "readme_library"}
    exec(compile(library_code(), "README.md", "exec"), namespace)
    namespace["KLING"] = server.url
    return namespace


def test_create_task_returns_the_task_id_or_the_typed_error(
    readme: dict[str, Any], server: FakeKling, caplog: pytest.LogCaptureFixture
) -> None:
    with httpx.Client(base_url=server.url) as client:
        assert readme["create_task"](client, "a cat").startswith("task-")
        server.create = [QUOTA_1102]
        with pytest.raises(QuotaError):
            readme["create_task"](client, "a cat")
    assert caplog.records[-1].kling_service_code == 1102  # type: ignore[attr-defined]


def test_the_tenacity_example_waits_out_1303_and_re_signs_on_1004(
    readme: dict[str, Any], server: FakeKling
) -> None:
    busy = Answer(CONCURRENCY_1303.status, CONCURRENCY_1303.body, {"Retry-After": "0"})
    server.create = [busy, busy]
    assert readme["create"]("a cat").startswith("task-")
    server.expired = {"token-1"}
    assert readme["create"]("a cat").startswith("task-")
    assert readme["tokens"].refreshes == 1
    assert server.count("POST", "/v1/videos/text2video") == 5
    server.create = [QUOTA_1102, busy]
    with pytest.raises(QuotaError):
        readme["create"]("a cat")
    assert server.count("POST", "/v1/videos/text2video") == 6


def test_the_aiohttp_example_raises_the_risk_control_failure(
    readme: dict[str, Any], server: FakeKling
) -> None:
    async def run() -> tuple[Any, BaseException]:
        async with aiohttp.ClientSession() as session:
            data = await readme["task_data"](session, "task-1")
            server.poll = [RISK_CONTROL]
            try:
                await readme["task_data"](session, "task-1")
            except ContentPolicyError as err:
                return data, err
        raise AssertionError("no error")

    data, err = asyncio.run(run())
    assert data["task_status"] == "processing" and err.__class__ is ContentPolicyError
    assert server.count("GET", "/v1/videos/text2video/") == 2  # a failed task: no retry


def test_the_hand_written_loop_follows_the_same_policy(
    readme: dict[str, Any], server: FakeKling
) -> None:
    busy = Answer(CONCURRENCY_1303.status, CONCURRENCY_1303.body, {"Retry-After": "0"})
    server.create = [busy]
    assert readme["create_with_loop"]("a cat").startswith("task-")
    server.create = [QUOTA_1102]
    with pytest.raises(QuotaError):
        readme["create_with_loop"]("a cat")
