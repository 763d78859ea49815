"""Reading inputs: files or stdin -> a stream of raw records, one per logged failure.

Per file the shape is detected once: a JSON array (or HAR file, or one pretty-printed
JSON object), JSON lines, or plain text log lines. Nothing here raises on bad content:
an undecodable record becomes a RawRecord with ``unreadable`` set.

Memory stays bounded whatever the input: lines are read with a size limit (a longer one
is skipped and becomes one ``unreadable`` record, as is a record that would grow past
MAX_RECORD_BYTES), and JSON arrays and HAR files are parsed element by element, never
held whole. A file that only looks like a JSON document (``[2024-05-01 12:00:00] INFO``)
is read as lines.

In text, a line continues the record above it only for what it is, never for its
indentation alone: a traceback (also one that starts mid-line) and its frames, a JS, Java
or Go stack frame, httpx's "For more information check:" line, or the rest of a JSON
value a line left open — each within MAX_RECORD_LINES lines.
"""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .._exceptions import InputError
from .._models import Location
from ._documents import document
from ._lines import line_records
from ._raw import (
    BOM,
    CHUNK,
    MAX_RECORD_BYTES,
    STDIN,
    Bounded,
    Prepended,
    RawRecord,
    Readable,
    Recoded,
    looks_utf16,
    physical_lines,
)
from ._split import Part

GZIP_MAGIC = b"\x1f\x8b"

__all__ = ["STDIN", "RawRecord", "ReadProgress", "check_paths", "read_paths", "read_stream"]


def check_paths(paths: Iterable[str]) -> None:
    """Fail before any output when an input file cannot be opened at all."""
    for path in paths:
        if path == STDIN:
            continue
        p = Path(path)
        if not p.exists():
            raise InputError(f"{path}: no such file", "check the path, or pipe the log on stdin")
        if p.is_dir():
            raise InputError(f"{path}: is a directory", "pass the log files inside it")
        try:
            with p.open("rb"):
                pass
        except OSError as exc:
            raise InputError(
                f"{path}: cannot open: {exc.strerror or exc}", "check the file's permissions"
            ) from None


class _Counted:
    """A binary stream that counts the bytes read through it."""

    def __init__(self, stream: Readable, progress: ReadProgress) -> None:
        self._stream, self._progress = stream, progress

    def readline(self, size: int = -1, /) -> bytes:
        line = self._stream.readline(size)
        self._progress.bytes_read += len(line)
        return line


class ReadProgress:
    """Bytes read so far, and the total when every input is a plain file (for an ETA)."""

    def __init__(self, paths: list[str]) -> None:
        self.bytes_read = 0
        sizes = [Path(p).stat().st_size for p in paths if p != STDIN and Path(p).is_file()]
        self.total: int | None = sum(sizes) if len(sizes) == len(paths) else None

    def count(self, stream: Readable) -> Readable:
        return _Counted(stream, self)


def read_paths(paths: Iterable[str], progress: ReadProgress | None = None) -> Iterator[RawRecord]:
    """Records of every path in order."""
    for path in paths:
        if path == STDIN:
            stdin: Readable = sys.stdin.buffer
            yield from read_stream(progress.count(stdin) if progress else stdin, "<stdin>")
            continue
        try:
            with open(path, "rb") as raw:
                if raw.peek(2)[:2] == GZIP_MAGIC:
                    if progress is not None:
                        progress.total = None  # compressed: bytes read do not tell the share
                    with gzip.open(raw) as unzipped:
                        yield from read_stream(unzipped, path)
                else:
                    yield from read_stream(progress.count(raw) if progress else raw, path)
        except OSError as exc:
            yield RawRecord(Location(path), unreadable=f"cannot read file: {exc}")


@dataclass(frozen=True)
class _Opening:
    """How a stream starts: its first non-blank line, and whether it is a JSON document."""

    stream: Readable  # recoded to UTF-8 if it was UTF-16
    first: bytes
    blank_lines: int
    document: bool
    utf16: bool


def _opening(stream: Readable) -> _Opening | None:
    """Read up to the first non-blank line (None: the stream holds nothing but blanks)."""
    first = stream.readline(CHUNK)
    utf16 = looks_utf16(first)
    if utf16:
        stream = Recoded(stream, first)
        first = stream.readline(CHUNK)
    blank_lines = 0
    while first and not first.removeprefix(BOM).strip():  # blank lines before it all
        blank_lines += first.count(b"\n")
        first = stream.readline(CHUNK)
    if not first:
        return None
    start = first.removeprefix(BOM).lstrip()
    if start.startswith(b"{") and not first.endswith(b"\n"):
        first += stream.readline(MAX_RECORD_BYTES)  # the whole first line, to try it
    overlong = len(first) > MAX_RECORD_BYTES and not first.endswith(b"\n")
    document = start.startswith(b"[") or (
        start.startswith(b"{") and not overlong and not _parses(first)
    )
    return _Opening(stream, first, blank_lines, document, utf16)


def read_stream(stream: Readable, name: str) -> Iterator[RawRecord]:
    try:
        opening = _opening(stream)
        if opening is None:
            return
        if opening.document:
            yield from document(opening.first, opening.stream, name, opening.blank_lines + 1)
        else:
            lines = physical_lines(Prepended(opening.first, opening.stream), opening.blank_lines)
            yield from line_records(lines, name)
    except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt .gz stream
        yield RawRecord(Location(name), unreadable=f"input ended abruptly: {exc}")


@contextmanager
def part_records(part: Part) -> Iterator[tuple[Iterator[RawRecord], Bounded]]:
    """The records of one part of a file (_split), as a whole-file read gives them, and the
    bounded stream they come from (``left`` > 0 afterwards: the reader gave up early)."""
    with open(part.path, "rb") as handle:
        handle.seek(part.start)
        stream = Bounded(handle, part.end - part.start)
        if part.start == 0:
            yield read_stream(stream, part.path), stream
        else:
            yield line_records(physical_lines(stream, part.lines_before), part.path), stream


def reads_as_lines(path: str) -> bool:
    """True for a plain (not compressed, not UTF-16) file read line by line, not as a JSON
    document: the files whose records _split can find without reading from the start."""
    try:
        with open(path, "rb") as handle:
            if handle.peek(2)[:2] == GZIP_MAGIC:
                return False
            opening = _opening(handle)
    except OSError:
        return False
    return opening is not None and not opening.document and not opening.utf16


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True
