"""The built-in knowledge: every rule proves itself with its examples, and the official
table is covered completely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kling_errors import CATEGORIES, Engine, Rule, load_rules

BUILTIN = load_rules()
OFFICIAL_CODES = [
    *range(1000, 1005),
    *range(1100, 1104),
    *range(1200, 1204),
    *range(1300, 1305),
    *range(5000, 5003),
]


def _cases(kind: str) -> list[tuple[Rule, int, object]]:
    return [
        pytest.param(rule, n, record, id=f"{rule.id}#{n}")
        for rule in BUILTIN
        for n, record in enumerate(getattr(rule, kind), start=1)
    ]


@pytest.mark.parametrize(("rule", "number", "record"), _cases("examples"))
def test_every_example_is_explained_by_its_own_rule(
    engine: Engine, rule: Rule, number: int, record: object
) -> None:
    diagnosis = engine.classify(record)
    assert diagnosis.outcome == "matched", diagnosis
    assert diagnosis.rule == rule.id
    assert diagnosis.category == rule.category
    assert diagnosis.retryable is rule.retryable


@pytest.mark.parametrize(("rule", "number", "record"), _cases("counter_examples"))
def test_counter_examples_are_not_claimed(
    engine: Engine, rule: Rule, number: int, record: object
) -> None:
    assert engine.classify(record).rule != rule.id


def test_every_builtin_rule_has_examples_and_a_source() -> None:
    for rule in BUILTIN:
        assert rule.examples, f"{rule.id} has no examples"
        assert rule.source.ref.strip(), f"{rule.id} names no source"
        assert rule.category in CATEGORIES


@pytest.mark.parametrize("code", OFFICIAL_CODES)
def test_every_official_service_code_has_a_rule(engine: Engine, code: int) -> None:
    rules = engine.explain(str(code))
    assert rules, f"no rule for official code {code}"
    diagnosis = engine.classify({"body": {"code": code, "message": "x"}})
    assert diagnosis.outcome == "matched"
    assert diagnosis.service_code == code
    assert diagnosis.rule in {r.id for r in rules}


@pytest.mark.parametrize(
    ("code", "category", "retryable"),
    [
        (1000, "auth", False),
        (1003, "auth", True),
        (1004, "auth", True),
        (1101, "quota_billing", False),
        (1102, "quota_billing", False),
        (1103, "permission", False),
        (1201, "invalid_request", False),
        (1202, "invalid_request", False),
        (1203, "not_found", False),
        (1301, "content_policy", False),
        (1302, "rate_limit", True),
        (1303, "concurrency_limit", True),
        (1304, "permission", False),
        (5000, "server_error", True),
        (5001, "server_error", True),
        (5002, "timeout", True),
    ],
)
def test_official_codes_follow_the_taxonomy(
    engine: Engine, code: int, category: str, retryable: bool
) -> None:
    diagnosis = engine.classify({"body": {"code": code}})
    assert (diagnosis.category, diagnosis.retryable) == (category, retryable)


@pytest.mark.parametrize("gateway", ["fal", "piapi", "kie", "replicate"])
def test_each_documented_gateway_has_rules_with_examples(gateway: str) -> None:
    rules = [
        r
        for r in BUILTIN
        if r.id.startswith(f"gateway.{gateway}.")
        or any(c.gateway is not None and gateway in c.gateway for c in r.match)
    ]
    assert rules and all(r.examples for r in rules)


def test_retry_policy_agrees_with_retryable() -> None:
    for rule in BUILTIN:
        if rule.retryable is False:
            assert rule.retry.strategy == "none", rule.id
        if rule.retryable is True:
            assert rule.retry.strategy != "none", rule.id
            assert rule.retry.max_attempts > 0, rule.id


def test_official_codes_keep_their_documented_http_status() -> None:
    # shared/kling-api.md §1: 1202/1203 are 404, 1103 is 403, 1300/1301 are 400, 1304 is 429.
    expected = {1202: 404, 1203: 404, 1103: 403, 1300: 400, 1301: 400, 1304: 429, 1102: 429}
    for code, status in expected.items():
        (rule,) = [
            r
            for r in BUILTIN
            if any(code in (c.service_code or ()) for c in r.match)
            and not any(c.message for c in r.match if c.service_code)
        ]
        assert rule.expected_status == status, rule.id


def test_every_builtin_rule_names_a_source_a_reader_can_open() -> None:
    """A reference like [S1a] alone resolves nowhere a reader can follow: each rule has a URL."""
    for rule in BUILTIN:
        assert rule.source.url and rule.source.url.startswith("https://"), rule.id


def test_every_wording_rule_says_it_inferred_and_carries_examples() -> None:
    for rule in BUILTIN:
        if rule.id.startswith("wording."):
            assert "(inferred from the wording)" in rule.title, rule.id
            assert rule.priority in (-1, -2) and rule.examples, rule.id


def test_every_source_marker_a_rule_cites_is_listed_in_sources_md() -> None:
    listed = (Path(__file__).parent.parent / "rules" / "SOURCES.md").read_text(encoding="utf-8")
    cited = {m for rule in load_rules() for m in re.findall(r"\[S\d[a-z]?\]", rule.source.ref)}
    rows = set(re.findall(r"\[S\d[a-z]?\]", listed))
    ranges = re.findall(r"\[S(\d)([a-z])\]–\[S\d([a-z])\]", listed)
    for digit, first, last in ranges:
        rows.update(f"[S{digit}{chr(c)}]" for c in range(ord(first), ord(last) + 1))
    assert cited and cited <= rows, sorted(cited - rows)
