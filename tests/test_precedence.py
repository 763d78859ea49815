"""Which rule wins: the documented order in kling_errors/_match.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kling_errors import Engine


def test_429_with_1102_is_billing_not_rate_limit(engine: Engine) -> None:
    d = engine.classify(
        {"status": 429, "body": {"code": 1102, "message": "Account balance not enough"}}
    )
    assert (d.rule, d.category, d.retryable) == ("kling.account.1102", "quota_billing", False)
    assert d.retry is not None and d.retry.delay_seconds is None


def test_404_with_1202_is_a_bad_method_not_a_missing_resource(engine: Engine) -> None:
    d = engine.classify({"status": 404, "body": {"code": 1202}})
    assert (d.rule, d.category) == ("kling.request.1202", "invalid_request")


def test_body_code_beats_a_200_on_the_wire(engine: Engine) -> None:
    d = engine.classify(
        {"status": 200, "body": {"code": 1303, "message": "parallel task over resource pack limit"}}
    )
    assert d.category == "concurrency_limit"
    assert d.http_status == 200


def test_service_code_beats_a_contradicting_message(engine: Engine) -> None:
    d = engine.classify({"code": 1004, "message": "Authorization未到有效时间"})
    assert d.rule == "kling.auth.1004"


def test_more_conditions_beat_fewer(engine: Engine) -> None:
    d = engine.classify(
        {"status": 400, "body": {"code": 1201, "message": "File is not in a valid base64 format"}}
    )
    assert d.rule == "kling.request.1201.base64_prefix"
    generic = engine.classify({"status": 400, "body": {"code": 1201, "message": "bad duration"}})
    assert generic.rule == "kling.request.1201"


def test_http_status_alone_is_ambiguous_for_429(engine: Engine) -> None:
    d = engine.classify(
        "Client error '429 Too Many Requests' for url 'https://api-singapore.klingai.com/v1/x'"
    )
    assert d.rule == "http.429"
    assert d.retryable is None


def test_catch_all_transport_rules_lose_to_specific_ones(engine: Engine) -> None:
    refused = engine.classify(
        "requests.exceptions.ConnectionError: Max retries exceeded (Caused by "
        "NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))"
    )
    assert refused.rule == "transport.connection_refused"
    tls = engine.classify("ssl.SSLError: The handshake operation timed out")
    assert tls.rule == "transport.tls"


def test_explicit_priority_overrides_specificity(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(id="team.any_429", match="{http_status: 429}", category="rate_limit")
    text = path.read_text().replace("    severity: error", "    severity: error\n    priority: 10")
    path.write_text(text)
    engine = Engine(rule_paths=[path])
    assert engine.classify({"status": 429, "body": {"code": 1102}}).rule == "team.any_429"


def _at_priority(path: Path, priority: int) -> Path:
    text = path.read_text().replace(
        "    severity: error", f"    severity: error\n    priority: {priority}"
    )
    path.write_text(text)
    return path


def test_a_bare_status_loses_to_any_wording(engine: Engine) -> None:
    """The body's or message's evidence beats a generic status (http.* rules are at -2)."""
    d = engine.classify(
        {"status": 500, "body": {"error": "Kling AI account has insufficient credits"}}
    )
    assert (d.category, d.retryable) == ("quota_billing", False)


def test_a_tie_goes_to_the_rule_loaded_later(write_rules: Callable[..., Path]) -> None:
    path = _at_priority(write_rules(id="team.http_500", match="{http_status: 500}"), -2)
    engine = Engine(rule_paths=[path])
    assert engine.classify({"status": 500, "body": ""}).rule == "team.http_500"


def test_exact_status_beats_a_status_class(write_rules: Callable[..., Path]) -> None:
    path = _at_priority(write_rules(id="team.any_5xx", match="{http_status: 5xx}"), -2)
    engine = Engine(rule_paths=[path])
    assert engine.classify({"status": 500, "body": ""}).rule == "http.500"
    assert engine.classify({"status": 507, "body": ""}).rule == "team.any_5xx"


def test_candidates_list_every_match_best_first(engine: Engine) -> None:
    found = engine.candidates(
        {"status": 429, "body": {"code": 1102, "message": "Account balance not enough"}}
    )
    ids = [c.rule.id for c in found]
    assert ids[0] == "kling.account.1102"
    assert "http.429" in ids
    assert found[0].rank > found[-1].rank


def test_a_message_rule_above_a_code_still_wins_over_the_code(
    write_rules: Callable[..., Path],
) -> None:
    """The message regexes are skipped only when no message rule could outrank the winner:
    a team's message rule at priority 1 beats the official code's rule, at 0 it loses."""
    record = {"status": 429, "body": {"code": 1102, "message": "Account balance not enough"}}
    team = write_rules(id="team.balance", match="{message: 'balance not enough'}")
    assert Engine(rule_paths=[team]).classify(record).rule == "kling.account.1102"
    assert Engine(rule_paths=[_at_priority(team, 1)]).classify(record).rule == "team.balance"


def test_equal_condition_sets_of_one_rule_go_to_the_first_listed(
    write_rules: Callable[..., Path],
) -> None:
    """Two alternatives of one rule that both hold with the same rank: the first listed is
    the one `--why` shows, whichever index found it first."""
    team = write_rules(id="team.either", match="[{message: 'quota gone'}, {task_status: [failed]}]")
    record = {"task_status": "failed", "task_status_msg": "quota gone"}
    best = Engine(rule_paths=[team]).candidates(record)[0]
    assert (best.rule.id, best.alternative, best.conditions) == ("team.either", 0, ("message",))
