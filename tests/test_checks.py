"""Rule-file checks (errors: the file does not load) and lint checks (warnings), one at a
time: for each, the smallest rule that trips it and one that does not."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kling_errors import Engine, RuleError, load_rules
from kling_errors._lint import LINT_CHECKS, lint
from kling_errors._rule_checks import RULE_FILE_CHECKS
from kling_errors._rules import read_rule_file

# --- rule-file checks -------------------------------------------------------------------

# check id -> (what to change in conftest's one-rule template, a message the author sees)
RULE_FILE_TRIPS: dict[str, tuple[dict[str, str], str]] = {
    "regex-compiles": (
        {"match: {http_status: 500}": "match: {message: 'unclosed(group'}"},
        "rules[0].match.message: invalid regular expression",
    ),
    "template-safe": (
        {
            "fixes: [do something]": "fixes: [do something]\n    remediation: 'see {{ request_idd }}'"
        },
        "remediation: rule 'team.rule': template uses 'request_idd', which is not an event field",
    ),
    "retry-finite": (
        {"retry: {strategy: none}": "retry: {strategy: none, max_delay: .inf}"},
        "rules[0].retry.max_delay: inf is not a number of seconds or attempts",
    ),
    "retry-coherent": (
        {"retry: {strategy: none}": "retry: {strategy: backoff}"},
        "rules[0].retry.strategy: retryable is false but the retry strategy is 'backoff'",
    ),
}

# check id -> the same rule written so that it passes that check
RULE_FILE_PASSES: dict[str, dict[str, str]] = {
    "regex-compiles": {"match: {http_status: 500}": "match: {message: 'closed (group)'}"},
    "template-safe": {
        "fixes: [do something]": "fixes: [do something]\n    remediation: 'see {{ request_id }}'"
    },
    "retry-finite": {"retry: {strategy: none}": "retry: {strategy: none, max_delay: 60}"},
    "retry-coherent": {
        "retryable: false": "retryable: true",
        "retry: {strategy: none}": "retry: {strategy: backoff, initial_delay: 1}",
    },
}


def edited(path: Path, edits: dict[str, str]) -> Path:
    text = path.read_text()
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return path


def test_every_rule_file_check_is_tested_here() -> None:
    ids = [check.id for check in RULE_FILE_CHECKS]
    assert len(set(ids)) == len(ids)
    assert set(ids) == set(RULE_FILE_TRIPS) == set(RULE_FILE_PASSES)
    assert all(check.severity == "error" and check.description for check in RULE_FILE_CHECKS)


@pytest.mark.parametrize("check_id", sorted(RULE_FILE_TRIPS))
def test_rule_file_check_trips_and_the_file_does_not_load(
    check_id: str, write_rules: Callable[..., Path]
) -> None:
    edits, expected = RULE_FILE_TRIPS[check_id]
    path = edited(write_rules(), edits)
    _, problems = read_rule_file(path)
    (problem,) = problems  # exactly this check's problem, nothing else
    assert expected in str(problem) and str(problem).startswith(f"{path}:")
    with pytest.raises(RuleError):
        load_rules([path], builtin=False)


@pytest.mark.parametrize("check_id", sorted(RULE_FILE_PASSES))
def test_rule_file_check_passes_a_sound_rule(
    check_id: str, write_rules: Callable[..., Path]
) -> None:
    path = edited(write_rules(), RULE_FILE_PASSES[check_id])
    _, problems = read_rule_file(path)
    assert problems == []
    assert [r.id for r in load_rules([path], builtin=False)] == ["team.rule"]


def test_an_invalid_header_regex_is_reported_at_its_header(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(match="{headers: {x-reason: '(?<=a)b'}}")
    (problem,) = read_rule_file(path)[1]
    assert "rules[0].match.headers.x-reason: invalid regular expression" in str(problem)


def test_true_retryable_without_a_strategy_is_refused(write_rules: Callable[..., Path]) -> None:
    path = edited(write_rules(), {"retryable: false": "retryable: true"})
    (problem,) = read_rule_file(path)[1]
    assert "retryable is true but the retry strategy is 'none'" in str(problem)
    assert problem.hint.startswith("name how to retry")


# --- lint checks ------------------------------------------------------------------------


def rule(
    rule_id: str,
    match: str,
    examples: str | None = None,
    *,
    category: str = "server_error",
) -> str:
    """One rule as YAML (an item of `rules:`), as small as the schema allows."""
    text = textwrap.dedent(
        f"""\
        - id: {rule_id}
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
    )
    if examples is not None:
        text += f"  examples: {examples}\n"
    return text


def engine_of(tmp_path: Path, *rules: str, builtin: bool = False) -> Engine:
    """The given rules, loaded from a file like a user's (alone, or over the built-ins)."""
    path = tmp_path / "team.yaml"
    path.write_text("version: 1\nrules:\n" + textwrap.indent("".join(rules), "  "))
    return Engine(rule_paths=[path], builtin=builtin)


# Checks about a team's rules against the built-in ones: linted over the built-in rules
# (which lint clean themselves).
OVER_BUILTIN = {"takes-from-builtin"}


def lines(engine: Engine, disabled: frozenset[str] = frozenset()) -> list[str]:
    return [str(finding) for finding in lint(engine, disabled=disabled)]


# check id -> rules that trip it (and no other check), the rule it names, words it says
LINT_TRIPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "no-examples": (
        (rule("team.r", "{http_status: 500}"),),
        "team.r",
        "has no examples: nothing proves it matches",
    ),
    "example-not-matched": (
        (
            rule(
                "team.r",
                "{http_status: 500, message: boom}",
                "[{status: 500, body: {message: bang}}]",
            ),
        ),
        "team.r",
        "its own conditions do not match example 1: message regex 'boom' does not match",
    ),
    "never-wins": (
        (
            rule("team.general", "{http_status: 500}", "[{status: 500, body: {message: boom}}]"),
            rule(
                "team.specific",
                "{http_status: 500, message: boom}",
                "[{status: 500, body: {message: boom}}]",
            ),
        ),
        "team.general",
        "can never win: for every one of its examples another rule wins (team.specific)",
    ),
    "ambiguous-overlap": (
        (
            rule(
                "team.first",
                "[{http_status: 500}, {http_status: 502}]",
                "[{status: 500}, {status: 502}]",
            ),
            rule("team.second", "{http_status: 500}", "[{status: 500}]", category="timeout"),
        ),
        "team.first",
        "overlaps team.second with the same specificity: only load order decides",
    ),
    "nested-quantifier": (
        (rule("team.r", "{message: '(a+)+c'}", "[aaac]"),),
        "team.r",
        "regex '(a+)+c' nests unbounded repeats",
    ),
    "takes-from-builtin": (
        (
            rule(
                "team.upstream",
                "{http_status: 502, message: 'upstream said no'}",
                "[{status: 502, body: {message: 'upstream said no'}}]",
                category="quota_billing",
            ),
        ),
        "team.upstream",
        "wins examples the built-in http.502_503 also matches and answers them differently"
        " (server_error, retryable true -> quota_billing, retryable false)",
    ),
}

# check id -> the same situation put right: the rules lint clean
LINT_PASSES: dict[str, tuple[str, ...]] = {
    "no-examples": (rule("team.r", "{http_status: 500}", "[{status: 500}]"),),
    "example-not-matched": (
        rule(
            "team.r", "{http_status: 500, message: boom}", "[{status: 500, body: {message: boom}}]"
        ),
    ),
    "never-wins": (
        rule(
            "team.general",
            "{http_status: 500}",
            "[{status: 500, body: {message: boom}}, {status: 500}]",
        ),
        rule(
            "team.specific",
            "{http_status: 500, message: boom}",
            "[{status: 500, body: {message: boom}}]",
        ),
    ),
    "ambiguous-overlap": (  # the same tie, but both rules give the same answer
        rule(
            "team.first",
            "[{http_status: 500}, {http_status: 502}]",
            "[{status: 500}, {status: 502}]",
        ),
        rule("team.second", "{http_status: 500}", "[{status: 500}]"),
    ),
    "nested-quantifier": (rule("team.r", "{message: 'a+c'}", "[aaac]"),),
    "takes-from-builtin": (rule("team.teapot", "{http_status: 418}", "[{status: 418}]"),),
}


def test_every_lint_check_is_tested_here() -> None:
    ids = [check.id for check in LINT_CHECKS]
    assert len(set(ids)) == len(ids)
    assert set(ids) == set(LINT_TRIPS) == set(LINT_PASSES)
    assert all(check.severity == "warning" and check.description for check in LINT_CHECKS)


@pytest.mark.parametrize("check_id", sorted(LINT_TRIPS))
def test_lint_check_trips_naming_its_id_and_the_rule(check_id: str, tmp_path: Path) -> None:
    rules, rule_id, words = LINT_TRIPS[check_id]
    found = lines(engine_of(tmp_path, *rules, builtin=check_id in OVER_BUILTIN))
    assert found, f"{check_id} found nothing"
    assert all(f": warning[{check_id}]: " in line for line in found), found
    mine = [line for line in found if f": warning[{check_id}]: {rule_id}: " in line]
    assert any(words in line for line in mine), found
    assert mine[0].startswith(f"{tmp_path / 'team.yaml'}:")


@pytest.mark.parametrize("check_id", sorted(LINT_PASSES))
def test_lint_check_is_quiet_on_a_sound_rule(check_id: str, tmp_path: Path) -> None:
    engine = engine_of(tmp_path, *LINT_PASSES[check_id], builtin=check_id in OVER_BUILTIN)
    assert lines(engine) == []


def test_a_tie_is_reported_from_both_sides(tmp_path: Path) -> None:
    rules, _, _ = LINT_TRIPS["ambiguous-overlap"]
    found = lines(engine_of(tmp_path, *rules))
    assert [line.split(": ", 1)[1] for line in found] == [
        "warning[ambiguous-overlap]: team.first: overlaps team.second with the same "
        "specificity: only load order decides; add a condition or a priority",
        "warning[ambiguous-overlap]: team.second: overlaps team.first with the same "
        "specificity: only load order decides; add a condition or a priority",
    ]


def test_an_unmatched_example_names_the_failing_status(tmp_path: Path) -> None:
    (line,) = lines(engine_of(tmp_path, rule("team.r", "{http_status: 500}", "[{status: 502}]")))
    assert line.endswith(
        "warning[example-not-matched]: team.r: its own conditions do not match example 1: "
        "http_status does not hold (the example's is 502)"
    )


def test_an_unmatched_example_another_rule_wins_is_not_called_never_winning(
    tmp_path: Path,
) -> None:
    """It used to read "can never win: another rule wins"; the rule itself is at fault."""
    found = lines(
        engine_of(
            tmp_path,
            rule("team.r", "{http_status: 500}", "[{status: 500}, {status: 502}]"),
            rule("team.other", "{http_status: 502}", "[{status: 502}]"),
        )
    )
    assert len(found) == 1 and "warning[example-not-matched]: team.r:" in found[0]
    assert "example 2" in found[0] and "can never win" not in found[0]


def test_an_example_read_as_no_error_says_so(tmp_path: Path) -> None:
    record = "[{code: 0, data: {task_status: succeed}}]"
    (line,) = lines(engine_of(tmp_path, rule("team.r", "{task_status: succeed}", record)))
    assert "warning[example-not-matched]: team.r:" in line and "read as not an error" in line


def test_a_rule_matching_only_some_examples_and_losing_the_rest_never_wins(
    tmp_path: Path,
) -> None:
    general, specific = LINT_TRIPS["never-wins"][0]
    general = general.replace("[{status: 500", "[{status: 502}, {status: 500")
    found = lines(engine_of(tmp_path, general, specific))
    assert [line.split(": ", 2)[1] for line in found] == [
        "warning[example-not-matched]",
        "warning[never-wins]",
    ]
    assert "for every one of the examples it matches another rule wins (team.specific)" in found[1]


def test_disabling_a_lint_check_drops_only_its_findings(tmp_path: Path) -> None:
    engine = engine_of(
        tmp_path,
        rule("team.unproven", "{http_status: 500}"),
        rule("team.slow", "{message: '(a+)+c'}", "[aaac]"),
    )
    assert {line.split(": ", 2)[1] for line in lines(engine)} == {
        "warning[no-examples]",
        "warning[nested-quantifier]",
    }
    kept = lines(engine, disabled=frozenset({"no-examples"}))
    assert len(kept) == 1 and "warning[nested-quantifier]: team.slow:" in kept[0]
    every = frozenset(check.id for check in LINT_CHECKS)
    assert lines(engine, disabled=every) == []


def test_an_unknown_lint_check_id_is_refused_naming_the_known_ones(engine: Engine) -> None:
    with pytest.raises(ValueError, match="no-such-check") as refused:
        lint(engine, disabled={"no-such-check"})
    assert all(check.id in str(refused.value) for check in LINT_CHECKS)


def test_builtin_rules_match_all_their_own_examples(engine: Engine) -> None:
    found = [f for f in lint(engine) if f.check_id == "example-not-matched"]
    assert found == []


def test_rules_lint_disable_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kling_errors.cli import main

    path = tmp_path / "team.yaml"
    path.write_text(
        "version: 1\nrules:\n" + textwrap.indent(rule("team.unproven", "{http_status: 500}"), "  ")
    )
    base = ["rules", "lint", "--no-config", "--strict", str(path)]
    warned = CliRunner().invoke(main, base)
    assert warned.exit_code == 6 and "warning[no-examples]: team.unproven" in warned.output
    quiet = CliRunner().invoke(main, [*base, "--disable", "no-examples"])
    assert quiet.exit_code == 0 and "0 warning(s)" in quiet.output
    refused = CliRunner().invoke(main, [*base, "--disable", "no-such-check"])
    assert refused.exit_code == 2 and "known checks: no-examples" in refused.output
