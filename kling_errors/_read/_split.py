"""Where a line-based log can be cut so that each part reads as it would inside the whole
file: what lets `classify --jobs N` give each process a byte range of its own.

Whether a line joins the record above depends on the lines before it (an open traceback,
a JSON value left open), so a cut is made only after three consecutive lines that are each
a complete JSON object starting in column 0. Whatever state the reader was in before them,
it has yielded them all and holds nothing after the third (tests/test_parallel.py tries
every cut of hostile logs against a whole-file read). Line numbers at each cut come from
counting newlines, so a file with a lone CR (which also ends a line) is not split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_SCAN_LINES = 2_000  # lines looked at after a target offset for a cut
_MAX_LINE = 1 << 20  # a longer line is never one of the three
_BLOCK = 4 << 20  # bytes counted at a time


@dataclass(frozen=True)
class Part:
    """A byte range of a file that reads by itself as it would inside the whole file."""

    path: str
    start: int
    end: int
    lines_before: int  # physical lines before ``start``: the first line read is this + 1


def split(path: str, part_bytes: int) -> list[Part] | None:
    """The file cut into parts of about ``part_bytes``; None when it cannot be cut (a lone
    CR) or is too small to be worth it. The caller checks it reads as lines at all."""
    size = Path(path).stat().st_size
    if size < 2 * part_bytes:
        return None
    with open(path, "rb") as handle:
        cuts: list[int] = []
        for target in range(part_bytes, size - part_bytes // 2, part_bytes):
            cut = _cut_after(handle, max(target, cuts[-1] if cuts else 0))
            if cut is not None and cut < size and (not cuts or cut > cuts[-1]):
                cuts.append(cut)
        lines = _lines_before(handle, cuts)
    if lines is None or not cuts:
        return None
    starts, ends = [0, *cuts], [*cuts, size]
    return [
        Part(path, start, end, before)
        for start, end, before in zip(starts, ends, [0, *lines], strict=True)
    ]


def _cut_after(handle: BinaryIO, target: int) -> int | None:
    """The offset after the first three consecutive complete JSON-object lines that follow
    ``target`` (within MAX_SCAN_LINES lines), or None."""
    handle.seek(target)
    handle.readline(_MAX_LINE)  # the rest of the line ``target`` falls in
    run = 0
    for _ in range(MAX_SCAN_LINES):
        line = handle.readline(_MAX_LINE)
        if not line:
            return None
        run = run + 1 if _complete_json_object(line) else 0
        if run == 3:
            return handle.tell()
    return None


def _complete_json_object(line: bytes) -> bool:
    """A whole line (newline-terminated) holding one JSON object, from column 0."""
    if not line.startswith(b"{") or not line.endswith(b"\n") or b"\x00" in line:
        return False
    try:
        value = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return False
    return isinstance(value, dict)


def _lines_before(handle: BinaryIO, cuts: list[int]) -> list[int] | None:
    """Newlines before each cut, in one pass; None if the file holds a lone CR."""
    handle.seek(0)
    found: list[int] = []
    lines = crs = crlfs = position = 0
    previous_cr = False
    pending = list(cuts)
    while True:
        block = handle.read(_BLOCK)
        if not block:
            break
        crs += block.count(b"\r")
        crlfs += block.count(b"\r\n") + (previous_cr and block.startswith(b"\n"))
        previous_cr = block.endswith(b"\r")
        while pending and pending[0] <= position + len(block):
            found.append(lines + block.count(b"\n", 0, pending.pop(0) - position))
        lines += block.count(b"\n")
        position += len(block)
    return found if crs == crlfs else None
