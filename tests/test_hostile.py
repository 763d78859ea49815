"""Hostile input never crashes a run or loses a record; hostile rules never load or run code.

Properties run a small fixed-seed sample in `make test` and >= 100,000 examples in
`make fuzz` (HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kling_errors import Engine
from kling_errors._output import record_json
from kling_errors._read import read_stream
from kling_errors._rules import read_rule_file
from kling_errors._schema import load_schema
from kling_errors.cli import main

ENGINE = Engine()
RECORD = Draft202012Validator(load_schema("diagnosis.schema.json"))
OUTCOMES = {"matched", "unmatched", "not_an_error", "unreadable"}

KEYS = st.sampled_from(
    ["status", "status_code", "http_status", "code", "kling_code", "message", "msg", "body",
     "data", "error", "detail", "task_status", "task_status_msg", "headers", "request_id",
     "response", "url", "state", "failMsg", "id", "text", "content", "gateway", "level"]
)  # fmt: skip
SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.sampled_from([0, 200, 400, 401, 429, 500, 504, 1102, 1201, 1303, 5002])
    | st.floats(allow_nan=False) | st.text(max_size=60)
    | st.sampled_from(["failed", "succeed", "processing", "SUCCEED", "Bearer abc.def.ghi",
                       "Failure to pass the risk control system", '{"code": 1303', "<html>"])
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(KEYS | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=25,
)
RECORDS = st.dictionaries(KEYS, JSON, max_size=8) | st.text(max_size=200)


def _not_json(constant: str) -> None:
    raise AssertionError(f"output is not strict JSON: {constant}")


def classify_bytes(data: bytes) -> list[Any]:
    diagnoses = list(ENGINE.classify_records(read_stream(io.BytesIO(data), "fuzz")))
    assert [d.index for d in diagnoses] == list(range(len(diagnoses)))
    for d in diagnoses:
        assert d.outcome in OUTCOMES
        RECORD.validate(json.loads(record_json(d), parse_constant=_not_json))
    return diagnoses


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    classify_bytes(data)


@given(st.lists(RECORDS, min_size=1, max_size=8), st.booleans(), st.booleans())
def test_json_lines_one_output_per_record(records: list[Any], crlf: bool, bom: bool) -> None:
    newline = b"\r\n" if crlf else b"\n"
    data = newline.join(json.dumps(r).encode() for r in records) + newline
    assert len(classify_bytes((b"\xef\xbb\xbf" if bom else b"") + data)) == len(records)


@given(st.lists(JSON, max_size=8))
def test_json_array_one_output_per_element(values: list[Any]) -> None:
    assert len(classify_bytes(json.dumps(values).encode())) == len(values)


LINE = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
    min_size=1, max_size=120,
).filter(lambda s: s.strip() and not s[0].isspace() and s.lstrip()[0] not in "{[]}" and not s.startswith(
    ("Traceback", "During handling", "The above exception", "Caused by:", "For more information check:")))  # fmt: skip
# (a line that starts with ']' or '}' closes a JSON value the line above opened: one record)


@given(st.lists(LINE, min_size=1, max_size=10))
def test_text_lines_one_output_per_line(lines: list[str]) -> None:
    assert len(classify_bytes("\n".join(lines).encode("utf-8"))) == len(lines)


@given(
    st.lists(
        st.binary(min_size=1, max_size=80).filter(
            lambda b: b"\n" not in b and b"\r" not in b and b.strip()  # CR ends a line too
        ),
        min_size=1,
        max_size=10,
    )
)
def test_undecodable_lines_each_give_one_record(lines: list[bytes]) -> None:
    lines = [b"\xff" + line for line in lines]  # never valid UTF-8, never JSON, never indented
    if lines[0].startswith(b"\xff\xfe"):
        lines[0] = b"\xff\x01" + lines[0][2:]  # not a UTF-16 byte-order mark
    assert len(classify_bytes(b"\n".join(lines))) == len(lines)


@given(st.text(max_size=300), st.integers(1, 299))
def test_truncated_json_is_read_or_unreadable_never_fatal(text: str, cut: int) -> None:
    body = json.dumps({"code": 1303, "message": text, "request_id": "r-1"})
    (d,) = classify_bytes(body[: min(cut, len(body) - 1)].encode())
    assert d.outcome in OUTCOMES


@pytest.mark.parametrize("value", ["²", "٣", "12³", "1e3", " 429 ", "0x1F"])
def test_digit_like_text_in_number_fields_never_crashes(value: str) -> None:
    # Found by `make fuzz`: '²'.isdigit() is True but int('²') raises.
    for key in ("status", "code", "http_status"):
        (d,) = classify_bytes(json.dumps({key: value, "message": "x"}).encode())
        assert d.outcome in OUTCOMES


def test_json_nested_100000_deep_is_unreadable() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    objects = '{"a":' * 100_000 + "1" + "}" * 100_000
    results = classify_bytes(f'{{"code": 1303}}\n{deep}\n{objects}\n'.encode())
    assert [d.outcome for d in results] == ["matched", "unreadable", "unreadable"]
    (array,) = classify_bytes(deep.encode())  # as a whole-file JSON array
    assert array.outcome == "unreadable" and "deep" in (array.reason or "")


def test_long_lines_give_one_record_each_and_over_the_limit_an_unreadable_one() -> None:
    line = '{"status": 429, "body": {"code": 1303, "message": "' + "x" * 10_000_000 + '"}}'
    (d,) = classify_bytes(line.encode())
    assert d.rule == "kling.concurrency.1303" and len(d.message or "") <= 1000
    over = b'{"code": 1303, "message": "' + b"x" * 50_000_000 + b'"}\n{"code": 1102}\n'
    skipped, after = classify_bytes(over)
    assert skipped.outcome == "unreadable" and "longer than 16 MiB" in (skipped.reason or "")
    assert after.rule == "kling.account.1102"
    (t,) = classify_bytes(b"E" * 50_000_000)
    assert t.outcome == "unreadable"


@pytest.mark.parametrize(
    "headers",
    [{"Retry-After": "inf"}, {"Retry-After": "nan"}, {"Retry-After": "1e999"}, {"Retry-After": "-5"},
     {"Retry-After": "Wed, 25 Nov 2026 10:02:00 -0000", "Date": "Wed, 25 Nov 2026 10:00:00 GMT"},
     {"Retry-After": "Wed, 25 Nov 99999 10:02:00 GMT", "Date": "garbage"}],
)  # fmt: skip
def test_odd_retry_after_values_never_crash_or_leak_infinity(headers: dict[str, str]) -> None:
    line = json.dumps({"status": 429, "headers": headers, "body": {"code": 1302}}).encode()
    (d,) = classify_bytes(line)
    assert d.retry is not None and d.retry.delay_seconds is not None and d.retry.delay_seconds >= 0


def test_nul_bytes_bom_and_crlf() -> None:
    data = b'\xef\xbb\xbf{"code": 1303}\r\nabc\x00def\r\n\r\nhttpx.ReadTimeout: timed out\r\n'
    assert [d.outcome for d in classify_bytes(data)] == ["matched", "unreadable", "matched"]


def test_corrupt_gzip_is_one_unreadable_record(tmp_path: Path) -> None:
    path = tmp_path / "bad.log.gz"
    data = gzip.compress(b'{"code": 1303}\n' * 1000)
    path.write_bytes(data[: len(data) // 2])
    result = CliRunner().invoke(main, ["classify", str(path), "--format", "jsonl"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and rows[-1]["outcome"] == "unreadable"


def test_logged_text_is_never_template_source() -> None:
    d = ENGINE.classify({"status": 400, "body": {"code": 1201, "message": "{{ 7*7 }} {% for %}"}})
    assert d.remediation is not None and "{{ 7*7 }}" in d.remediation and "49" not in d.remediation


def test_interrupted_report_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kling_errors import _output

    calls = {"n": 0}
    original = _output.Writer.write

    def interrupt(self: _output.Writer, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        original(self, *args, **kwargs)

    monkeypatch.setattr(_output.Writer, "write", interrupt)
    target = tmp_path / "report.jsonl"
    result = CliRunner().invoke(main, ["classify", "-o", str(target)], input='{"code": 1303}\n' * 5)
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    log = tmp_path / "big.jsonl"
    log.write_text('{"status": 429, "body": {"code": 1303}}\n' * 20_000)
    script = Path(sys.executable).parent / "kling-errors"
    pipeline = f"'{script}' classify '{log}' --format jsonl | head -n 1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True, check=False
    )
    assert result.stdout.count("\n") == 1
    assert result.stderr == "" and result.returncode == 0


# ---- hostile rule files -------------------------------------------------------


def test_huge_rule_file_is_refused(write_rules: Callable[..., Path]) -> None:
    path = write_rules(text="rules: []\n# " + "x" * 2_100_000 + "\n")
    (problem,) = read_rule_file(path)[1]
    assert "larger than" in problem.message


def test_deeply_nested_rule_file_is_refused(write_rules: Callable[..., Path]) -> None:
    path = write_rules(text="rules: " + "[" * 200 + "]" * 200 + "\n")
    (problem,) = read_rule_file(path)[1]
    assert "nesting" in problem.message


def test_template_escape_through_filters_fails_at_validation(
    write_rules: Callable[..., Path],
) -> None:
    path = write_rules()
    path.write_text(path.read_text() + "    remediation: \"{{ message | attr('__class__') }}\"\n")
    problems = [str(p) for p in read_rule_file(path)[1]]
    assert any(
        "team.rule" in p and "may not use the filter 'attr'" in p and ":13" in p for p in problems
    )


def test_pathological_regex_is_linear(write_rules: Callable[..., Path]) -> None:
    path = write_rules(match="{message: '(a+)+$'}", id="team.pathological")
    engine = Engine(rule_paths=[path])
    adversarial = [{"status": 418, "body": {"message": "a" * 5000 + "!"}}] * 1000
    results = [engine.classify(record) for record in adversarial]  # RE2: milliseconds, not hours
    assert all(r.outcome == "unmatched" for r in results)
    assert engine.classify({"status": 418, "body": {"message": "aaaa"}}).rule == "team.pathological"


@pytest.mark.skipif(os.environ.get("HYPOTHESIS_PROFILE") == "fuzz", reason="fixed example")
def test_jinja_is_recent_enough() -> None:
    import jinja2

    major, minor, patch = (int(x) for x in jinja2.__version__.split(".")[:3])
    assert (major, minor, patch) >= (3, 1, 6)


# ---- issue 13: every record out, memory and time bounded, nothing outside trusted --------


def test_a_lone_surrogate_neither_crashes_nor_loses_the_report(tmp_path: Path) -> None:
    log = tmp_path / "s.log"
    log.write_text('{"status": 500, "message": "a\\ud800 upstream"}\n{"code": 1303}\n')
    for args in (["--format", "jsonl"], ["--summary"], ["-o", str(tmp_path / "out.jsonl")]):
        result = CliRunner().invoke(main, ["classify", str(log), *args])
        assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").count("\n") == 2
    d = ENGINE.classify(json.loads('{"status": 500, "message": "a\\ud800"}'))
    assert d.message == "a\ufffd"


def test_indentation_alone_never_joins_records() -> None:
    data = b"  ERROR 429 code 1302\n  ERROR 429 code 1303\n\tERROR 429 code 1102\n"
    assert len(classify_bytes(data)) == 3


def test_a_pretty_printed_array_cut_short_keeps_every_complete_record() -> None:
    items = [{"status": 429, "body": {"code": 1303, "request_id": f"r{i}"}} for i in range(5)]
    text = json.dumps(items, indent=2)
    cut = text[: text.rindex('"request_id": "r4"') + 10]  # the last element is cut off
    found = classify_bytes(cut.encode())
    assert len(found) == 5
    assert [d.request_id for d in found[:4]] == ["r0", "r1", "r2", "r3"]
    assert found[4].service_code == 1303  # salvaged from the truncated tail


def test_a_one_line_har_gives_one_record_per_entry() -> None:
    entry = {"request": {"url": "https://api.klingai.com/v1/videos/text2video"},
             "response": {"status": 429, "content": {"text": '{"code": 1303}'}}}  # fmt: skip
    line = json.dumps({"log": {"entries": [entry, entry, entry]}})
    found = classify_bytes((line + "\n" + '{"code": 1102}\n').encode())
    assert [d.category for d in found] == ["concurrency_limit"] * 3 + ["quota_billing"]


def test_cr_only_line_ends_and_utf16_with_a_bom() -> None:
    assert (
        len(classify_bytes(b'{"code": 1303}\r{"code": 1102}\rhttpx.ReadTimeout: timed out\r')) == 3
    )
    utf16 = '{"code": 1303}\n{"code": 1102}\n'.encode("utf-16")
    assert [d.service_code for d in classify_bytes(utf16)] == [1303, 1102]


def test_numbers_too_big_to_print_never_crash() -> None:
    assert ENGINE.classify({"code": 10**5000}).outcome in OUTCOMES
    assert ENGINE.classify({"status": 10**5000, "message": "x"}).outcome in OUTCOMES


def _bounded_run(
    args: list[str], limit_mb: int, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with its address space capped: reading must stay within it."""
    code = (
        "import resource, sys;"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit_mb} << 20, {limit_mb} << 20));"
        "from kling_errors.cli import run; sys.argv = ['kling-errors'] + sys.argv[1:]; run()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, timeout=600, check=False,
        env={**os.environ, "KLING_ERRORS_NO_CACHE": "1"},
    )  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS semantics")
def test_a_log_whose_first_line_starts_with_a_bracket_is_streamed(tmp_path: Path) -> None:
    line = (
        b"[2024-05-01 12:00:00] ERROR kling create failed: 429 Too Many Requests "
        + b"x" * 4000
        + b"\n"
    )
    log = tmp_path / "bracket.log"
    with log.open("wb") as out:
        for _ in range(20_000 // 4):
            out.write(line * 4)  # ~80 MB: read whole before, it took 2 GB
    result = _bounded_run(["classify", str(log), "--summary", "--format", "json", "-q"], 700)
    assert result.returncode == 0, result.stderr[-500:]
    assert json.loads(result.stdout)["total"] == 20_000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS semantics")
def test_a_gzip_bomb_of_nuls_is_one_unreadable_record_in_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.log.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        chunk = b"\0" * (1 << 20)
        for _ in range(600):  # 600 MB of NULs in one "line", ~600 KB compressed
            out.write(chunk)
        out.write(b'\n{"code": 1303}\n')
    result = _bounded_run(["classify", str(bomb), "--format", "jsonl", "-q"], 700)
    assert result.returncode == 0, result.stderr[-500:]
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["outcome"] for r in rows] == ["unreadable", "matched"]
    assert "longer than" in rows[0]["reason"]


def test_html_pages_are_read_in_linear_time() -> None:
    import time

    for page in (
        "<html>" + "<title>" * 9000,
        "<html>" + "<script>" * 9000,
        "<html>" + "<" * 200_000,
    ):
        started = time.perf_counter()
        assert ENGINE.classify(page).outcome in OUTCOMES
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("remediation", "says"),
    [
        ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
         "may not use For"),
        ("{{ 'a' * 10**9 }}", "above 10000"),
        ("{{ ('a' * 10000) * 10000 }}", "more than 10000 items"),
        ("{{ message | center(5000) | replace('a', 'aaaa') }}", "filter 'center'"),
    ],
)  # fmt: skip
def test_rule_templates_cannot_exhaust_the_machine(
    write_rules: Callable[..., Path], remediation: str, says: str
) -> None:
    import time

    path = write_rules()
    path.write_text(path.read_text() + f"    remediation: {json.dumps(remediation)}\n")
    started = time.perf_counter()
    problems = [str(p) for p in read_rule_file(path)[1]]
    assert time.perf_counter() - started < 5
    assert any(says in p and ":13" in p for p in problems), problems


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        ("message: 'a{4294967296}'", "too large"),
        ("message: '" + "(" * 3000 + "a" + ")" * 3000 + "'", "too large or too deeply nested"),
    ],
)
def test_huge_regexes_are_rule_problems_with_file_and_line(
    write_rules: Callable[..., Path], condition: str, says: str
) -> None:
    path = write_rules(match="{" + condition + "}")
    problems = [str(p) for p in read_rule_file(path)[1]]
    assert any(says in p and f"{path}:7:" in p for p in problems), problems


@pytest.mark.parametrize(
    ("yaml_text", "says"),
    [
        ("    retry: {strategy: backoff, initial_delay: .nan, max_delay: 10, max_attempts: 2}",
         "nan is not a number"),
        ("    retry: {strategy: backoff, initial_delay: 1, max_delay: .inf, max_attempts: 2}",
         "inf is not a number"),
    ],
)  # fmt: skip
def test_nan_and_infinity_in_a_retry_policy_are_refused(
    write_rules: Callable[..., Path], yaml_text: str, says: str
) -> None:
    path = write_rules()
    text = path.read_text().replace("    retryable: false", "    retryable: true")
    path.write_text(text.replace("    retry: {strategy: none}", yaml_text))
    assert any(says in str(p) for p in read_rule_file(path)[1])


@pytest.mark.parametrize(
    "value",
    [
        "!!binary aGVsbG8=",
        "!!set {a: null}",
        "2024-01-01",
        "!!timestamp 2024-01-01",
        "{<<: {a: 1}}",
    ],
)
def test_yaml_tags_beyond_plain_json_values_are_refused(
    write_rules: Callable[..., Path], value: str
) -> None:
    path = write_rules()
    path.write_text(path.read_text() + f"    examples: [{value}]\n")
    problems = [str(p) for p in read_rule_file(path)[1]]
    assert any("not allowed" in p for p in problems), problems


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "1e308"},
        {"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT", "Date": "Sun, 29 Nov 2026 10:00:00 GMT"},
    ],
)
def test_a_huge_retry_after_is_capped_by_the_rule(headers: dict[str, str]) -> None:
    d = ENGINE.classify({"status": 429, "headers": headers, "body": {"code": 1302}})
    rule = ENGINE.rules.get("kling.rate.1302")
    assert rule is not None and d.retry is not None
    assert d.retry.delay_seconds == rule.retry.max_delay


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_input_ends_with_one_unreadable_record() -> None:
    result = _bounded_run(["classify", "/dev/zero", "--format", "jsonl", "-q"], 700)
    assert result.returncode == 0, result.stderr[-500:]
    (row,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert row["outcome"] == "unreadable" and "longer than" in row["reason"]


def test_a_first_line_that_only_looks_like_json_is_read_as_lines() -> None:
    data = b"{not json] ERROR 429 code 1303\n" + b"ERROR kling: 502 Bad Gateway\n" * 3
    found = classify_bytes(data)
    assert [(d.service_code, d.http_status) for d in found] == [(1303, None), *[(None, 502)] * 3]
