"""Rule files load completely or fail loudly with file:line — never half-loaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kling_errors import Engine, RuleError, load_rules
from kling_errors._rules import read_rule_file


def problems_of(path: Path) -> list[str]:
    _, problems = read_rule_file(path)
    return [str(p) for p in problems]


def test_valid_user_rule_loads_after_the_builtins(write_rules: Callable[..., Path]) -> None:
    rules = load_rules([write_rules()])
    assert rules.rules[-1].id == "team.rule"
    assert str(rules.rules[-1].origin).endswith("team.yaml:3")


def test_invalid_yaml_names_file_and_line(write_rules: Callable[..., Path]) -> None:
    path = write_rules(text="rules:\n  - id: x\n    title: [unclosed\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:4:") and "invalid YAML" in problem


def test_schema_violation_names_line_and_field(write_rules: Callable[..., Path]) -> None:
    path = write_rules(category="billing")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:5:")
    assert "rules[0].category" in problem and "'billing' is not one of" in problem


def test_unknown_key_is_reported_with_its_name(write_rules: Callable[..., Path]) -> None:
    path = write_rules(match="{http_status: 500, staus: 1}")
    (problem,) = problems_of(path)
    assert "rules[0].match" in problem and "staus" in problem


def test_duplicate_yaml_key_is_an_error(write_rules: Callable[..., Path]) -> None:
    path = write_rules()
    path.write_text(
        path.read_text().replace(
            "    severity: error\n", "    severity: error\n    severity: info\n"
        )
    )
    (problem,) = problems_of(path)
    assert ":7:" in problem and "duplicate key 'severity'" in problem


def test_every_problem_is_reported_not_just_the_first(write_rules: Callable[..., Path]) -> None:
    path = write_rules()
    text = (
        path.read_text()
        .replace("category: server_error", "category: nope")
        .replace("severity: error", "severity: loud")
    )
    path.write_text(text)
    found = problems_of(path)
    assert len(found) == 2 and ":5:" in found[0] and ":6:" in found[1]


def test_invalid_regex_is_reported(write_rules: Callable[..., Path]) -> None:
    path = write_rules(match="{message: 'unclosed(group'}")
    (problem,) = problems_of(path)
    assert "rules[0].match.message" in problem and "invalid regular expression" in problem


def test_template_naming_an_unknown_field_is_reported(write_rules: Callable[..., Path]) -> None:
    path = write_rules()
    path.write_text(path.read_text() + "    remediation: 'retry {{ request_idd }}'\n")
    (problem,) = problems_of(path)
    assert "request_idd" in problem and "not an event field" in problem and ":13" in problem


def test_template_reaching_for_private_attributes_is_refused(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules()
    path.write_text(path.read_text() + '    remediation: "{{ message.__class__.__mro__ }}"\n')
    found = problems_of(path)
    assert any("private attributes are refused" in p for p in found)


def test_retry_policy_contradicting_retryable_is_an_error(write_rules: Callable[..., Path]) -> None:
    path = write_rules()
    path.write_text(
        path.read_text().replace("retry: {strategy: none}", "retry: {strategy: backoff}")
    )
    (problem,) = problems_of(path)
    assert "retryable is false but the retry strategy is 'backoff'" in problem


def test_python_tags_are_refused(write_rules: Callable[..., Path]) -> None:
    path = write_rules(text="rules: !!python/object/apply:os.system ['echo pwned']\n")
    (problem,) = problems_of(path)
    assert "tags" in problem or "python" in problem


def test_alias_bomb_is_refused_quickly(write_rules: Callable[..., Path]) -> None:
    lines = ["a: &a ['x','x','x','x','x','x','x','x','x']"]
    for i in range(1, 9):
        lines.append(
            f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)}]"
        )
    path = write_rules(text="\n".join(lines) + "\n")
    (problem,) = problems_of(path)
    assert "aliases" in problem


def test_duplicate_rule_ids_across_files_fail_the_whole_load(
    write_rules: Callable[..., Path],
) -> None:
    first = write_rules("a.yaml", id="team.same")
    write_rules("b.yaml", id="team.same")
    with pytest.raises(RuleError) as caught:
        load_rules([first.parent], builtin=False)
    assert "duplicate rule id 'team.same'" in str(caught.value)


def test_one_bad_file_means_nothing_loads(write_rules: Callable[..., Path]) -> None:
    good = write_rules("good.yaml", id="team.good")
    write_rules("bad.yaml", id="team.bad", category="wrong")
    with pytest.raises(RuleError) as caught:
        Engine(rule_paths=[good.parent])
    assert [p.path.endswith("bad.yaml") for p in caught.value.problems] == [True]


def test_builtin_rules_show_a_repository_relative_origin() -> None:
    assert all(str(r.origin).startswith("rules/") for r in load_rules())
