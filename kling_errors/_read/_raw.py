"""The pieces every reader shares: the record type, the size limits, physical lines of a
byte stream (bounded), and the stream wrappers (counted, recoded from UTF-16, prepended)."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .._models import Location

STDIN = "-"
MAX_RECORD_LINES = 500
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_SKIPPED_BYTES = 1024 * 1024 * 1024  # an endless line (/dev/zero) ends the file here

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
OVERLONG = f"record longer than {MAX_RECORD_BYTES // (1024 * 1024)} MiB: skipped"


class Readable(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class RawRecord:
    """One record as read: a parsed JSON value, a text string, or why it is unreadable."""

    location: Location
    value: Any = None
    unreadable: str | None = None


class Recoded:
    """A UTF-16 stream (it began with a byte-order mark) read as UTF-8 lines."""

    def __init__(self, stream: Readable, first: bytes) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        self._pending = self._decoder.decode(first)
        self._done = False

    def readline(self, size: int = -1, /) -> bytes:
        limit = size if size > 0 else MAX_RECORD_BYTES
        while "\n" not in self._pending and len(self._pending) < limit and not self._done:
            chunk = self._stream.readline(limit)
            if not chunk:
                self._pending += self._decoder.decode(b"", final=True)
                self._done = True
            else:
                self._pending += self._decoder.decode(chunk)
        end = self._pending.find("\n")
        cut = min(end + 1 if end != -1 else len(self._pending), limit)
        line, self._pending = self._pending[:cut], self._pending[cut:]
        return line.encode("utf-8", "replace")


def looks_utf16(first: bytes) -> bool:
    """A UTF-16 byte-order mark followed by text that reads as UTF-16 (not binary noise
    that happens to start with the same two bytes)."""
    if first[:2] not in UTF16_BOMS or len(first) < 4:
        return False
    body = first[2:]
    if body.count(0) * 4 >= len(body):  # ASCII letters with NULs between them
        return True
    codec = "utf-16-le" if first[:2] == b"\xff\xfe" else "utf-16-be"
    try:
        text = body[: len(body) // 2 * 2].decode(codec)
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\r\n\t" for c in text)


def physical_lines(stream: Readable, lineno: int = 0) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) of each physical line; None for one over MAX_RECORD_BYTES.

    A lone CR ends a line too (old Mac files): a JSON line never holds a raw CR.
    """
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            lineno += 1
            skipped = len(line)
            while skipped < MAX_SKIPPED_BYTES:
                rest = stream.readline(1 << 20)
                skipped += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield lineno, None
            if skipped >= MAX_SKIPPED_BYTES:
                return
            continue
        body = line.rstrip(b"\r\n")
        if b"\r" in body:
            for piece in body.split(b"\r"):
                lineno += 1
                yield lineno, piece + b"\n"
            continue
        lineno += 1
        yield lineno, line


CHUNK = 65_536


class Prepended:
    """A stream with bytes already read put back in front of it."""

    def __init__(self, prefix: bytes, stream: Readable) -> None:
        self._prefix = io.BytesIO(prefix)
        self._left = len(prefix)
        self._stream = stream

    def readline(self, size: int = -1, /) -> bytes:
        if not self._left:
            # The prefix is spent: later lines come straight from the stream, without
            # this method in between (a call a line on every line of the file).
            self.readline = self._stream.readline  # type: ignore[method-assign]
            return self._stream.readline(size)
        part = self._prefix.readline(size)
        self._left -= len(part)
        if self._left or part.endswith(b"\n") or 0 < size <= len(part):
            return part
        return part + self._stream.readline(size - len(part) if size > 0 else -1)


def decode_line(raw: bytes) -> tuple[str, str | None]:
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


def expand(value: Any, location: Location) -> Iterator[RawRecord]:
    """A JSON line holding several records: an array, or a HAR document on one line."""
    if isinstance(value, list):
        items: list[Any] | None = value
    elif isinstance(value, dict) and isinstance(value.get("log"), dict):
        entries = value["log"].get("entries")
        items = entries if isinstance(entries, list) else None
    else:
        items = None
    if items is None:
        yield RawRecord(location, value)
        return
    for item, element in enumerate(items):
        yield RawRecord(Location(location.path, location.line, item), element)
    if not items:
        yield RawRecord(location, value)


class Bounded:
    """At most ``size`` bytes of a stream: a part of a file (_split) read as if it were all."""

    def __init__(self, stream: Readable, size: int) -> None:
        self._stream = stream
        self.left = size

    def readline(self, size: int = -1, /) -> bytes:
        if self.left <= 0:
            return b""
        line = self._stream.readline(self.left if size < 0 else min(size, self.left))
        self.left -= len(line)
        return line
