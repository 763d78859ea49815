"""User rule sets: override by id, disable, extends, and where the sets come from."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kling_errors import Engine, RuleError, load_rules
from kling_errors._config import RuleSets, find_config


def test_a_later_set_replaces_a_rule_with_the_same_id(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        id="kling.concurrency.1303", match="{service_code: 1303}", category="rate_limit"
    )
    rules = load_rules([path])
    rule = rules.get("kling.concurrency.1303")
    assert rule is not None and rule.category == "rate_limit" and rule.rule_set == str(path)
    assert len(rules) == len(load_rules())  # replaced, not added
    assert Engine(rules).classify({"code": 1303}).category == "rate_limit"


def test_disable_switches_off_an_earlier_rule(write_rules: Callable[..., Path]) -> None:
    path = write_rules(text="version: 1\ndisable: [kling.concurrency.1303]\n")
    engine = Engine(rule_paths=[path])
    assert engine.rules.get("kling.concurrency.1303") is None
    assert engine.classify({"status": 429, "body": {"code": 1303}}).rule == "http.429"


def test_disable_of_an_unknown_rule_is_an_error(write_rules: Callable[..., Path]) -> None:
    path = write_rules(text="version: 1\ndisable: [no.such.rule]\n")
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert f"{path}:2:" in str(caught.value.problems[0]) and "no.such.rule" in str(caught.value)


def test_extends_inherits_fields_and_changes_some(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        text="""\
        version: 1
        rules:
          - id: team.slow_1303
            extends: kling.concurrency.1303
            retry: {strategy: wait_for_capacity, initial_delay: 30, max_attempts: 3}
            priority: 5
        """
    )
    rules = load_rules([path])
    child, base = rules.get("team.slow_1303"), rules.get("kling.concurrency.1303")
    assert child is not None and base is not None
    assert child.extends == "kling.concurrency.1303"
    assert (child.category, child.causes, child.match) == (base.category, base.causes, base.match)
    assert child.retry.initial_delay == 30 and child.examples == ()
    assert Engine(rules).classify({"code": 1303}).rule == "team.slow_1303"


def test_extends_of_a_rule_not_loaded_before_is_an_error(write_rules: Callable[..., Path]) -> None:
    path = write_rules(text="rules:\n  - id: team.x\n    extends: team.later\n")
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert "team.later" in str(caught.value) and f"{path}:3:" in str(caught.value)


def test_an_extending_rule_is_still_checked(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        text="rules:\n  - id: team.x\n    extends: kling.account.1102\n    retry: {strategy: backoff}\n"
    )
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert "retryable is false but the retry strategy is 'backoff'" in str(caught.value)


def test_sets_load_in_order_config_env_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_rules: Callable[..., Path]
) -> None:
    from_config = write_rules("conf/a.yaml", id="team.same", category="server_error")
    from_env = write_rules("env/b.yaml", id="team.same", category="timeout")
    from_cli = write_rules("cli/c.yaml", id="team.same", category="network")
    (tmp_path / "kling-errors.yaml").write_text("rules: [conf]\n")
    project = tmp_path / "src" / "deep"
    project.mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("KLING_ERRORS_RULES", str(from_env.parent))
    sets = RuleSets.resolve((str(from_cli.parent),))
    assert sets.paths == (str(from_config.parent), str(from_env.parent), str(from_cli.parent))
    rule = sets.engine().rules.get("team.same")
    assert rule is not None and rule.category == "network"
    assert RuleSets.resolve(()).engine().rules.get("team.same").category == "timeout"  # type: ignore[union-attr]


def test_env_is_a_path_list(
    monkeypatch: pytest.MonkeyPatch, write_rules: Callable[..., Path]
) -> None:
    a = write_rules("a/x.yaml", id="team.a")
    b = write_rules("b/y.yaml", id="team.b")
    monkeypatch.setenv("KLING_ERRORS_RULES", os.pathsep.join([str(a), "", str(b)]))
    engine = RuleSets.resolve((), use_config=False).engine()
    assert engine.rules.get("team.a") and engine.rules.get("team.b")


def test_pyproject_section_is_found_upward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_rules: Callable[..., Path]
) -> None:
    write_rules("team/r.yaml", id="team.from_pyproject")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.kling-errors]\nrules = ["team"]\nformat = "json"\n'
    )
    (tmp_path / "pkg").mkdir()
    monkeypatch.chdir(tmp_path / "pkg")
    assert find_config(Path.cwd()) == tmp_path / "pyproject.toml"
    sets = RuleSets.resolve(())
    assert sets.config.format == "json"
    assert sets.engine().rules.get("team.from_pyproject") is not None
    assert RuleSets.resolve((), use_config=False).paths == ()


def test_config_builtin_false_and_no_builtin(
    tmp_path: Path, write_rules: Callable[..., Path]
) -> None:
    write_rules("team/r.yaml", id="team.only")
    config = tmp_path / "kling-errors.yaml"
    config.write_text("rules: [team]\nbuiltin: false\n")
    rules = RuleSets.resolve((), config_path=str(config)).engine().rules
    assert [r.id for r in rules] == ["team.only"]


def test_invalid_config_names_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "kling-errors.yaml"
    config.write_text("rules: [a]\nformt: json\n")
    with pytest.raises(RuleError) as caught:
        RuleSets.resolve((), config_path=str(config))
    assert str(caught.value.problems[0]).startswith(f"{config}:2:") and "formt" in str(caught.value)


def test_duplicate_id_within_one_set_is_an_error(write_rules: Callable[..., Path]) -> None:
    path = write_rules(id="team.dup")
    text = path.read_text()
    path.write_text(text + text.split("rules:\n", 1)[1])
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert "duplicate rule id 'team.dup'" in str(caught.value)


def test_config_search_stops_at_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kling-errors.yaml").write_text("format: json\n")  # above the repository
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    monkeypatch.chdir(repo / "src")
    assert find_config(Path.cwd()) is None
    (repo / "kling-errors.yaml").write_text("format: text\n")
    assert RuleSets.resolve(()).config.format == "text"
    assert f"using config {repo / 'kling-errors.yaml'}" in capsys.readouterr().err


def test_a_config_others_may_write_is_skipped_and_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "kling-errors.yaml"  # as if in /tmp, where anyone may put one
    shared.write_text("builtin: false\n")
    shared.chmod(0o666)
    monkeypatch.chdir(tmp_path)
    sets = RuleSets.resolve(())
    assert sets.builtin and sets.config.path is None
    assert f"ignored config {shared}" in capsys.readouterr().err


def test_a_bad_config_is_reported_as_a_config_problem(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kling_errors import ConfigError
    from kling_errors.cli import main

    config = tmp_path / "kling-errors.yaml"
    config.write_text("formt: json\n")
    with pytest.raises(ConfigError):
        RuleSets.resolve((), config_path=str(config))
    result = CliRunner().invoke(main, ["rules", "list", "--config", str(config)])
    assert result.exit_code == 3
    assert "problem(s) in the project config" in result.stderr
    assert "rules validate" not in result.stderr and "config.schema.json" in result.stderr


def test_a_large_team_rule_set_loads_and_an_overlarge_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large team rule set loads; one whose regexes together compile past the cap is
    refused as the user's mistake, never a crash."""
    from click.testing import CliRunner

    from kling_errors import _regex
    from kling_errors.cli import main

    lines = ["version: 1", "rules:"]
    for n in range(150):  # ~540,000 RE2 instructions together
        lines += [
            f"  - id: team.big.{n}",
            "    title: A wordy family",
            "    category: server_error",
            "    severity: error",
            f"    match: {{message: 'team error {n} [a-z]{{1,400}} code [0-9]{{1,400}}'}}",
            "    causes: [x]",
            "    fixes: [y]",
            "    retryable: null",
            "    retry: {strategy: none}",
            "    source: {kind: observed_log, ref: ours}",
        ]
    rules = tmp_path / "big.yaml"
    rules.write_text("\n".join(lines) + "\n")
    record = '{"status": 500, "body": {"message": "team error 7 abc code 42"}}\n'
    ok = CliRunner().invoke(main, ["classify", "--no-config", "--rules", str(rules)], input=record)
    assert ok.exit_code == 0 and '"rule": "team.big.7"' in ok.output
    monkeypatch.setattr(_regex, "MAX_SET_INSTRUCTIONS", 235_000)
    refused = CliRunner().invoke(
        main, ["classify", "--no-config", "--rules", str(rules)], input=record
    )
    assert refused.exit_code == 3, refused.output
    assert (
        "too large to search together" in refused.output and "internal error" not in refused.output
    )


def test_the_builtin_regexes_compile_within_the_cap(engine: Engine) -> None:
    """The built-in rules' regexes compile on first need (a team's at load): they must
    never be what stops a run halfway."""
    from kling_errors._match import Matcher

    Matcher(engine.rules.rules).compile()  # raises PatternSetTooLarge past the cap
