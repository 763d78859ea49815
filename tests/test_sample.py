"""The sample log shipped in examples/ gives the answers the README promises a new user."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kling_errors.cli import main

from .conftest import SAMPLE_LOG

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
