"""The classify pipeline, record by record: raw records in, diagnoses and their formatted
records out, in input order.

    read_paths ─▶ RawRecord ─▶ Engine.classify_raw ─▶ Diagnosis ─▶ Writer.tail

``classify_paths`` is what a program calls for the diagnoses; ``tails`` is what `classify`
runs on one process or in each worker (_run, _parallel), so the output cannot differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ._engine import Engine
from ._match import explain_candidates
from ._models import Diagnosis
from ._output import Writer
from ._read import RawRecord, ReadProgress, read_paths


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


def tails(
    engine: Engine, writer: Writer, records: Iterable[RawRecord], options: RunOptions, start: int
) -> Iterator[tuple[Diagnosis, str]]:
    """Each record's diagnosis and its formatted record minus the index (Writer.tail);
    ``start`` is the index of the first record. The one place records are formatted."""
    for index, raw in enumerate(records, start):
        diagnosis = engine.classify_raw(raw, index)
        why: list[dict[str, Any]] | None = None
        if options.why and raw.unreadable is None:
            why = explain_candidates(engine.candidates(raw.value))
        yield diagnosis, "" if options.summary else writer.tail(diagnosis, why)
