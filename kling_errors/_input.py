"""Reading inputs: files or stdin -> a stream of raw records, one per logged failure.

Per file the shape is detected once: a JSON array (or HAR file, or one pretty-printed
JSON object), JSON lines, or plain text log lines. In text, a multi-line traceback or
stack trace belongs to the line that started it. Nothing here raises on bad content:
an undecodable record becomes a RawRecord with ``unreadable`` set.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._exceptions import InputError
from ._models import Location

if TYPE_CHECKING:
    from ._repeat import Sketch

    Sketcher = Callable[[str], Sketch | None]

STDIN = "-"
MAX_RECORD_LINES = 500

_BOM = b"\xef\xbb\xbf"
_TRACEBACK_START = "Traceback (most recent call last):"
_CHAIN_LINES = (
    "During handling of the above exception",
    "The above exception was the direct cause",
    "Caused by:",
)
# Lines that belong to the record above them: httpx's HTTPStatusError adds a second line.
_FOLLOW_LINES = ("For more information check:",)
# "    at fn (file.js:1:2)" (JS), "\tat com.x.Y(Y.java:1)" (Java), "  File ..." (Python)
_INDENTED = re.compile(r"^[ \t]+\S")


@dataclass(frozen=True)
class RawRecord:
    """One record as read: a parsed JSON value, a text string, or why it is unreadable.

    A JSON line that repeats a known skeleton (see _repeat.py) is not parsed: ``value`` is
    None and ``sketch.line`` holds the text.
    """

    location: Location
    value: Any = None
    unreadable: str | None = None
    sketch: Sketch | None = None


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


class ReadProgress:
    """Bytes read so far, and the total when every input is a plain file (for an ETA)."""

    def __init__(self, paths: list[str]) -> None:
        self.bytes_read = 0
        sizes = [Path(p).stat().st_size for p in paths if p != STDIN and Path(p).is_file()]
        self.total: int | None = sum(sizes) if len(sizes) == len(paths) else None

    def count(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        for line in lines:
            self.bytes_read += len(line)
            yield line


def read_paths(
    paths: Iterable[str], progress: ReadProgress | None = None, sketch: Sketcher | None = None
) -> Iterator[RawRecord]:
    """Records of every path in order; ``sketch`` splits JSON lines for the repeat cache."""
    for path in paths:
        if path == STDIN:
            stdin: Iterable[bytes] = sys.stdin.buffer
            yield from read_stream(progress.count(stdin) if progress else stdin, "<stdin>", sketch)
            continue
        try:
            with open(path, "rb") as raw:
                magic = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
                if magic == b"\x1f\x8b":
                    if progress is not None:
                        progress.total = None  # compressed: bytes read do not tell the share
                    with gzip.open(raw) as unzipped:
                        yield from read_stream(unzipped, path, sketch)
                else:
                    yield from read_stream(progress.count(raw) if progress else raw, path, sketch)
        except OSError as exc:
            yield RawRecord(Location(path), unreadable=f"cannot read file: {exc}")


def read_stream(
    stream: Iterable[bytes], name: str, sketch: Sketcher | None = None
) -> Iterator[RawRecord]:
    lines = enumerate(stream, start=1)
    head: list[tuple[int, bytes]] = []
    try:
        for lineno, line in lines:
            head.append((lineno, line))
            if line.strip():
                break
        if not head:
            return
        first_line = head[-1][1].lstrip()
        if first_line.startswith(_BOM):
            first_line = first_line[len(_BOM) :].lstrip()
        if first_line.startswith(b"[") or (first_line.startswith(b"{") and not _parses(first_line)):
            yield from _whole_document(head, lines, name)
        else:
            yield from _line_records(chain(head, lines), name, sketch)
    except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt .gz stream
        yield RawRecord(Location(name), unreadable=f"input ended abruptly: {exc}")


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _whole_document(
    head: list[tuple[int, bytes]], rest: Iterator[tuple[int, bytes]], name: str
) -> Iterator[RawRecord]:
    """A JSON array, a HAR file or one pretty-printed object; text lines if it is not JSON."""
    all_lines = head + list(rest)
    data = b"".join(line for _, line in all_lines)
    try:
        value = json.loads(data.removeprefix(_BOM))
    except RecursionError:
        yield RawRecord(Location(name, head[-1][0]), unreadable="JSON nested too deeply")
        return
    except ValueError:
        yield from _line_records(iter(all_lines), name)
        return
    start = head[-1][0]
    if isinstance(value, dict) and isinstance(value.get("log"), dict):
        entries = value["log"].get("entries")
        if isinstance(entries, list):
            for item, entry in enumerate(entries):
                yield RawRecord(Location(name, start, item), entry)
            return
    if isinstance(value, list):
        for item, element in enumerate(value):
            yield RawRecord(Location(name, start, item), element)
        return
    yield RawRecord(Location(name, start), value)


def _decode(raw: bytes) -> tuple[str, str | None]:
    """Text of a line, and why it is unreadable (None when it is fine)."""
    if b"\x00" in raw:
        return "", "binary data (NUL bytes), not a log line"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        if text.count("\ufffd") > max(3, len(text) // 10):
            return "", "not UTF-8 text (binary or another encoding)"
        return text, None


def _line_records(
    lines: Iterator[tuple[int, bytes]], name: str, sketch: Sketcher | None = None
) -> Iterator[RawRecord]:
    group: list[str] = []
    group_start = 0
    in_traceback = False

    def grouped() -> RawRecord:
        record = RawRecord(Location(name, group_start), "\n".join(group))
        group.clear()
        return record

    for lineno, line in lines:
        raw = line[len(_BOM) :] if lineno == 1 and line.startswith(_BOM) else line
        text, problem = _decode(raw)
        if problem:
            if group:
                yield grouped()
            in_traceback = False
            yield RawRecord(Location(name, lineno), unreadable=problem)
            continue
        stripped = text.strip()
        if not stripped:
            continue
        if stripped[0] in "{[" and not in_traceback:
            sketched = sketch(stripped) if sketch is not None and stripped[0] == "{" else None
            if sketched is not None and sketched.answer is not None:
                if group:  # a known skeleton: it parses, like the line it repeats
                    yield grouped()
                yield RawRecord(Location(name, lineno), sketch=sketched)
                continue
            try:
                value = json.loads(stripped)
            except RecursionError:
                if group:
                    yield grouped()
                yield RawRecord(Location(name, lineno), unreadable="JSON nested too deeply")
                continue
            except ValueError:
                value = None
            if value is not None:
                if group:
                    yield grouped()
                yield RawRecord(Location(name, lineno), value, sketch=sketched)
                continue
        text = text.rstrip("\r\n")
        continues = bool(group) and len(group) < MAX_RECORD_LINES
        if continues and stripped.startswith((_TRACEBACK_START, *_CHAIN_LINES)):
            in_traceback = True
        elif continues and (_INDENTED.match(text) or stripped.startswith(_FOLLOW_LINES)):
            pass
        elif continues and in_traceback:
            in_traceback = False  # the exception line that ends a Python traceback
        else:
            if group:
                yield grouped()
            group_start = lineno
            # logger.error(f"failed: {traceback.format_exc()}") starts one mid-line
            in_traceback = stripped.endswith(_TRACEBACK_START)
        group.append(text)
    if group:
        yield grouped()
