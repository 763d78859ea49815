"""A bounded load test of `kling-errors serve` on loopback (not a unit test).

    python bench/serve_load.py [--requests 20000] [--concurrency 16] [--batch 1] [--url URL]

Starts `kling-errors serve --port 0 --no-access-log` (unless --url names a running one),
warms it up, then sends --requests POST /v1/classify requests over --concurrency keep-alive
connections, each carrying --batch records taken in turn from the built-in rules' examples
(every category, objects and text lines). Prints the throughput and the latency
percentiles. The client is plain asyncio sockets (HTTP/1.1, keep-alive) so that it costs
little next to the server; on a small machine they still share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from kling_errors import Engine


def _bodies(batch: int) -> list[tuple[bytes, int]]:
    """Request bodies and the number of records in each."""
    records: list[Any] = [
        record
        for rule in Engine().rules
        for record in rule.examples
        if isinstance(record, dict) or (isinstance(record, str) and "\n" not in record)
    ]
    if batch == 1:
        return [(json.dumps(record).encode(), 1) for record in records]
    groups = [(records * batch)[i : i + batch] for i in range(0, len(records) * batch, batch)]
    return [(json.dumps({"records": group}).encode(), len(group)) for group in groups]


def _request(host: str, body: bytes) -> bytes:
    head = (
        f"POST /v1/classify HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _run(
    url: str, bodies: list[tuple[bytes, int]], total: int, concurrency: int
) -> tuple[float, list[float], int, int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [(_request(f"{host}:{port}", body), count) for body, count in bodies]
    latencies: list[float] = []
    failures = records = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, failures, records
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < total:
                index = next_index
                next_index += 1
                started = time.perf_counter()
                request, count = requests[index % len(requests)]
                status = await _one(reader, writer, request)
                latencies.append(time.perf_counter() - started)
                records += count
                failures += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, failures, records


def _start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kling_errors",
            "serve",
            "--port",
            "0",
            "--no-config",
            "--no-access-log",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("kling-errors serve: http://"):
            return process, line.split()[2]
    raise SystemExit("the server did not start")


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(share * 1000) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=1, help="records per request")
    parser.add_argument("--url", help="a running service (default: start one)")
    args = parser.parse_args()
    bodies = _bodies(args.batch)
    process, url = (None, args.url) if args.url else _start_server()
    try:
        time.sleep(0.5)
        asyncio.run(_run(url, bodies, 500, args.concurrency))  # warm-up, not counted
        elapsed, latencies, failures, records = asyncio.run(
            _run(url, bodies, args.requests, args.concurrency)
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait()
    rate = args.requests / elapsed
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()},"
        f" uvicorn {version('uvicorn')}, starlette {version('starlette')}"
    )
    print(
        f"{args.requests:,} requests ({args.batch} record(s) each), {args.concurrency} concurrent,"
        f" on {url}: {elapsed:.2f} s, {rate:,.0f} requests/s ({records / elapsed:,.0f} records/s),"
        f" {failures} failed"
    )
    print(
        "latency: p50 {:.2f} ms, p90 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms".format(
            *(1000 * _percentile(latencies, share) for share in (0.5, 0.9, 0.99)),
            1000 * max(latencies),
        )
    )
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
