"""The command line end to end, through click's CliRunner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from kling_errors import __version__
from kling_errors._schema import load_schema
from kling_errors.cli import main

from .conftest import SAMPLE_LOG

RECORD_VALIDATOR = Draft202012Validator(load_schema("diagnosis.schema.json"))


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def sample_line_count() -> int:
    # Records in the sample: its lines minus the traceback continuation lines (11-16).
    return len(SAMPLE_LOG.read_bytes().splitlines()) - 6


def test_jsonl_gives_one_valid_record_per_input_record_in_order() -> None:
    code, out, _ = run("classify", str(SAMPLE_LOG), "--format", "jsonl")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == sample_line_count()
    assert [r["index"] for r in rows] == list(range(len(rows)))
    for row in rows:
        RECORD_VALIDATOR.validate(row)


def test_json_format_is_one_array_of_the_same_records() -> None:
    _, out, _ = run("classify", str(SAMPLE_LOG), "--format", "json")
    rows = json.loads(out)
    assert len(rows) == sample_line_count()
    _, jsonl, _ = run("classify", str(SAMPLE_LOG), "--format", "jsonl")
    assert rows == [json.loads(line) for line in jsonl.splitlines()]


def test_json_format_of_empty_input_is_an_empty_array() -> None:
    code, out, _ = run("classify", "--format", "json", stdin="")
    assert (code, json.loads(out)) == (0, [])


def test_text_format_shows_rule_retry_and_fix() -> None:
    _, out, _ = run(
        "classify", "--format", "text", stdin='{"status": 429, "body": {"code": 1303}}\n'
    )
    assert "MATCHED" in out and "concurrency_limit" in out and "kling.concurrency.1303" in out
    assert "retry:   yes" in out and "fixes:" in out
    assert "\x1b[" not in out  # no colour codes when not asked for


def test_text_format_can_be_coloured() -> None:
    _, out, _ = run("classify", "--format", "text", "--color", stdin='{"code": 1303}\n')
    assert "\x1b[" in out


def test_stdin_is_read_when_no_file_or_dash_is_given() -> None:
    for args in (["classify"], ["classify", "-"]):
        _, out, _ = run(*args, "--format", "jsonl", stdin="httpx.ReadTimeout: timed out\n")
        assert json.loads(out)["rule"] == "transport.read_timeout"


def test_summary_counts_by_category_and_rule_and_lists_unmatched() -> None:
    code, out, _ = run("classify", str(SAMPLE_LOG), "--summary", "--format", "json")
    summary = json.loads(out)
    assert code == 0
    assert summary["total"] == sample_line_count()
    assert sum(summary["outcomes"].values()) == summary["total"]
    assert summary["rules"]["kling.concurrency.1303"] == 2
    assert summary["categories"]["concurrency_limit"] == 2
    assert summary["top_unmatched"][0]["count"] == 1


def test_summary_groups_unmatched_messages_that_differ_only_in_ids() -> None:
    log = "".join(
        f'{{"status": 418, "body": {{"message": "teapot {n} is busy"}}}}\n' for n in range(5)
    )
    _, out, _ = run("classify", "--summary", "--format", "json", stdin=log)
    assert json.loads(out)["top_unmatched"] == [{"message": "teapot # is busy", "count": 5}]


def test_fail_on_unmatched_exit_code() -> None:
    code, _, _ = run("classify", "--fail-on-unmatched", stdin='{"code": 1303}\n')
    assert code == 0
    code, _, _ = run("classify", "--fail-on-unmatched", stdin="what is this\n")
    assert code == 5


def test_missing_input_file_exits_4_with_a_hint(tmp_path: Path) -> None:
    code, out, err = run("classify", str(tmp_path / "nope.log"))
    assert code == 4 and out == ""
    assert "no such file" in err and "hint:" in err


def test_bad_rule_file_exits_3_naming_file_and_line(write_rules: Callable[..., Path]) -> None:
    path = write_rules(category="billing")
    code, out, err = run("classify", "--rules", str(path), stdin='{"code": 1303}\n')
    assert code == 3 and out == ""
    assert f"{path}:5:" in err and "hint:" in err


def test_usage_error_exits_2() -> None:
    code, _, err = run("classify", "--format", "xml")
    assert code == 2 and "xml" in err


def test_output_file_is_written_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.jsonl"
    code, out, _ = run("classify", str(SAMPLE_LOG), "-o", str(target))
    assert code == 0 and out == ""
    assert len(target.read_text().splitlines()) == sample_line_count()
    assert [p.name for p in tmp_path.iterdir()] == ["report.jsonl"]


def test_user_rules_take_part_in_classify(write_rules: Callable[..., Path]) -> None:
    path = write_rules(id="team.teapot", match="{http_status: 418}")
    _, out, _ = run("classify", "--rules", str(path), stdin='{"status": 418}\n')
    assert json.loads(out)["rule"] == "team.teapot"
    _, out, _ = run("classify", "--rules", str(path), "--no-builtin", stdin='{"code": 1303}\n')
    assert json.loads(out)["outcome"] == "unmatched"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1303", "kling.concurrency.1303"),
        ("429", "kling.account.1102"),
        ("429", "http.429"),
        ("404", "kling.request.1202"),
        ("transport.dns", "transport.dns"),
    ],
)
def test_explain_finds_the_knowledge(query: str, expected: str) -> None:
    code, out, _ = run("explain", query)
    assert code == 0 and expected in out


def test_explain_json_and_unknown_query() -> None:
    _, out, _ = run("explain", "1102", "--format", "json")
    (rule,) = json.loads(out)
    assert (rule["id"], rule["category"], rule["retryable"]) == (
        "kling.account.1102",
        "quota_billing",
        False,
    )
    code, _, err = run("explain", "9999")
    assert code == 2 and "nothing known" in err and "hint:" in err


def test_rules_validate_reports_ok_and_problems(write_rules: Callable[..., Path]) -> None:
    code, out, _ = run("rules", "validate")
    assert code == 0 and out.startswith("ok:")
    bad = write_rules(category="billing")
    code, _, err = run("rules", "validate", str(bad))
    assert code == 3 and f"{bad}:5:" in err


def test_rules_test_passes_for_builtins_and_fails_for_a_wrong_example(
    write_rules: Callable[..., Path],
) -> None:
    code, out, _ = run("rules", "test")
    assert code == 0 and out.strip().endswith("0 failed")
    path = write_rules(id="team.teapot", match="{http_status: 418}")
    path.write_text(path.read_text() + "    examples: ['{\"code\": 1303}']\n")
    code, out, _ = run("rules", "test", "--rules", str(path))
    assert code == 6
    assert "FAIL team.teapot example #1" in out and "kling.concurrency.1303 answers it" in out
    # its own condition fails: said so, not blamed on precedence
    assert "its own conditions do not match it: http_status does not hold" in out
    assert out.strip().endswith("1 failed")


def test_rules_list_shows_origin() -> None:
    _, out, _ = run("rules", "list", "--origin")
    assert "kling.auth.1003" in out and "rules/auth.yaml:" in out and "[builtin]" in out


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and "kling-errors" in out


def test_python_m_is_the_console_script(tmp_path: Path) -> None:
    """`python -m kling_errors` answers as the `kling-errors` script does, under that name."""
    script = shutil.which("kling-errors", path=sysconfig.get_path("scripts"))
    if script is None:
        pytest.skip("the kling-errors console script is not installed next to this Python")

    def both(*args: str) -> tuple[str, str]:
        by_module, by_script = (
            subprocess.run(
                [*command, *args], cwd=tmp_path, capture_output=True, text=True, check=True
            ).stdout
            for command in ([sys.executable, "-m", "kling_errors"], [script])
        )
        return by_module, by_script

    by_module, by_script = both("--version")
    assert by_module == by_script == f"kling-errors, version {__version__}\n"
    by_module, by_script = both("--help")
    assert by_module == by_script and by_module.startswith("Usage: kling-errors ")


def test_progress_line_shows_records_rate_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from kling_errors import _output
    from kling_errors._read import ReadProgress

    clock = iter([100.0, 102.0])
    monkeypatch.setattr(_output.time, "monotonic", lambda: next(clock))
    reading = ReadProgress([str(SAMPLE_LOG)])
    assert reading.total == SAMPLE_LOG.stat().st_size
    reading.bytes_read = reading.total // 4
    err = io.StringIO()
    line = _output.ProgressLine(err, reading)
    line.update(4000)
    assert "4,000 records · 2,000/s · 25% · ETA 6 s" in err.getvalue()
    line.close()
    assert err.getvalue().endswith("\r\x1b[K")


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    result = CliRunner().invoke(main, ["classify", str(SAMPLE_LOG), "--format", "jsonl"])
    assert result.stderr == ""
