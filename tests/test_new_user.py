"""The rough edges a new user hit trying every command (issue 17): each test holds one
of them fixed. The HTML reference's own (code spans, empty indexes, a phone's width, the
skill guide's headings, `docs --template` and `docs --check`) are in tests/test_docs.py."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from kling_errors import Engine
from kling_errors._models import RetryPolicy
from kling_errors._paths import user_cache_dir
from kling_errors._vocabulary import Strategy
from kling_errors.cli import main
from kling_errors.cli._options import STDIN_NOTE, color_default, note_reading_stdin

from .conftest import REPO


def run(*args: str, stdin: str | None = None, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env or None)
    return result.exit_code, result.stdout, result.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# --- colour, stdin, completion -------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # set but empty: as if unset (no-color.org)
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, False, True),  # any non-empty value (force-color.org)
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),  # NO_COLOR wins
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_follows_no_color_and_force_color(
    environ: dict[str, str], tty: bool, expected: bool
) -> None:
    stream = _Terminal() if tty else io.StringIO()
    assert color_default(stream, environ) is expected


def test_explain_colours_only_when_asked() -> None:
    _, forced, _ = run("explain", "1303", "--no-config", FORCE_COLOR="1")
    assert "\x1b[1m" in forced
    _, plain, _ = run("explain", "1303", "--no-config", NO_COLOR="1", FORCE_COLOR="1")
    assert "\x1b[" not in plain


def test_reading_stdin_at_a_terminal_is_announced() -> None:
    err = io.StringIO()
    assert note_reading_stdin(["-"], stdin=_Terminal(), err=err)
    assert err.getvalue().startswith("kling-errors: reading records from stdin")
    assert "Ctrl-" in err.getvalue()
    quiet = io.StringIO()
    assert not note_reading_stdin(["-"], stdin=io.StringIO(), err=quiet)  # a pipe
    assert not note_reading_stdin(["log.txt"], stdin=_Terminal(), err=quiet)  # a file
    assert quiet.getvalue() == ""
    assert STDIN_NOTE.split("{", 1)[0] in err.getvalue()


def test_shell_completion_works_as_the_readme_says() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "_KLING_ERRORS_COMPLETE=bash_source kling-errors" in readme
    env = {**os.environ, "_KLING_ERRORS_COMPLETE": "bash_source"}
    result = subprocess.run(
        [sys.executable, "-m", "kling_errors"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "_kling_errors_completion" in result.stdout and "complete " in result.stdout


# --- explain -------------------------------------------------------------------------


def test_explain_a_code_names_the_status_it_arrives_as() -> None:
    _, text, _ = run("explain", "1303", "--no-config")
    assert "service code: 1303 · arrives as HTTP 429" in text
    _, text, _ = run("explain", "1301", "--no-config")
    assert "arrives as HTTP 400" in text
    _, out, _ = run("explain", "1301", "--no-config", "--format", "json")
    (rule,) = json.loads(out)
    assert (rule["service_codes"], rule["http_status"]) == ([1301], 400)


def test_explain_a_status_starts_with_one_line_per_rule() -> None:
    found = Engine().explain("429")
    _, text, _ = run("explain", "429", "--no-config")
    lines = text.splitlines()
    assert lines[0] == f"{len(found)} rules for 429; details below"
    overview = lines[1 : 1 + len(found)]
    assert [line.split()[0] for line in overview] == [rule.id for rule in found]
    assert any("1303" in line and "retry" in line for line in overview)
    assert lines[1 + len(found)] == ""  # then the details, each in full
    assert text.count("  causes:") == len(found)
    _, single, _ = run("explain", "1303", "--no-config")
    assert "details below" not in single  # one rule: no overview


# --- rules validate: everything in one run ------------------------------------------

BROKEN = """\
version: 1
rules:
  - id: team.first
    title: A team rule
    category: server_error
    severity: loud
    match: {http_status: 500, message: '(?<!x)timeout', bogus: 1}
    causes: [something]
    fixes: [do something]
    retryable: false
    retry: {strategy: backoff, initial_delay: 1}
    source: {kind: observed_log, ref: our logs}
    title: A team rule, again
  - id: team.second
    match: {message: '[unclosed'}
    remediation: "{{ nope }}"
"""


def test_validate_reports_every_problem_of_a_file_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(BROKEN)
    code, _, err = run("rules", "validate", str(path), "--no-config")
    assert code == 3
    expected = [
        (6, "severity: 'loud' is not one of"),  # schema
        (7, "no lookarounds or backreferences"),  # a regex check, same rule as the schema error
        (7, "unknown field 'bogus'"),  # where only one form fits, that form's own error
        (11, "retryable is false but the retry strategy is 'backoff'"),  # retry coherence
        (13, "duplicate key 'title'"),  # and the duplicate key hides none of them
        (14, "missing required fields: 'title', 'category'"),  # listed together, once
        (15, "invalid regular expression"),
        (16, "template uses 'nope'"),
    ]
    for line, what in expected:
        assert re.search(rf"{re.escape(str(path))}:{line}:.*{re.escape(what)}", err), (line, what)
    assert err.count("missing required field") == 1
    assert "8 problem(s)" in err


def test_a_file_with_only_a_version_says_what_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("version: 1\n")
    code, _, err = run("rules", "validate", str(path), "--no-config")
    assert code == 3
    assert "is not valid under any of the given schemas" not in err
    assert "has none of 'rules', 'disable'" in err
    assert "hint: a rule file is `version: 1` and a `rules:` list" in err


# --- rules test: blame the regex, not precedence -------------------------------------


def test_rules_test_blames_the_condition_that_fails(write_rules: Callable[..., Path]) -> None:
    path = write_rules(
        id="team.quota", category="quota_billing", match="{http_status: 503, message: QOUTA}"
    )
    path.write_text(
        path.read_text()
        + "    examples: [{status: 503, body: {error: {message: 'UPSTREAM_QUOTA spent'}}}]\n"
    )
    _, out, _ = run("rules", "test", str(path), "--no-config")
    assert "its own conditions do not match it: message regex 'QOUTA' does not match" in out
    assert "'UPSTREAM_QUOTA spent'" in out and "wins" not in out


def test_rules_test_names_the_precedence_step_when_another_rule_wins(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules(id="team.five_hundred", match="{http_status: 500}")
    text = path.read_text().replace("    match:", "    priority: -5\n    match:")
    path.write_text(text + "    examples: [{status: 500, body: ''}]\n")
    _, out, _ = run("rules", "test", str(path), "--no-config")
    assert "its conditions match it, but http.500 wins on precedence" in out
    assert "lower priority (-5 < -2)" in out


# --- rules diff: the retry policy is part of the answer ------------------------------


def test_diff_reports_severity_title_and_retry_changes(
    write_rules: Callable[..., Path], tmp_path: Path
) -> None:
    new = write_rules(
        "new.yaml",
        text="""\
        version: 1
        rules:
          - id: http.500
            extends: http.500
            title: Kling or a proxy failed
            severity: critical
            retry: {strategy: backoff, initial_delay: 7, max_delay: 60, max_attempts: 2}
        """,
    )
    log = tmp_path / "log.jsonl"
    log.write_text('{"status": 500}\n{"status": 404}\n')
    code, out, _ = run(
        "rules", "diff", "--corpus", str(log), "--rules", str(new), "--format", "json",
        "--no-config",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["changed"] == 1
    (change,) = result["transitions"]
    assert change["old_rule"] == change["new_rule"] == "http.500"
    assert set(change["changes"]) == {"retry", "severity", "title"}
    assert change["changes"]["severity"] == {"old": "error", "new": "critical"}
    assert "first wait 7 s" in change["changes"]["retry"]["new"]


# --- fallback texts that contradicted the record -------------------------------------


def test_a_429_with_an_unlisted_code_is_not_called_codeless(engine: Engine) -> None:
    d = engine.classify({"status": 429, "body": {"code": 1305, "message": "new"}})
    assert d.rule == "http.429" and d.service_code == 1305
    assert "without a Kling service code" not in (d.title or "")
    assert "1305, which Kling's table does not list" in (d.remediation or "")
    assert "Log the body's `code`" not in (d.remediation or "")  # it has one


def test_a_400_with_an_unlisted_code_does_not_say_the_body_was_lost(engine: Engine) -> None:
    d = engine.classify({"status": 400, "body": {"code": 1299, "message": "odd"}})
    assert d.rule == "http.400"
    said = " ".join([d.title or "", *d.causes, *(f.step for f in d.fixes)])
    assert "body lost" not in said and "body was lost" not in said
    assert "Kling's table does not list" in said


# --- errors: hints once, the variable named, unreadable files exit 4 -----------------


def test_a_rule_error_prints_each_hint_once(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("version: 1\nrules:\n  - id: team.x\n    title: yes\n")
    code, _, err = run("classify", "--rules", str(path), "--no-config", stdin="{}\n")
    assert code == 3
    hints = [line.strip() for line in err.splitlines() if line.strip().startswith("hint:")]
    assert len(hints) == len(set(hints)), hints
    assert err.splitlines()[-1].startswith("hint: fix the rule file")


def test_a_missing_path_in_kling_errors_rules_names_the_variable(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.yaml")
    code, _, err = run("classify", "--no-config", stdin="{}\n", KLING_ERRORS_RULES=missing)
    assert code == 3
    assert f"KLING_ERRORS_RULES: rule path {missing!r} does not exist" in err
    assert "hint: fix the path in KLING_ERRORS_RULES" in err


def test_a_missing_path_in_the_config_names_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "kling-errors.yaml"
    config.write_text("rules: [kling-rules/]\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("classify", "--config", str(config), stdin="{}\n")
    assert code == 3
    assert f"{config}:1:9: rules[0]: rule path 'kling-rules/' does not exist" in err


@pytest.fixture
def unopenable(tmp_path: Path) -> Iterator[Path]:
    """A file that exists, is no directory, and cannot be opened (a UNIX socket: what
    no permission to read does, also when the tests run as root)."""
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no UNIX sockets here")
    path = tmp_path / "records.log"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        yield path


@pytest.mark.parametrize(
    "args",
    [
        ("check-request", "{}"),
        ("rules", "coverage", "{}", "--no-config"),
        ("rules", "diff", "--corpus", "{}", "--no-config"),
        ("rules", "new", "--from", "{}", "--no-config"),
        ("rules", "eval", "{}", "--no-config"),
    ],
    ids=lambda args: " ".join(a for a in args if a not in {"{}", "--no-config"}),
)
def test_an_input_file_that_cannot_be_opened_exits_4(
    unopenable: Path, args: tuple[str, ...]
) -> None:
    code, _, err = run(*(str(unopenable) if a == "{}" else a for a in args))
    assert code == 4, err
    assert err.startswith(f"error: {unopenable}: cannot open")


def test_a_file_without_read_permission_exits_4_not_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a user without read permission sees (simulated: the tests may run as root)."""
    log = tmp_path / "private.log"
    log.write_text('{"status": 500}\n')
    real_access, real_open = os.access, Path.open

    def access(path: object, mode: int, *args: object, **kwargs: object) -> bool:
        return False if str(path) == str(log) else real_access(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    def opener(self: Path, *args: object, **kwargs: object) -> object:
        if str(self) == str(log):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(Path, "open", opener)
    code, _, err = run("check-request", str(log))
    assert code == 4 and "Permission denied" in err


# --- check-request takes no rules, and the README says so ----------------------------


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_but_check_request_takes_rules_and_config() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "all but `check-request`" in readme
    for name, command in _commands(main):
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if name == "check-request":
            assert "--rules" not in options and "--config" not in options
        else:
            assert {"--rules", "--no-builtin", "--config", "--no-config"} <= options, name


# --- the library ---------------------------------------------------------------------


def test_retry_delay_never_starts_below_the_documented_first_wait() -> None:
    policy = RetryPolicy(Strategy.BACKOFF, initial_delay=1.0, max_delay=60, max_attempts=3)
    assert policy.delay(0) == policy.delay(1) == 1.0
    assert policy.delay(-3) == 1.0
    assert policy.delay(2) == 2.0 and policy.delay(4) is None


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {}, "/home/u/.cache/kling-errors"),
        ("linux", {"XDG_CACHE_HOME": "/xdg"}, "/xdg/kling-errors"),
        ("linux", {"XDG_CACHE_HOME": "relative"}, "/home/u/.cache/kling-errors"),  # XDG spec
        ("freebsd14", {}, "/home/u/.cache/kling-errors"),
        ("darwin", {}, "/home/u/Library/Caches/kling-errors"),
        ("win32", {"LOCALAPPDATA": "/appdata/local"}, "/appdata/local/kling-errors/Cache"),
        ("win32", {}, "/home/u/AppData/Local/kling-errors/Cache"),
    ],
)
def test_the_cache_directory_follows_the_platform(
    platform: str, environ: dict[str, str], expected: str
) -> None:
    assert user_cache_dir(platform, environ, lambda: Path("/home/u")) == Path(expected)


# --- README and packaging ------------------------------------------------------------


def _top_level_keys(text: str) -> list[str]:
    """The keys of the outermost JSON object in ``text`` (which may hold "..." stand-ins)."""
    keys, depth, i = [], 0, 0
    while i < len(text):
        char = text[i]
        if char == '"':
            end = text.index('"', i + 1)
            if depth == 1 and text[end + 1 : end + 2] == ":":
                keys.append(text[i + 1 : end])
            i = end
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        i += 1
    return keys


def test_readme_shows_the_json_lines_keys_in_their_real_order() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("The same record as JSON", 1)[1].split("```json\n", 1)[1]
    shown = _top_level_keys(block.split("```", 1)[0])
    record = '{"status": 429, "body": {"code": 1102, "message": "Account balance not enough"}}'
    _, out, _ = run("classify", "--format", "jsonl", "--no-config", stdin=record + "\n")
    assert shown == list(json.loads(out))


def test_readme_links_point_at_files_that_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    assert local, "the README links no file?"
    assert [t for t in local if not (REPO / t).exists()] == []


def test_pre_commit_hooks_look_only_at_rule_files() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        files = re.compile(hook["files"])
        assert files.search("kling-rules/team.yaml") and files.search("ci/kling-rules/a.yml")
        for other in (".github/workflows/ci.yml", "docker-compose.yml", "kling-errors.yaml"):
            assert not files.search(other), (hook["id"], other)


def test_readme_pre_commit_rev_is_a_tag_that_exists_or_a_commit_to_fill_in() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Checking rule sets on commit", 1)[1].split("\n### ", 1)[0]
    (rev,) = re.findall(r"^\s*rev: (\S+)", section, re.MULTILINE)
    if re.fullmatch(r"v?\d+(\.\d+)*", rev):
        tags = subprocess.run(
            ["git", "-C", str(REPO), "tag", "--list", rev],
            capture_output=True,
            text=True,
            check=False,
        )
        if tags.returncode != 0:
            pytest.skip("not a git checkout")
        assert tags.stdout.strip() == rev, f"rev {rev} is not a tag of this repository"
    else:
        assert rev == "COMMIT_SHA" and "--freeze" in section  # how to fill it in is said


def test_license_and_changelog_are_there() -> None:
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")
    assert "Copyright (c) 2026 kling-errors contributors" in license_text
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
