"""The sample log shipped in examples/ gives the answers the README promises a new user."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kling_errors.cli import main

from .conftest import REPO, SAMPLE_LOG

DATA = REPO / "tests" / "data"

EXPECTED = [
    ("not_an_error", None),
    ("matched", "kling.concurrency.1303"),
    ("matched", "kling.account.1102"),
    ("matched", "kling.auth.1004"),
    ("matched", "kling.request.1202"),
    ("matched", "kling.task.invalid_image"),
    ("matched", "kling.task.risk_control"),
    ("not_an_error", None),
    ("matched", "kling.request.1201.file_fetch"),
    ("matched", "transport.connect_timeout"),
    ("matched", "kling.auth.1003"),
    ("matched", "transport.cloudflare_tls"),
    ("matched", "gateway.fal.content_policy"),
    ("matched", "http.429"),
    ("matched", "kling.server.5001"),
    ("matched", "kling.concurrency.1303"),
    ("unmatched", None),
    ("unreadable", None),
]


def test_sample_log_is_classified_correctly() -> None:
    result = CliRunner().invoke(main, ["classify", str(SAMPLE_LOG), "--format", "jsonl"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["outcome"], r["rule"]) for r in rows] == EXPECTED
    assert "eyJ" not in result.stdout  # the sample carries a JWT in a header


# Logs shaped like production ones (bench/make_realistic.py, seeds 11 and 12), and what
# classify wrote for them before the performance rework of issue 15 (commit f1d8ac0).
# Regenerate an .expected.jsonl only for an intended change of output, and say why:
#   kling-errors classify - --no-config --format jsonl < LOG > LOG.expected.jsonl
REALISTIC = ["realistic-mixed.jsonl", "realistic-text.log"]


@pytest.mark.parametrize("name", REALISTIC)
def test_realistic_logs_keep_their_expected_output(name: str) -> None:
    log = DATA / name
    result = CliRunner().invoke(
        main, ["classify", "-", "--no-config", "--format", "jsonl"], input=log.read_bytes()
    )
    expected = (DATA / f"{name}.expected.jsonl").read_text(encoding="utf-8").splitlines()
    got = result.stdout.splitlines()
    assert len(got) == len(expected), result.stderr
    for line, (ours, theirs) in enumerate(zip(got, expected, strict=True), 1):
        assert ours == theirs, f"{name}: record {line} differs"
