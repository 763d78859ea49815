"""Line-based logs: JSON lines and text lines, grouped into records by what they are.

A line continues the record above it only for what it is, never for its indentation alone:
a traceback (also one that starts mid-line) and its frames, a JS, Java or Go stack frame,
httpx's "For more information check:" line, or the rest of a JSON value a line left open —
each within MAX_RECORD_LINES lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from .._models import Location
from ._raw import BOM, MAX_RECORD_BYTES, MAX_RECORD_LINES, OVERLONG, RawRecord, decode_line, expand

_TRACEBACK_START = "Traceback (most recent call last):"
_CHAIN_LINES = (
    "During handling of the above exception",
    "The above exception was the direct cause",
    "Caused by:",
)
# Lines that belong to the record above them, by what they are.
_FOLLOW_LINES = ("For more information check:",)  # httpx's HTTPStatusError, second line
_FRAME = re.compile(
    r"^[ \t]+(?:at |File \"|\.\.\. \d+ more|\S+\.(?:go|py|js|mjs|cjs|ts|java|kt|rb|rs|cs|php):\d+)"
    r"|^\t\S+\(.*\)$"  # Go: "\tmain.main()"
)


class _Group:
    """The lines of one text record, and what lets the next line join it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.start = 0
        self.size = 0
        self.in_traceback = False
        self.open = 0  # JSON brackets left open by its lines

    def add(self, text: str) -> None:
        self.lines.append(text)
        self.size += len(text)
        self.open = max(0, self.open + _open_brackets(text))

    def continued_by(self, text: str, stripped: str) -> bool:
        if not self.lines or len(self.lines) >= MAX_RECORD_LINES or self.size > MAX_RECORD_BYTES:
            return False
        if stripped.startswith((_TRACEBACK_START, *_CHAIN_LINES)):
            self.in_traceback = True
            return True
        if (self.open and _JSON_GOES_ON.match(text)) or stripped.startswith(_FOLLOW_LINES):
            return True
        if _FRAME.match(text):
            return True
        if self.in_traceback:
            self.in_traceback = False  # the exception line that ends a Python traceback
            if text[:1].isspace():  # still inside: a code line under a frame
                self.in_traceback = True
            return True
        return False

    def record(self, name: str) -> RawRecord:
        record = RawRecord(Location(name, self.start), "\n".join(self.lines))
        self.lines = []
        self.size = self.open = 0
        self.in_traceback = False
        return record


# A line of a pretty-printed JSON value that an earlier line left open.
_JSON_GOES_ON = re.compile(r'^[ \t]+["\[{\]}0-9tfn-]|^[\]}]')
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')


def _open_brackets(text: str) -> int:
    """Brackets a line opens minus those it closes, outside JSON strings."""
    if "{" not in text and "[" not in text and "}" not in text and "]" not in text:
        return 0
    depth = 0
    for token in _BRACKETS.findall(text[:65536]):
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
    return depth


def line_records(lines: Iterator[tuple[int, bytes | None]], name: str) -> Iterator[RawRecord]:
    group = _Group()
    for lineno, line in lines:
        if line is None:
            if group.lines:
                yield group.record(name)
            yield RawRecord(Location(name, lineno), unreadable=OVERLONG)
            continue
        raw = line[len(BOM) :] if lineno == 1 and line.startswith(BOM) else line
        text, problem = decode_line(raw)
        if problem:
            if group.lines:
                yield group.record(name)
            yield RawRecord(Location(name, lineno), unreadable=problem)
            continue
        stripped = text.strip()
        if not stripped:
            continue
        if stripped[0] in "{[" and not group.in_traceback and not group.open:
            try:
                value = json.loads(stripped)
            except RecursionError:
                if group.lines:
                    yield group.record(name)
                yield RawRecord(Location(name, lineno), unreadable="JSON nested too deeply")
                continue
            except ValueError:
                value = None
            if value is not None:
                if group.lines:
                    yield group.record(name)
                yield from expand(value, Location(name, lineno))
                continue
        text = text.rstrip("\r\n")
        if not group.continued_by(text, stripped):
            if group.lines:
                yield group.record(name)
            group.start = lineno
            # logger.error(f"failed: {traceback.format_exc()}") starts one mid-line
            group.in_traceback = stripped.endswith(_TRACEBACK_START)
        group.add(text)
    if group.lines:
        yield group.record(name)
