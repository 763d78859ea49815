"""`-o FILE`: atomic, never over an input, a device or a link, and nothing left behind."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kling_errors.cli import main

from .conftest import SAMPLE_LOG

CLI = [sys.executable, "-c", "from kling_errors.cli import run; run()"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_input_is_never_the_output(tmp_path: Path) -> None:
    log = tmp_path / "in.log"
    log.write_bytes(SAMPLE_LOG.read_bytes())
    code, _, err = run("classify", str(log), "-o", str(log))
    assert code == 2 and "is also an input" in err and "hint:" in err
    assert log.read_bytes() == SAMPLE_LOG.read_bytes()
    (tmp_path / "alias.log").symlink_to(log)
    code, _, _ = run("classify", str(log), "-o", str(tmp_path / "alias.log"))
    assert code == 2 and log.read_bytes() == SAMPLE_LOG.read_bytes()


def test_a_missing_directory_is_the_users_mistake(tmp_path: Path) -> None:
    code, _, err = run("classify", str(SAMPLE_LOG), "-o", str(tmp_path / "no" / "r.jsonl"))
    assert code == 2 and "does not exist" in err and "internal error" not in err


def test_an_existing_report_keeps_its_mode_and_a_symlink_stays_a_link(tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    report.write_text("old\n")
    report.chmod(0o600)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(report)
    assert run("classify", str(SAMPLE_LOG), "-o", str(link))[0] == 0
    assert link.is_symlink() and stat.S_IMODE(report.stat().st_mode) == 0o600
    assert report.read_text().count("\n") == 18
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.jsonl", "report.jsonl"]


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert run("classify", str(SAMPLE_LOG), "-o", str(fifo))[0] == 0
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and received[0].count(b"\n") == 18


def _slow_run(tmp_path: Path, report: Path) -> subprocess.Popen[bytes]:
    big = tmp_path / "big.log"
    big.write_bytes(SAMPLE_LOG.read_bytes() * 20_000)
    env = {**os.environ, "KLING_ERRORS_NO_REPEATS": "1"}
    process = subprocess.Popen([*CLI, "classify", str(big), "-q", "-o", str(report)], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        p.name.startswith(".") for p in tmp_path.iterdir()
    ):
        if process.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.3)
    return process


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_run_leaves_no_file_behind_once_the_next_run_ends(
    tmp_path: Path, how: signal.Signals
) -> None:
    report = tmp_path / "report.jsonl"
    process = _slow_run(tmp_path, report)
    process.send_signal(how)
    process.wait(30)
    assert not report.exists()
    subprocess.run([*CLI, "classify", str(SAMPLE_LOG), "-q", "-o", str(report)], check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.log", "report.jsonl"]
