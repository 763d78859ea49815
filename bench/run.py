"""The performance figures in the README, from one command (`make bench`).

    python bench/run.py [--records 1000000] [--runs 3] [--parts throughput,full-path,...]

1. throughput: the floor (bench/floor.py: json.loads + json.dumps of a ten-field dict per
   line) against `kling-errors classify --format jsonl`, same file, output to /dev/null,
   and the share of records the repeat cache answered;
2. full path: the same on 100k records with the repeat cache off (KLING_ERRORS_NO_REPEATS=1),
   which is what a log of all-different lines costs, and a mostly plain-text log (sample.log
   repeated), which the cache does not cover;
3. rule scaling: the same classify with 1,000 extra generated rules loaded (and on the full
   path, 100k records, where every record goes through the matcher);
4. memory: peak RSS of classify on 100k and on the full log;
5. start-up: one record from stdin against `python -c "import click, yaml, jinja2"`.
Runs alternate between the compared commands; medians are reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
CLI = str(Path(PYTHON).parent / "kling-errors")
DATA = HERE / "data"


def timed(
    command: list[str], stdin: bytes | None = None, env: dict[str, str] | None = None
) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of ``command``."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else None,
            stdout=devnull,
            env=env,
        )
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(command)}")
    return seconds, usage.ru_maxrss


def median_pair(
    a: list[str],
    b: list[str],
    runs: int,
    b_env: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[float, float, int]:
    """Median seconds of a and b, run alternately; b's largest peak RSS."""
    times_a, times_b, peak = [], [], 0
    for _ in range(runs):
        times_a.append(timed(a, env=env)[0])
        seconds, rss = timed(b, env=b_env or env)
        times_b.append(seconds)
        peak = max(peak, rss)
    return statistics.median(times_a), statistics.median(times_b), peak


def make_log(records: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"synthetic-{records}.jsonl"
    if not path.exists():
        subprocess.run([PYTHON, str(HERE / "make_log.py"), str(records), str(path)], check=True)
    return path


def extra_rules(directory: Path, count: int = 1000) -> Path:
    """``count`` plausible rules: codes, statuses and messages that real records do not hit."""
    lines = ["version: 1", "rules:"]
    for n in range(count):
        kind = n % 4
        match = (
            f"{{service_code: {20000 + n}}}" if kind == 0 else
            f"{{http_status: {[418, 451, 507, 599][n % 4]}, message: 'team error {n}\\\\b'}}" if kind == 1 else
            f"{{message: 'gateway {n} said (?:no|nope) to tenant \\\\d+'}}" if kind == 2 else
            f"{{task_status: failed, message: 'custom failure {n}'}}"
        )  # fmt: skip
        lines += [
            f"  - id: bench.extra.{n}",
            f"    title: Extra rule {n}",
            "    category: server_error",
            "    severity: error",
            f"    match: {match}",
            "    causes: [generated]",
            "    fixes: [none]",
            "    retryable: null",
            "    retry: {strategy: none}",
            "    source: {kind: inferred, ref: bench}",
        ]
    path = directory / "extra.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def throughput(args: argparse.Namespace, log: Path, small: Path, classify: list[str]) -> None:
    floor_s, ours_s, peak = median_pair(
        [PYTHON, str(HERE / "floor.py"), str(log)], [*classify, str(log)], args.runs
    )
    print(f"floor:        {floor_s:7.2f} s  {args.records / floor_s:>9,.0f} records/s")
    print(
        f"kling-errors: {ours_s:7.2f} s  {args.records / ours_s:>9,.0f} records/s  "
        f"= {floor_s / ours_s:.0%} of the floor (target >= 50%)"
    )
    print(f"              {repeat_share(small):.1%} of records answered from the repeat cache")
    _, small_rss = timed([*classify, str(small)])
    print(
        f"peak RSS:     {small_rss / 1024:5.0f} MiB at 100,000 records, {peak / 1024:5.0f} MiB at "
        f"{args.records:,} (target <= 100 MiB, flat)"
    )


def full_path(args: argparse.Namespace, small: Path, classify: list[str]) -> None:
    """Every record parsed and classified (the cache off): what all-different lines cost."""
    off = {**os.environ, "KLING_ERRORS_NO_REPEATS": "1"}
    floor_s, ours_s, _ = median_pair(
        [PYTHON, str(HERE / "floor.py"), str(small)], [*classify, str(small)], args.runs, b_env=off
    )
    print(
        f"full path:    {ours_s:7.2f} s  {100_000 / ours_s:>9,.0f} records/s  "
        f"= {floor_s / ours_s:.0%} of the floor on 100,000 records (repeat cache off)"
    )


def text_log(args: argparse.Namespace, classify: list[str]) -> None:
    """A mostly plain-text log (examples/sample.log, repeated): the cache does not apply to
    text lines, so this is the full path for the log shape many apps write."""
    DATA.mkdir(exist_ok=True)
    path = DATA / "sample-x3000.log"
    if not path.exists():
        path.write_bytes((HERE.parent / "examples" / "sample.log").read_bytes() * 3000)
    from kling_errors._read import read_paths

    records = sum(1 for _ in read_paths([str(path)]))
    seconds = statistics.median(timed([*classify, str(path)])[0] for _ in range(args.runs))
    print(
        f"text log:     {seconds:7.2f} s  {records / seconds:>9,.0f} records/s  "
        f"({records:,} records: sample.log x 3,000)"
    )


def repeat_share(log: Path) -> float:
    """Share of the log's records that the repeat cache answers (counted in-process)."""
    from kling_errors._repeat import Repeats

    from kling_errors import Engine
    from kling_errors._output import Writer
    from kling_errors._read import read_paths

    writer = Writer(open(os.devnull, "w"), "jsonl")  # noqa: SIM115 - lives as long as the run
    repeats = Repeats(Engine(), writer.format, writer.escape)
    total = hits = 0
    for index, raw in enumerate(read_paths([str(log)], None, repeats.sketch)):
        total += 1
        if raw.sketch is not None:
            hits += raw.value is None
            repeats.answer(raw, index)
    return hits / total


def scaling(args: argparse.Namespace, log: Path, small: Path, classify: list[str]) -> None:
    off = {**os.environ, "KLING_ERRORS_NO_REPEATS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        rules = extra_rules(Path(tmp))
        base_s, extra_s, _ = median_pair(
            [*classify, str(log)], [*classify, "--rules", str(rules), str(log)], args.runs
        )
        # The same on the full path, where every record goes through the matcher.
        full_base, full_extra, _ = median_pair(
            [*classify, str(small)],
            [*classify, "--rules", str(rules), str(small)],
            args.runs,
            env=off,
        )
    print(
        f"+1,000 rules: {extra_s:7.2f} s  = {base_s / extra_s:.0%} of the built-in-only throughput (target >= 70%)"
    )
    print(f"              full path (100,000 records): {full_base / full_extra:.0%}")


def startup(args: argparse.Namespace) -> None:
    record = b'{"status": 429, "body": {"code": 1303, "message": "parallel task over resource pack limit"}}\n'
    imports, one = [], []
    timed([CLI, "classify", "--no-config"], stdin=record)  # warm the rule cache
    for _ in range(args.startup_runs):
        imports.append(timed([PYTHON, "-c", "import click, yaml, jinja2"])[0])
        one.append(timed([CLI, "classify", "--no-config"], stdin=record)[0])
    imp, cls = statistics.median(imports), statistics.median(one)
    print(
        f"start-up:     {cls * 1000:5.0f} ms for one record vs {imp * 1000:5.0f} ms for the imports "
        f"= {cls / imp:.2f}x (target <= 1.5x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument(
        "--parts",
        default="throughput,full-path,scaling,startup",
        help="any of throughput,full-path,scaling,startup",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    classify = [CLI, "classify", "--no-config", "--format", "jsonl"]
    if parts & {"throughput", "full-path", "scaling"}:
        log = make_log(args.records)
        print(f"log: {log.name} ({log.stat().st_size / 1e6:.0f} MB, {args.records:,} records)")
        if "throughput" in parts:
            throughput(args, log, make_log(100_000), classify)
        if "full-path" in parts:
            full_path(args, make_log(100_000), classify)
            text_log(args, classify)
        if "scaling" in parts:
            scaling(args, log, make_log(100_000), classify)
    if "startup" in parts:
        startup(args)


if __name__ == "__main__":
    main()
