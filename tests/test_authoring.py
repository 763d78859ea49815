"""Authoring commands: validate, test, lint, list, show, new, diff, coverage, classify --why."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import CliRunner

from kling_errors._rules import read_rule_file
from kling_errors.cli import main

from .conftest import REPO, SAMPLE_LOG

TEAM = REPO / "examples" / "team-rules"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_validate_warns_about_yaml_11_booleans(write_rules: Callable[..., Path]) -> None:
    path = write_rules()
    path.write_text(path.read_text().replace("retryable: false", "retryable: no"))
    code, out, err = run("rules", "validate", str(path))
    assert code == 0 and out.startswith("ok:")
    assert f"{path}:10:" in err and "yes/no/on/off" in err and "(warning)" in err


def test_validate_hints_to_quote_a_yes_meant_as_text(write_rules: Callable[..., Path]) -> None:
    path = write_rules()
    path.write_text(path.read_text().replace("title: A team rule", "title: yes"))
    code, _, err = run("rules", "validate", str(path))
    assert code == 3 and f"{path}:4:" in err and "quote it" in err


def test_validate_reports_every_problem_with_a_hint(write_rules: Callable[..., Path]) -> None:
    path = write_rules(match="{http_status: 500, message: '(?<!x)timeout'}")
    second = path.read_text().split("rules:\n", 1)[1].replace("team.rule", "team.other")
    path.write_text(path.read_text().replace("severity: error", "severity: loud") + second)
    code, _, err = run("rules", "validate", str(path))
    assert code == 3
    assert f"{path}:6:" in err and "loud" in err
    assert "no lookarounds or backreferences" in err
    # rule 0's regex is checked although its severity is refused: one run, every problem
    assert err.count("invalid regular expression") == 2
    assert err.count("hint:") >= 1 and "3 problem(s)" in err


def test_a_backreference_is_refused_at_load(write_rules: Callable[..., Path]) -> None:
    _, problems = read_rule_file(write_rules(match="{message: '(a)\\1'}"))
    assert any("RE2" in p.message for p in problems)


def test_lint_flags_rules_without_examples_and_shadowed_and_overlapping(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(
        text="""\
        rules:
          - id: team.no_examples
            title: Never proven
            category: server_error
            severity: error
            match: {http_status: 599}
            causes: [x]
            fixes: [y]
            retryable: null
            retry: {strategy: none}
            source: {kind: inferred, ref: test}
          - id: team.shadowed
            title: Loses to 1303 always
            category: rate_limit
            severity: error
            match: {message: parallel task}
            causes: [x]
            fixes: [y]
            retryable: null
            retry: {strategy: none}
            source: {kind: inferred, ref: test}
            examples: ['{"code": 1303, "message": "parallel task over resource pack limit"}']
          - id: team.twin
            title: Same specificity as http.500
            category: server_error
            severity: error
            priority: -2
            match: {http_status: 500}
            causes: [x]
            fixes: [y]
            retryable: null
            retry: {strategy: none}
            source: {kind: inferred, ref: test}
            examples: [{status: 500, body: ""}]
          - id: team.slow
            title: Slow regex
            category: server_error
            severity: error
            match: {message: '(a+)+c'}
            causes: [x]
            fixes: [y]
            retryable: null
            retry: {strategy: none}
            source: {kind: inferred, ref: test}
            examples: ["aaac"]
        """
    )
    code, out, _ = run("rules", "lint", str(path))
    assert code == 0
    assert f"{path}:2: warning[no-examples]: team.no_examples: has no examples" in out
    assert "warning[never-wins]: team.shadowed: can never win" in out
    assert "another rule wins (kling.concurrency.1303)" in out
    assert (
        "warning[ambiguous-overlap]: team.twin: overlaps http.500 with the same specificity" in out
    )
    assert "warning[nested-quantifier]: team.slow: regex '(a+)+c' nests unbounded repeats" in out
    assert "example-not-matched" not in out
    assert "kling." not in out.split("team.shadowed")[0]  # built-ins are not linted
    code, _, _ = run("rules", "lint", "--strict", str(path))
    assert code == 6


def test_builtin_rules_lint_clean() -> None:
    code, out, _ = run("rules", "lint", "--strict")
    assert code == 0 and out.strip() == "0 warning(s)"


def test_list_and_show_give_origin_and_merged_fields() -> None:
    _, out, _ = run("rules", "list", "--origin", "--rules", str(TEAM))
    line = next(x for x in out.splitlines() if x.startswith("kling.task.failed_unknown"))
    assert "acme-gateway.yaml:" in line and "extends kling.task.failed_unknown" in line
    code, out, _ = run("rules", "show", "kling.task.failed_unknown", "--rules", str(TEAM))
    assert code == 0 and out.startswith(f"# {TEAM / 'acme-gateway.yaml'}:")
    assert "extends kling.task.failed_unknown" in out.splitlines()[0]
    shown = yaml.safe_load(out)
    assert shown["category"] == "generation_failed" and shown["retry"]["max_attempts"] == 2
    code, _, err = run("rules", "show", "no.such")
    assert code == 2 and "hint:" in err


def test_new_scaffolds_a_rule_that_validates_and_passes_its_test(tmp_path: Path) -> None:
    record = tmp_path / "record.log"
    record.write_text(
        '2026-11-25 ERROR HTTP 400 {"code": 1201, "message": "Element id not found: 315187972322559",'
        ' "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJBSyJ9.c2lnbmF0"}\n'
    )
    target = tmp_path / "rules" / "new.yaml"
    target.parent.mkdir()
    code, _, _ = run(
        "rules", "new", "--from", str(record), "--id", "team.element", "-o", str(target)
    )
    assert code == 0
    scaffold = yaml.safe_load(target.read_text())
    (rule,) = scaffold["rules"]
    assert rule["match"] == {
        "service_code": 1201,
        "http_status": 400,
        "message": r"Element id not found: \d+",
    }
    assert rule["category"] == "invalid_request"
    assert "eyJ" not in target.read_text()
    assert run("rules", "validate", str(target))[0] == 0
    code, out, _ = run("rules", "test", str(target))
    assert code == 0 and out.strip() == "1 passed, 0 failed"


def test_new_refuses_a_record_that_is_not_an_error() -> None:
    code, _, err = run(
        "rules", "new", "--from", "-", stdin='{"code": 0, "data": {"task_status": "succeed"}}\n'
    )
    assert code == 4 and "not an error" in err


def test_diff_shows_what_a_rule_set_reclassifies() -> None:
    code, out, _ = run(
        "rules",
        "diff",
        "--corpus",
        str(TEAM / "acme.log"),
        "--rules",
        str(TEAM),
        "--format",
        "json",
    )
    assert code == 0
    result = json.loads(out)
    assert (result["total"], result["changed"]) == (3, 2)
    change, policy = result["transitions"]
    assert (change["old_rule"], change["new_rule"]) == (
        "http.502_503",
        "acme.gateway.upstream_quota",
    )
    assert (change["old_category"], change["new_category"]) == ("server_error", "quota_billing")
    assert change["changes"]["retryable"] == {"old": "yes", "new": "no"}
    assert change["examples"] == [f"{TEAM / 'acme.log'}:1"]
    # the README's second change: only the retry policy of the failed-task rule
    assert policy["old_rule"] == policy["new_rule"] == "kling.task.failed_unknown"
    assert set(policy["changes"]) == {"retry"}
    assert "first wait 30 s" in policy["changes"]["retry"]["new"]
    assert policy["examples"] == [f"{TEAM / 'acme.log'}:3"]


def test_diff_old_side_can_load_its_own_version(write_rules: Callable[..., Path]) -> None:
    old = write_rules(
        "old/r.yaml", id="team.teapot", match="{http_status: 418}", category="server_error"
    )
    new = write_rules(
        "new/r.yaml", id="team.teapot", match="{http_status: 418}", category="timeout"
    )
    log = old.parent.parent / "log.jsonl"
    log.write_text('{"status": 418}\n{"status": 418}\n{"code": 1303}\n')
    _, out, _ = run("rules", "diff", "--corpus", str(log), "--old", str(old), "--rules", str(new))
    assert out.startswith("2 of 3 records change")
    assert "team.teapot  [server_error → timeout]" in out


def test_coverage_counts_rules_and_lists_those_never_reached() -> None:
    code, out, _ = run("rules", "coverage", str(SAMPLE_LOG), "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["total"] == 18
    assert result["rules"]["kling.concurrency.1303"] == 2
    assert "transport.dns" in result["never_reached"]
    assert "kling.concurrency.1303" not in result["never_reached"]


def test_classify_why_names_candidates_and_the_deciding_step() -> None:
    _, out, _ = run(
        "classify",
        "--why",
        "--format",
        "jsonl",
        stdin='{"status": 429, "body": {"code": 1102, "message": "Account balance not enough"}}\n',
    )
    why = json.loads(out)["why"]
    assert [c["rule"] for c in why] == ["kling.account.1102", "wording.quota_billing", "http.429"]
    assert why[0]["won"] and why[0]["conditions"] == ["service_code"]
    assert why[1]["lost_because"] == "lower priority (-1 < 0)"
    assert why[2]["lost_because"] == "lower priority (-2 < 0)"
    _, text, _ = run("classify", "--why", "--format", "text", stdin='{"status": 500, "body": ""}\n')
    assert "why:" in text and "http.500  [WON]" in text


def test_pre_commit_hooks_call_real_commands() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        args = [*hook["entry"].split()[1:], "--help"]
        assert run(*args)[0] == 0, hook["id"]


def test_readme_worked_example_runs() -> None:
    assert run("rules", "validate", str(TEAM))[0] == 0
    assert run("rules", "test", str(TEAM))[1].strip() == "3 passed, 0 failed"
    _, out, _ = run("classify", "--rules", str(TEAM), str(TEAM / "acme.log"), "--format", "jsonl")
    assert [json.loads(x)["rule"] for x in out.splitlines()] == [
        "acme.gateway.upstream_quota",
        "http.502_503",
        "kling.task.failed_unknown",
    ]
