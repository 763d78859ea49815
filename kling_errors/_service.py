"""The state of `kling-errors serve` (kling_errors._serve): the loaded rules and their
reloading, the limits, and the reading of request bodies.

A Service holds one Loaded rule set at a time — the engine, the writer that formats records
as `classify --format jsonl` does, the export — and replaces it whole on reload: a request
reads ``service.current`` once, so it sees one rule set from start to end. A reload runs on a
worker thread and keeps the old rules if the new ones fail to load (every problem logged).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from ._engine import Engine
from ._exceptions import RuleError
from ._export import document_text, export_document
from ._output import Writer
from ._redact import redact

MAX_BODY_BYTES = 1 << 20  # 1 MiB
MAX_BATCH = 1_000
LOG = logging.getLogger("kling_errors.serve")


class ServeError(Exception):
    """An answer with a 4xx status and a JSON error body."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


@dataclass(frozen=True)
class Loaded:
    """One loaded rule set and what is derived from it (replaced whole on reload)."""

    engine: Engine
    writer: Writer  # Writer.tail formats a record as `classify --format jsonl` writes it
    export: bytes  # `rules export`
    digest: str
    positions: dict[str, int]
    loaded_at: str

    @classmethod
    def build(cls, engine: Engine) -> Loaded:
        document = export_document(engine)
        return cls(
            engine,
            Writer(io.StringIO(), "jsonl"),
            document_text(document).encode(),
            document["digest"],
            {rule.id: position for position, rule in enumerate(engine.rules)},
            datetime.now(UTC).isoformat(timespec="seconds"),
        )


@dataclass
class Service:
    """The loaded rules, their reloading, and the limits of one running service."""

    load: Callable[[], Engine]
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch: int = MAX_BATCH
    current: Loaded = field(init=False)
    reloads: int = 0
    last_reload_error: str | None = None
    _reloading: asyncio.Lock | None = None
    _again: bool = False

    def __post_init__(self) -> None:
        self.current = Loaded.build(self.load())  # a bad rule set fails here, before serving

    async def reload(self) -> bool:
        """Load the rules again on a worker thread; keep the old ones if that fails.
        Signals that arrive during a reload cause one more reload after it."""
        if self._reloading is None:
            self._reloading = asyncio.Lock()
        if self._reloading.locked():
            self._again = True
            return False
        async with self._reloading:
            ok = await self._reload_once()
            while self._again:
                self._again = False
                ok = await self._reload_once()
        return ok

    async def _reload_once(self) -> bool:
        started = time.monotonic()
        try:
            loaded = await asyncio.to_thread(lambda: Loaded.build(self.load()))
        except RuleError as exc:
            self.last_reload_error = f"{len(exc.problems)} problem(s): {exc.message}"
            LOG.error(
                "rule reload failed; keeping the %d rules loaded at %s",
                len(self.current.engine.rules),
                self.current.loaded_at,
            )
            for problem in exc.problems:
                LOG.error("  %s", problem)
            return False
        except Exception as exc:  # any other failure also keeps the rules that work
            self.last_reload_error = f"{type(exc).__name__}: {redact(str(exc))}"
            LOG.exception(
                "rule reload failed; keeping the rules loaded at %s", self.current.loaded_at
            )
            return False
        self.current = loaded
        self.reloads += 1
        self.last_reload_error = None
        LOG.info(
            "rules reloaded: %d rules (%s) in %.2f s",
            len(loaded.engine.rules),
            loaded.digest[:19],
            time.monotonic() - started,
        )
        return True

    # ---- reading requests -----------------------------------------------------------

    async def json_body(self, request: Request) -> Any:
        """The body parsed as JSON (whatever its Content-Type), within the size limit."""
        limit = self.max_body_bytes
        too_large = ServeError(
            413,
            f"the body is larger than the limit of {limit:,} bytes",
            "split the records into smaller batches",
        )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        data = b"".join(chunks)
        if not data.strip():
            raise ServeError(400, "the body is empty", "send a JSON value")
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:  # its message names a position, never the text
            raise ServeError(400, f"malformed JSON: {exc}", "send one JSON value") from None
        except UnicodeDecodeError:
            raise ServeError(400, "the body is not UTF-8 text", "send JSON in UTF-8") from None
        except RecursionError:
            raise ServeError(400, "the JSON is nested too deeply", "flatten it") from None
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            raise ServeError(400, f"unreadable JSON: {exc}", "send one JSON value") from None

    def records(self, body: Any) -> tuple[list[Any], bool]:
        """(records, is a batch): {"records": [...]} is a batch, anything else one record."""
        if isinstance(body, list):
            raise ServeError(
                422,
                "a JSON array is not a record",
                'send one record, or a batch as {"records": [...]}',
            )
        if not (isinstance(body, dict) and "records" in body):
            return [body], False
        records = body["records"]
        if not isinstance(records, list) or len(body) != 1:
            raise ServeError(
                422,
                'a batch is an object with one member, "records", an array of records',
                'send {"records": [record, ...]}',
            )
        if len(records) > self.max_batch:
            raise ServeError(
                422,
                f"the batch has {len(records):,} records; the limit is {self.max_batch:,}",
                f"send at most {self.max_batch:,} records per request",
            )
        return records, True
