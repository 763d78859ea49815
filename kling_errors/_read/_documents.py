"""JSON documents: arrays (streamed element by element), pretty-printed objects, HAR files
(entries streamed), one after another as `jq .` writes them. A file that only looks like a
JSON document (``[2024-05-01 12:00:00] INFO``) is read as lines after all."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Generator, Iterator
from typing import Any

from .._models import Location
from ._lines import line_records
from ._raw import (
    BOM,
    CHUNK,
    MAX_RECORD_BYTES,
    OVERLONG,
    Prepended,
    RawRecord,
    Readable,
    expand,
    physical_lines,
)

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_HAR_ENTRIES = re.compile(r'"entries"\s*:\s*\[')


class _Buffer:
    """Text of a JSON document, read in chunks as parsing needs it: bounded by
    MAX_RECORD_BYTES of unparsed text, and grown geometrically so re-parsing an incomplete
    value stays linear. Until the first element is taken, the raw bytes are kept too, so
    a file that only looked like JSON can be read again as lines."""

    def __init__(self, first: bytes, stream: Readable) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.raw: list[bytes] | None = [first]
        self.text = self._decoder.decode(first.removeprefix(BOM))
        self.ended = False
        self.line = 1  # the line the text held starts on, counted from the document's start

    @property
    def too_big(self) -> bool:
        return len(self.text) > MAX_RECORD_BYTES

    def more(self) -> bool:
        """Read on (as much again as is held, at least 64 KiB); False when nothing more
        can be read: the end of input, or the size limit."""
        if self.ended or self.too_big:
            return False
        wanted = max(CHUNK, len(self.text))
        read: list[str] = []
        size = 0
        while size < wanted:
            chunk = self._stream.readline(CHUNK)
            if not chunk:
                self.ended = True
                read.append(self._decoder.decode(b"", final=True))
                break
            if self.raw is not None:
                self.raw.append(chunk)
            read.append(self._decoder.decode(chunk))
            size += len(chunk)
        self.text += "".join(read)
        return size > 0 and not self.too_big

    def drop(self, upto: int) -> None:
        """Forget the parsed text before ``upto`` (and, from now on, the raw bytes)."""
        self.line += self.text.count("\n", 0, upto)
        self.text = self.text[upto:]
        self.raw = None

    def as_lines(self, name: str, start: int) -> Iterator[RawRecord]:
        """Everything read so far and the rest, as text lines (only before a drop)."""
        prefix = b"".join(self.raw or [])
        return line_records(physical_lines(Prepended(prefix, self._stream), start - 1), name)

    def rest_as_lines(self, name: str) -> Iterator[RawRecord]:
        """What follows the text held, as lines."""
        return line_records(physical_lines(self._stream), name)

    def held_and_rest_as_lines(self, name: str, start: int) -> Iterator[RawRecord]:
        """The text held (after the values taken) and what follows it, as lines."""
        prefix = self.text.encode("utf-8")
        self.text = ""
        lines = physical_lines(Prepended(prefix, self._stream), start + self.line - 2)
        return line_records(lines, name)


def document(first: bytes, stream: Readable, name: str, start: int) -> Iterator[RawRecord]:
    """JSON arrays (streamed element by element) and objects (a HAR file streams its
    entries), one after another as `jq .` writes them; text lines that only look like JSON,
    or follow the JSON, are read as lines."""
    buffer = _Buffer(first, stream)
    while True:
        char = _next_char(buffer, 0)
        skipped = _skip(buffer.text, 0)
        buffer.line += buffer.text.count("\n", 0, skipped)
        buffer.text = buffer.text[skipped:]
        here = start + buffer.line - 1
        if char == "":
            return
        if char == "[":
            if not (yield from _array(buffer, name, here)):
                return
            continue
        if char != "{":
            yield from buffer.held_and_rest_as_lines(name, start)
            return
        value = _whole_value(buffer)
        if value is _NESTED:
            yield RawRecord(Location(name, here), unreadable="JSON nested too deeply")
            return
        if isinstance(value, dict):
            yield from expand(value, Location(name, here))
            continue
        found = _HAR_ENTRIES.search(buffer.text) if buffer.too_big else None
        if found is None:
            if buffer.too_big:
                yield RawRecord(Location(name, here), unreadable=OVERLONG)
                yield from buffer.rest_as_lines(name)
            elif buffer.raw is not None:
                yield from buffer.as_lines(name, start)
            else:
                yield from buffer.held_and_rest_as_lines(name, start)
            return
        buffer.drop(found.end() - 1)  # a HAR file too big to hold: stream its entries
        yield from _array(buffer, name, here)
        return


_NESTED = object()


def _whole_value(buffer: _Buffer) -> Any:
    """The one JSON value of the buffer, reading on while it is incomplete; None if it is not
    JSON (or too big to hold); _NESTED if it nests too deeply."""
    while True:
        try:
            value, end = _DECODER.raw_decode(buffer.text)
        except RecursionError:
            return _NESTED
        except json.JSONDecodeError as exc:
            if _incomplete(exc, buffer.text) and buffer.more():
                continue
            return None
        buffer.drop(end)
        return value


def _incomplete(exc: json.JSONDecodeError, text: str) -> bool:
    """True when more input could complete the value (the error is at the text's end)."""
    return exc.pos >= len(text.rstrip()) - 1 or (
        exc.msg.startswith("Unterminated string") and "\n" not in text[exc.pos :]
    )


def _array(buffer: _Buffer, name: str, start: int) -> Generator[RawRecord, None, bool]:
    """Elements of a JSON array, one at a time; a tail that is cut off or breaks the syntax
    is one record (the normalizer salvages what is complete in it). True when the array
    closed and more may follow it."""
    item = 0
    position = 1  # after "["
    while True:
        char = _next_char(buffer, position)
        position = _skip(buffer.text, position)
        if char == "":
            if buffer.too_big:
                yield RawRecord(Location(name, start, item), unreadable=OVERLONG)
                yield from buffer.rest_as_lines(name)
            return False
        if char == "]":
            buffer.drop(position + 1)
            return True
        if item:  # after an element: a comma, then the next element
            if char != ",":
                yield from _tail(buffer, name, start, item, position)
                return False
            buffer.drop(position + 1)
            position = 0
            if _next_char(buffer, 0) == "":
                return False
        while True:
            try:
                value, end = _DECODER.raw_decode(buffer.text, _skip(buffer.text, position))
            except RecursionError:
                yield RawRecord(Location(name, start, item), unreadable="JSON nested too deeply")
                return False
            except json.JSONDecodeError as exc:
                if _incomplete(exc, buffer.text) and buffer.more():
                    continue
                yield from _broken(buffer, name, start, item, position)
                return False
            break
        if _next_char(buffer, end) not in (",", "]", ""):  # "[2024-05-01 ...] INFO": a number
            yield from _broken(buffer, name, start, item, position)
            return False
        yield RawRecord(Location(name, start, item), value)
        item += 1
        buffer.drop(end)
        position = 0


def _broken(
    buffer: _Buffer, name: str, start: int, item: int, position: int
) -> Iterator[RawRecord]:
    """Where the array's syntax breaks: if nothing was taken yet, the file only looked like
    JSON ("[2024-05-01 12:00:00] INFO ...") and is read as lines; else the tail is a record."""
    if item == 0 and buffer.raw is not None and not buffer.too_big:
        return buffer.as_lines(name, start)
    return _tail(buffer, name, start, item, position)


def _skip(text: str, position: int) -> int:
    """The position after the JSON whitespace at ``position``."""
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]


def _next_char(buffer: _Buffer, position: int) -> str:
    """The first non-blank character at or after ``position`` ("" at the end of input)."""
    while True:
        found = _skip(buffer.text, position)
        if found < len(buffer.text):
            return buffer.text[found]
        if not buffer.more():
            return ""


def _tail(buffer: _Buffer, name: str, start: int, item: int, position: int) -> Iterator[RawRecord]:
    """What follows the last complete element: one record (truncated JSON is salvaged by
    the normalizer); a tail over the size limit is unreadable, and the rest read as lines."""
    while buffer.more():
        pass
    if buffer.too_big:
        yield RawRecord(Location(name, start, item), unreadable=OVERLONG)
        yield from buffer.rest_as_lines(name)
        return
    tail = buffer.text[position:].strip().rstrip("]").strip()
    if tail:
        yield RawRecord(Location(name, start, item), tail)
