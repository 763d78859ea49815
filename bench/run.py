"""The performance figures in the README, from one command (`make bench`).

    python bench/run.py [--records 1000000] [--runs 3] [--parts logs,jobs,memory,scaling,startup]

Every figure is a median of ``--runs`` runs of the installed CLI in a fresh process, output
to a file, the rule store off (KLING_ERRORS_NO_CACHE=1: what a first run costs); compared
commands alternate. The logs come from bench/make_realistic.py (fixed seed; records unique
in more than their ids, as production logs are) and bench/make_log.py (the old synthetic
log, whose records differ only in ids: one line of the table, not the headline).

1. logs: the floor (bench/floor.py: read each line, json.loads it, json.dumps a ten-field
   dict) against `classify --jobs 1` on the realistic mixed log (``--records``), a
   realistic text-only log and the synthetic log (a fifth as many records each): seconds,
   records/s, the ratio to the floor, peak RSS;
2. jobs: `classify --jobs N` (N = the cores) on the mixed log: the speed-up over --jobs 1,
   and that the output is byte-identical;
3. memory: peak RSS of `classify --jobs 1` on the first 100,000 records of the mixed log
   and on all of it (target: <= 64 MiB, flat);
4. scaling: `classify --jobs 1` on 200,000 mixed records with 1,000 extra rules loaded;
5. start-up: one record on stdin against `python -c "import click, yaml, jinja2"`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
CLI = str(Path(PYTHON).parent / "kling-errors")
DATA = HERE / "data"
ENV = {**os.environ, "KLING_ERRORS_NO_CACHE": "1"}
CLASSIFY = [CLI, "classify", "--no-config", "--format", "jsonl", "--quiet"]


def timed(
    command: list[str],
    out: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of ``command`` (stdout to ``out``)."""
    start = time.perf_counter()
    with open(out or os.devnull, "wb") as sink:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else None,
            stdout=sink,
            env=env or ENV,
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


@dataclass(frozen=True)
class Timing:
    """Seconds over the runs of one command (median, fastest, slowest); its largest peak RSS."""

    median: float
    low: float
    high: float
    peak_kib: int

    def spread(self) -> str:
        return f"{self.low:.2f}-{self.high:.2f}s"


def medians(commands: list[list[str]], runs: int) -> list[Timing]:
    """Each command's timing over ``runs`` runs, the commands run alternately."""
    times: list[list[float]] = [[] for _ in commands]
    peaks = [0] * len(commands)
    for _ in range(runs):
        for i, command in enumerate(commands):
            seconds, rss = timed(command)
            times[i].append(seconds)
            peaks[i] = max(peaks[i], rss)
    return [
        Timing(statistics.median(t), min(t), max(t), p) for t, p in zip(times, peaks, strict=True)
    ]


def make(name: str, records: int, *generator: str) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"{name}-{records}.{'log' if 'text' in generator else 'jsonl'}"
    if not path.exists():
        subprocess.run([PYTHON, *generator, str(records), str(path)], check=True)
    return path


def realistic(records: int, kind: str = "mixed") -> Path:
    return make(f"realistic-{kind}", records, str(HERE / "make_realistic.py"), "--kind", kind)


def count(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def logs(args: argparse.Namespace) -> None:
    small = max(args.records // 5, 1000)
    table = [
        ("realistic mixed", realistic(args.records)),
        ("realistic text", realistic(small, "text")),
        ("synthetic (ids only)", make("synthetic", small, str(HERE / "make_log.py"))),
    ]
    print(f"{'log':22} {'records':>9} {'floor':>8} {'classify -j1':>13} {'range':>14} "
          f"{'records/s':>10} {'of floor':>9} {'peak RSS':>9}")  # fmt: skip
    for name, path in table:
        lines = count(path)
        floor, ours = medians(
            [[PYTHON, str(HERE / "floor.py"), str(path)], [*CLASSIFY, "--jobs", "1", str(path)]],
            args.runs,
        )
        print(f"{name:22} {lines:>9,} {floor.median:>7.2f}s {ours.median:>12.2f}s "
              f"{ours.spread():>14} {lines / ours.median:>10,.0f} "
              f"{floor.median / ours.median:>9.0%} {ours.peak_kib / 1024:>6.0f} MiB")  # fmt: skip


def digest(path: Path) -> str:
    """In blocks: this process stays small, or a fork would report its size as the child's
    peak RSS (ru_maxrss counts the pages a forked child shares before exec)."""
    hashed = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hashed.update(block)
    return hashed.hexdigest()


def jobs(args: argparse.Namespace) -> None:
    log = realistic(args.records)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n = max(2, cores or 2)
    one, many = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out1, outn = Path(tmp) / "one.jsonl", Path(tmp) / "many.jsonl"
        for _ in range(args.runs):
            one.append(timed([*CLASSIFY, "--jobs", "1", str(log)], out1)[0])
            many.append(timed([*CLASSIFY, "--jobs", str(n), str(log)], outn)[0])
        same = digest(out1) == digest(outn)
    a, b = statistics.median(one), statistics.median(many)
    pairs = [x / y for x, y in zip(one, many, strict=True)]
    print(f"--jobs {n}:      {b:7.2f} s vs {a:.2f} s with --jobs 1 = {a / b:.2f}x "
          f"({min(pairs):.2f}-{max(pairs):.2f}x run by run; target >= {0.8 * n:.1f}x); "
          f"output {'byte-identical' if same else 'DIFFERS'}")  # fmt: skip


def memory(args: argparse.Namespace) -> None:
    log = realistic(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        head = Path(tmp) / "head.jsonl"
        with open(log, "rb") as source, open(head, "wb") as sink:
            for _, line in zip(range(100_000), source, strict=False):
                sink.write(line)
        small, large = (
            t.peak_kib
            for t in medians(
                [[*CLASSIFY, "--jobs", "1", str(head)], [*CLASSIFY, "--jobs", "1", str(log)]], 1
            )
        )
    print(f"peak RSS:      {small / 1024:5.0f} MiB at 100,000 records, {large / 1024:5.0f} MiB at "
          f"{count(log):,} (target <= 64 MiB, flat)")  # fmt: skip


def extra_rules(directory: Path, n: int = 1000) -> Path:
    """``n`` plausible rules: codes, statuses and messages that real records do not hit."""
    lines = ["version: 1", "rules:"]
    for i in range(n):
        kind = i % 4
        match = (
            f"{{service_code: {20000 + i}}}" if kind == 0 else
            f"{{http_status: {[418, 451, 507, 599][i % 4]}, message: 'team error {i}\\\\b'}}" if kind == 1 else
            f"{{message: 'gateway {i} said (?:no|nope) to tenant \\\\d+'}}" if kind == 2 else
            f"{{task_status: failed, message: 'custom failure {i}'}}"
        )  # fmt: skip
        lines += [
            f"  - id: bench.extra.{i}",
            f"    title: Extra rule {i}",
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


def scaling(args: argparse.Namespace) -> None:
    log = realistic(200_000)
    with tempfile.TemporaryDirectory() as tmp:
        rules = extra_rules(Path(tmp))
        base, extra = medians(
            [[*CLASSIFY, "-j1", str(log)], [*CLASSIFY, "-j1", "--rules", str(rules), str(log)]],
            args.runs,
        )
    print(f"+1,000 rules:  {extra.median:7.2f} s ({extra.spread()}) vs {base.median:.2f} s "
          f"({base.spread()}) = {base.median / extra.median:.0%} of the built-in-only "
          "throughput (target >= 70%)")  # fmt: skip


def startup(args: argparse.Namespace) -> None:
    record = b'{"status": 429, "body": {"code": 1303, "message": "parallel task over resource pack limit"}}\n'
    command = [CLI, "classify", "--no-config"]
    imports, one = [], []
    with tempfile.TemporaryDirectory() as store:
        # What a user's every run but the first costs: the validated rules and rendered
        # texts come from the store (a first run, or KLING_ERRORS_NO_CACHE=1, loads the files).
        warm = {k: v for k, v in os.environ.items() if k != "KLING_ERRORS_NO_CACHE"}
        warm["KLING_ERRORS_CACHE_DIR"] = store
        timed(command, stdin=record, env=warm)
        for _ in range(args.startup_runs):
            imports.append(timed([PYTHON, "-c", "import click, yaml, jinja2"])[0])
            one.append(timed(command, stdin=record, env=warm)[0])
    imp, cls = statistics.median(imports), statistics.median(one)
    ratios = [c / i for c, i in zip(one, imports, strict=True)]
    print(f"start-up:      {cls * 1000:5.0f} ms for one record vs {imp * 1000:5.0f} ms for the "
          f"imports = {cls / imp:.2f}x ({min(ratios):.2f}-{max(ratios):.2f}x run by run; "
          "target <= 1.5x; rules from the store)")  # fmt: skip


PARTS = {"logs": logs, "jobs": jobs, "memory": memory, "scaling": scaling, "startup": startup}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"any of {','.join(PARTS)}")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")  # fmt: skip
    for part in args.parts.split(","):
        PARTS[part](args)


if __name__ == "__main__":
    main()
