"""Classifying one column of values (log lines or JSON strings) where each value is one
record: what the Spark and Dask integrations run on each partition.

A value is read as a JSON line or a text line is read by `classify`: JSON when it parses
(an object or array starting the line), text otherwise. Records that span lines (a
traceback and its frames) are one row only if the table holds them so; a row holding a JSON
array is one record (unreadable, as a record cannot be an array) — unlike a log file, where
`classify` reads each element. The engine is built once per process from a pickled rule
set and kept (``engine_for``), so a cluster loads no rule file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ._engine import Engine
from ._models import Diagnosis, Location
from ._rules import RuleSet

_ENGINES: dict[str, Engine] = {}  # per process: rule sets seen, by content key


def engine_for(rules: RuleSet) -> Engine:
    """This process's engine for ``rules`` (built on first use, then reused)."""
    key = rules.cache_key or str(id(rules))
    engine = _ENGINES.get(key)
    if engine is None:
        if len(_ENGINES) >= 8:
            _ENGINES.clear()
        engine = _ENGINES[key] = Engine(rules)
    return engine


def record_of(value: Any) -> Any:
    """A column value as the record `classify` would read from that line."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(stripped)
            except (ValueError, RecursionError):
                return value
        return value
    return value  # already structured (a dict from a JSON reader), or None


def classify_values(
    engine: Engine, values: Iterable[Any], *, source: str | None = None, start: int = 0
) -> Iterator[Diagnosis]:
    """One Diagnosis per value, in order; ``start`` numbers the first one (``index``)."""
    for index, value in enumerate(values, start):
        location = Location(source, index + 1) if source is not None else None
        yield engine.classify(record_of(value), index=index, location=location)
