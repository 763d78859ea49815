from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kling_errors import Engine

# The rule cache of the tests lives in a temporary directory, not the user's cache.
os.environ.setdefault("KLING_ERRORS_CACHE_DIR", tempfile.mkdtemp(prefix="kling-errors-cache-"))

# `make test` runs a small, fixed-seed sample; `make fuzz` the long run.
settings.register_profile(
    "ci", max_examples=150, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100000")), deadline=None,
    suppress_health_check=list(HealthCheck),
)  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SAMPLE_LOG = REPO / "examples" / "sample.log"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


RULE_TEMPLATE = """\
version: 1
rules:
  - id: {id}
    title: A team rule
    category: {category}
    severity: error
    match: {match}
    causes: [something]
    fixes: [do something]
    retryable: false
    retry: {{strategy: none}}
    source: {{kind: observed_log, ref: our logs}}
"""


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[..., Path]:
    """Write a rule file into tmp_path; `text` wins over the one-rule template."""

    def write(
        name: str = "team.yaml",
        text: str | None = None,
        *,
        id: str = "team.rule",
        category: str = "server_error",
        match: str = "{http_status: 500}",
    ) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = (
            textwrap.dedent(text)
            if text is not None
            else RULE_TEMPLATE.format(id=id, category=category, match=match)
        )
        path.write_text(body, encoding="utf-8")
        return path

    return write
