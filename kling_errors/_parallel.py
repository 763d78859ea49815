"""`classify --jobs N`: a large log split by byte ranges across worker processes.

Each worker reads its own part of the file (_read._split finds cuts where a part reads as
it would inside the whole file), classifies it and formats every record without its index
(_pipeline.tails, the same code as one process runs); the parent numbers and writes the
records in input order and adds up the summaries. So the output is byte for byte that of
``--jobs 1``.

Workers are forked: they inherit the loaded rules instead of loading them again. Where
fork is not available (Windows), or the input is stdin, compressed, a JSON document or
small, the file is read on one process.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from ._engine import Engine
from ._output import Writer
from ._pipeline import RunOptions, Tally, classified
from ._read import STDIN, ReadProgress, part_records, reads_as_lines
from ._read._split import Part, split

PART_BYTES = 2 << 20  # input per task: small enough to keep the parent's memory flat


@dataclass
class _PartResult:
    count: int
    tails: list[str]
    tally: Tally
    stopped: bool = False  # the reader gave up before the part's end (an endless line)


@dataclass(frozen=True)
class _Work:
    engine: Engine
    writer: Writer
    options: RunOptions
    tally: Tally  # the parent's: a worker counts what it counts


_WORK: _Work | None = None  # set in the parent before forking; inherited by the workers


def _start_worker() -> None:
    """The parent handles Ctrl-C and cleans up; a worker just ends with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _classify_part(part: Part) -> _PartResult:
    assert _WORK is not None, "workers are forked after _WORK is set"
    work = _WORK
    result = _PartResult(0, [], work.tally.empty())
    with part_records(part) as (records, stream):
        for raw, diagnosis, tail in classified(work.engine, work.writer, records, work.options, 0):
            result.count += 1
            result.tally.add(raw, diagnosis)
            if not work.options.summary:
                result.tails.append(tail)
        result.stopped = stream.left > 0
    return result


@dataclass(frozen=True)
class Splitter:
    """One file's parts and how many processes classify them."""

    parts: list[Part]
    jobs: int

    @classmethod
    def for_path(cls, path: str, jobs: int) -> Splitter | None:
        """None when the file is better read on one process (see the module docstring)."""
        if jobs <= 1 or path == STDIN or "fork" not in multiprocessing.get_all_start_methods():
            return None
        if not reads_as_lines(path):
            return None
        parts = split(path, PART_BYTES)
        return cls(parts, jobs) if parts is not None and len(parts) > 1 else None

    def run(
        self,
        engine: Engine,
        writer: Writer,
        options: RunOptions,
        tally: Tally,
        index: int,
        progress: ReadProgress | None,
        on_progress: Callable[[int], None] | None,
    ) -> int:
        """Classify and write every part in order; returns the index after the last record."""
        global _WORK  # noqa: PLW0603 - handed to the forked workers
        _WORK = _Work(engine, writer, options, tally)
        writer.out.flush()  # nothing buffered may be copied into the workers
        context = multiprocessing.get_context("fork")
        parts = iter(self.parts)
        pending: deque[tuple[Part, Future[_PartResult]]] = deque()
        with ProcessPoolExecutor(self.jobs, context, initializer=_start_worker) as pool:
            for part in parts:
                pending.append((part, pool.submit(_classify_part, part)))
                if len(pending) >= 2 * self.jobs:
                    break
            while pending:
                part, future = pending.popleft()
                result = future.result()
                for part_next in parts:  # keep the workers busy, the parent's memory bounded
                    pending.append((part_next, pool.submit(_classify_part, part_next)))
                    break
                for tail in result.tails:
                    writer.write(index, tail)
                    index += 1
                if options.summary:
                    index += result.count
                tally.merge(result.tally)
                if progress is not None:
                    progress.bytes_read += part.end - part.start
                if on_progress is not None:
                    on_progress(index)
                if result.stopped:  # as one process would, read no further
                    for _, later in pending:
                        later.cancel()
                    break
        _WORK = None
        return index
