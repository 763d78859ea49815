"""Large logs on one machine: `classify --jobs N` against Spark local[N] and Dask (N
processes) on the same realistic log. README "Large logs".

    python bench/large.py [--records 1000000] [--jobs 2]

Each figure is one run, wall time from start to the last record classified (Spark's and
Dask's own start-up included: that is what a user waits for); outputs go nowhere (the CLI
to /dev/null, Spark to the `noop` sink, Dask through a count).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = str(Path(sys.executable).parent / "kling-errors")
ENV = {**os.environ, "KLING_ERRORS_NO_CACHE": "1"}


def log_of(records: int) -> Path:
    path = HERE / "data" / f"realistic-mixed-{records}.jsonl"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, str(HERE / "make_realistic.py"), str(records), str(path)], check=True
        )
    return path


def cli(log: Path, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [CLI, "classify", "--no-config", "-q", "--jobs", str(jobs), "-o", os.devnull, str(log)],
        check=True,
        env=ENV,
    )
    return time.perf_counter() - start


def spark(log: Path, jobs: int) -> float:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    start = time.perf_counter()
    from pyspark.sql import SparkSession

    from kling_errors.spark import classify_frame

    session = (
        SparkSession.builder.master(f"local[{jobs}]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    lines = session.read.text(str(log))
    classify_frame(lines).write.format("noop").mode("overwrite").save()
    seconds = time.perf_counter() - start
    session.stop()
    return seconds


def dask(log: Path, jobs: int) -> float:
    import dask as dask_
    import dask.bag as db

    from kling_errors.dask import classify_bag

    start = time.perf_counter()
    lines = db.read_text(str(log), blocksize=32 << 20).map(str.rstrip)
    with dask_.config.set(scheduler="processes", num_workers=jobs):
        classify_bag(lines).count().compute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    log = log_of(args.records)
    print(f"{args.records:,} records ({log.stat().st_size / 1e6:.0f} MB), {args.jobs} processes")
    for name, measure in (
        ("classify --jobs", cli),
        ("Spark local", spark),
        ("Dask processes", dask),
    ):
        seconds = measure(log, args.jobs)
        print(f"{name:16} {seconds:7.1f} s  {args.records / seconds:>8,.0f} records/s", flush=True)


if __name__ == "__main__":
    main()
