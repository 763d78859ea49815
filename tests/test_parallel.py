"""`classify --jobs N`: the output is the same, byte for byte, whatever N, because a file
is only cut where each part reads as it would inside the whole file."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kling_errors import Engine, _parallel
from kling_errors._parallel import Splitter
from kling_errors._pipeline import RunOptions
from kling_errors._read import part_records, read_paths
from kling_errors._read._split import split
from kling_errors._run import default_jobs, run

ENGINE = Engine()
BENCH = Path(__file__).resolve().parent.parent / "bench"
CLI = str(Path(sys.executable).parent / "kling-errors")

# Lines of every kind that decides whether the next line joins a record: JSON lines, a
# traceback (also one that starts mid-line) with frames and its exception line, a
# pretty-printed JSON value left open and closed, stack frames of other languages, httpx's
# follow-up line, blank lines and plain log lines.
LINE_KINDS = [
    '{"status": 429, "body": {"code": 1303, "message": "parallel task over resource pack limit"}}',
    '{"code": 0, "message": "SUCCEED", "data": {"task_status": "failed", "task_status_msg": "Task timeout"}}',
    '{"status": 500, "body": "upstream connect error"}',
    "Traceback (most recent call last):",
    "ERROR worker: failed Traceback (most recent call last):",
    '  File "/srv/app/kling.py", line 42, in create',
    "    response.raise_for_status()",
    "httpx.HTTPStatusError: Client error '429 Too Many Requests' for url 'https://api.klingai.com/v1/videos'",
    "For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429",
    "During handling of the above exception, another exception occurred:",
    "{",
    '  "code": 1102,',
    '  "message": "Account balance not enough"',
    "}",
    "    at KlingClient.create (/app/node_modules/kling/index.js:10:5)",
    "",
    "2026-11-29 10:01:02,345 ERROR [worker-3] kling create failed status=503",
    "2026-11-29 10:01:03,000 INFO task submitted",
    "[1, 2",
]


def records_of(path: Path) -> list[tuple[str, object, str | None]]:
    return [(str(r.location), r.value, r.unreadable) for r in read_paths([str(path)])]


def records_of_parts(path: Path, part_bytes: int) -> list[tuple[str, object, str | None]] | None:
    parts = split(str(path), part_bytes)
    if parts is None:
        return None
    found = []
    for part in parts:
        with part_records(part) as (records, _):
            found.extend((str(r.location), r.value, r.unreadable) for r in records)
    return found


# JSON lines drawn as often as all other kinds together: cuts are found often enough.
LINES = st.one_of(st.sampled_from(LINE_KINDS[:3]), st.sampled_from(LINE_KINDS))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=60), st.integers(1, 400))
# A JSON value left open, then a traceback: the next JSON line ends the traceback, the one
# after starts a text record that a stack frame still joins. Only a third JSON line in a
# row ends every record.
@example(["{", LINE_KINDS[3], LINE_KINDS[0], LINE_KINDS[0], LINE_KINDS[5], LINE_KINDS[0]], 1)
def test_parts_read_exactly_as_the_whole_file(
    tmp_path: Path, lines: list[str], part_bytes: int
) -> None:
    log = tmp_path / "log.txt"
    log.write_text("\n".join([LINE_KINDS[0], *lines]) + "\n", encoding="utf-8")
    in_parts = records_of_parts(log, part_bytes)
    if in_parts is not None:
        assert in_parts == records_of(log)


def test_a_cut_needs_three_whole_json_lines_in_a_row(tmp_path: Path) -> None:
    json_line = LINE_KINDS[0]
    log = tmp_path / "log.txt"
    log.write_text(
        "\n".join(["Traceback (most recent call last):", json_line, json_line, "x"] * 50) + "\n"
    )
    assert split(str(log), 64) is None  # never three in a row: no cut is safe
    log.write_text("\n".join([json_line] * 200) + "\n")
    parts = split(str(log), 1000)
    assert parts is not None and len(parts) > 5
    assert [p.start for p in parts[1:]] == [p.end for p in parts[:-1]]


def test_a_file_with_a_lone_cr_is_not_cut(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_bytes(
        (LINE_KINDS[0] + "\n").encode() * 100
        + b"old mac\rline\n"
        + (LINE_KINDS[0] + "\n").encode() * 100
    )
    assert split(str(log), 1000) is None


def _mixed_log(tmp_path: Path, records: int) -> Path:
    log = tmp_path / "mixed.jsonl"
    subprocess.run(
        [sys.executable, str(BENCH / "make_realistic.py"), str(records), str(log), "--seed", "3"],
        check=True,
    )
    return log


@pytest.mark.parametrize(
    "options",
    [
        RunOptions(fmt="jsonl"),
        RunOptions(fmt="json"),
        RunOptions(fmt="text", color=True),
        RunOptions(fmt="jsonl", why=True),
        RunOptions(fmt="text", summary=True),
        RunOptions(fmt="jsonl", summary=True),
    ],
)
def test_jobs_give_the_output_and_summary_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: RunOptions
) -> None:
    log = _mixed_log(tmp_path, 1500)
    monkeypatch.setattr(_parallel, "PART_BYTES", 32 * 1024)  # many parts from a small log
    assert Splitter.for_path(str(log), 2) is not None
    one, many = io.StringIO(), io.StringIO()
    summary_one = run(ENGINE, [str(log), str(log)], one, options, jobs=1).summary
    summary_many = run(ENGINE, [str(log), str(log)], many, options, jobs=2).summary
    assert many.getvalue() == one.getvalue()
    assert summary_many == summary_one and summary_one.total == 2 * len(records_of(log))


def test_the_cli_with_two_jobs_writes_what_one_writes(tmp_path: Path) -> None:
    log = _mixed_log(tmp_path, 12_000)  # over 4 MiB: split into parts of 2 MiB
    assert log.stat().st_size > 2 * _parallel.PART_BYTES
    outputs = []
    for jobs in ("1", "2"):
        target = tmp_path / f"out-{jobs}.jsonl"
        done = subprocess.run(
            [CLI, "classify", "--no-config", "--jobs", jobs, "-o", str(target), str(log)],
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == len(records_of(log))


def test_stdin_and_small_files_run_on_one_process(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text(LINE_KINDS[0] + "\n")
    assert default_jobs(["-"]) == 1
    assert default_jobs([str(small)]) == 1
    assert Splitter.for_path(str(small), 4) is None
    assert Splitter.for_path("-", 4) is None
