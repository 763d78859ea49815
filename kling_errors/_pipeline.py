"""The classify pipeline, record by record: raw records in, diagnoses and their formatted
records out, in input order.

    read_paths ─▶ RawRecord ─▶ Engine.classify_raw ─▶ Diagnosis ─▶ Writer.tail

``classify_paths`` is what a program calls for the diagnoses; ``classified`` is what
`classify` runs on one process or in each worker (_run, _parallel), so the output cannot
differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._engine import Engine
from ._match import explain_candidates
from ._models import Diagnosis
from ._output import Summary, Writer
from ._read import RawRecord, ReadProgress, read_paths
from ._report import ReportData


@dataclass(frozen=True)
class RunOptions:
    """How `classify` shows its results."""

    fmt: str = "jsonl"  # text | jsonl | json
    color: bool = False
    why: bool = False  # every matching rule and why the winner won
    summary: bool = False  # counts instead of records


def classify_paths(
    paths: Iterable[str], engine: Engine | None = None, progress: ReadProgress | None = None
) -> Iterator[Diagnosis]:
    """One Diagnosis per record of the files (``-`` is stdin), in order, whatever they hold."""
    return (engine or Engine()).classify_records(read_paths(paths, progress))


def classified(
    engine: Engine, writer: Writer, records: Iterable[RawRecord], options: RunOptions, start: int
) -> Iterator[tuple[RawRecord, Diagnosis, str]]:
    """Each record, its diagnosis and its formatted record minus the index (Writer.tail);
    ``start`` is the index of the first record. The one place records are formatted."""
    for index, raw in enumerate(records, start):
        diagnosis = engine.classify_raw(raw, index)
        why: list[dict[str, Any]] | None = None
        if options.why and raw.unreadable is None:
            why = explain_candidates(engine.candidates(raw.value))
        yield raw, diagnosis, "" if options.summary else writer.tail(diagnosis, why)


@dataclass
class Tally:
    """What a run counts besides the records it writes: the summary, and the report's data
    when `--report` asks for it. Workers each keep one; the parent merges them."""

    summary: Summary = field(default_factory=Summary)
    report: ReportData | None = None

    def add(self, raw: RawRecord, diagnosis: Diagnosis) -> None:
        self.summary.add(diagnosis)
        if self.report is not None:
            self.report.add(raw, diagnosis)

    def merge(self, other: Tally) -> None:
        self.summary.merge(other.summary)
        if self.report is not None and other.report is not None:
            self.report.merge(other.report)

    def empty(self) -> Tally:
        """A new tally that counts what this one counts."""
        return Tally(report=ReportData() if self.report is not None else None)
