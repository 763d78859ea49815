"""`classify` as a library call: every record of the input files classified and written
(or summarised) in input order, on one process or, for large files, on several (_parallel).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TextIO

from ._engine import Engine
from ._output import Writer
from ._pipeline import RunOptions, Tally, classified
from ._read import STDIN, ReadProgress, read_paths
from ._report import ReportData

MIN_BYTES_PER_JOB = 4 << 20  # below this per process, forking costs more than it gains


def default_jobs(paths: list[str]) -> int:
    """The number of cores, for inputs large enough to pay; 1 for stdin and small files."""
    if STDIN in paths:
        return 1
    try:
        size = sum(os.stat(p).st_size for p in paths)
    except OSError:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, size // MIN_BYTES_PER_JOB))


def run(
    engine: Engine,
    paths: list[str],
    out: TextIO,
    options: RunOptions,
    *,
    jobs: int = 1,
    progress: ReadProgress | None = None,
    on_progress: Callable[[int], None] | None = None,
    report: bool = False,
) -> Tally:
    """Classify every record of ``paths`` and write them (or their summary) to ``out``.

    ``on_progress(records_done)`` is called now and then; the returned Tally counts every
    record (what `--fail-on-unmatched` and `--summary` read) and, with ``report``, holds
    what `--report` shows.
    """
    writer = Writer(out, options.fmt, options.color)
    tally = Tally(report=ReportData() if report else None)
    index = 0
    if jobs > 1:
        from ._parallel import Splitter  # multiprocessing: 20 ms of start-up, only when used
    for path in paths:
        splitter = Splitter.for_path(path, jobs) if jobs > 1 else None
        if splitter is not None:
            index = splitter.run(engine, writer, options, tally, index, progress, on_progress)
            continue
        records = read_paths([path], progress)
        for raw, diagnosis, tail in classified(engine, writer, records, options, index):
            if on_progress is not None and index % 1000 == 0:
                on_progress(index)
            tally.add(raw, diagnosis)
            if not options.summary:
                writer.write(index, tail)
            index += 1
    if options.summary:
        summary, as_text = tally.summary, options.fmt == "text"
        text = summary.to_text() if as_text else json.dumps(summary.to_dict(), indent=2)
        out.write(text + "\n")
    else:
        writer.close()
    engine.save_renders()
    return tally
