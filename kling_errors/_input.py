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

import codecs
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._exceptions import InputError
from ._models import Location

if TYPE_CHECKING:
    from ._repeat import Sketch

    Sketcher = Callable[[str], Sketch | None]

STDIN = "-"
MAX_RECORD_LINES = 500
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_SKIPPED_BYTES = 1024 * 1024 * 1024  # an endless line (/dev/zero) ends the file here

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
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
_OVERLONG = f"record longer than {MAX_RECORD_BYTES // (1024 * 1024)} MiB: skipped"


class _Readable(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


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


class _Counted:
    """A binary stream that counts the bytes read through it."""

    def __init__(self, stream: _Readable, progress: ReadProgress) -> None:
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

    def count(self, stream: _Readable) -> _Readable:
        return _Counted(stream, self)


def read_paths(
    paths: Iterable[str], progress: ReadProgress | None = None, sketch: Sketcher | None = None
) -> Iterator[RawRecord]:
    """Records of every path in order; ``sketch`` splits JSON lines for the repeat cache."""
    for path in paths:
        if path == STDIN:
            stdin: _Readable = sys.stdin.buffer
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


class _Recoded:
    """A UTF-16 stream (it began with a byte-order mark) read as UTF-8 lines."""

    def __init__(self, stream: _Readable, first: bytes) -> None:
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


def _looks_utf16(first: bytes) -> bool:
    """A UTF-16 byte-order mark followed by text that reads as UTF-16 (not binary noise
    that happens to start with the same two bytes)."""
    if first[:2] not in _UTF16_BOMS or len(first) < 4:
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


def _lines(stream: _Readable, lineno: int = 0) -> Iterator[tuple[int, bytes | None]]:
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


def read_stream(
    stream: _Readable, name: str, sketch: Sketcher | None = None
) -> Iterator[RawRecord]:
    try:
        first = stream.readline(CHUNK)
        if _looks_utf16(first):
            stream = _Recoded(stream, first)
            first = stream.readline(CHUNK)
        blank_lines = 0
        while first and not first.removeprefix(_BOM).strip():  # blank lines before it all
            blank_lines += first.count(b"\n")
            first = stream.readline(CHUNK)
        if not first:
            return
        start = first.removeprefix(_BOM).lstrip()
        if start.startswith(b"{") and not first.endswith(b"\n"):
            first += stream.readline(MAX_RECORD_BYTES)  # the whole first line, to try it
        overlong = len(first) > MAX_RECORD_BYTES and not first.endswith(b"\n")
        if start.startswith(b"[") or (
            start.startswith(b"{") and not overlong and not _parses(first)
        ):
            yield from _document(first, stream, name, blank_lines + 1, sketch)
        else:
            yield from _line_records(_lines(_Prepended(first, stream), blank_lines), name, sketch)
    except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt .gz stream
        yield RawRecord(Location(name), unreadable=f"input ended abruptly: {exc}")


class _Prepended:
    """A stream with bytes already read put back in front of it."""

    def __init__(self, prefix: bytes, stream: _Readable) -> None:
        self._prefix = io.BytesIO(prefix)
        self._left = len(prefix)
        self._stream = stream

    def readline(self, size: int = -1, /) -> bytes:
        if not self._left:
            return self._stream.readline(size)
        part = self._prefix.readline(size)
        self._left -= len(part)
        if self._left or part.endswith(b"\n") or 0 < size <= len(part):
            return part
        return part + self._stream.readline(size - len(part) if size > 0 else -1)


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_HAR_ENTRIES = re.compile(r'"entries"\s*:\s*\[')


class _Buffer:
    """Text of a JSON document, read in chunks as parsing needs it: bounded by
    MAX_RECORD_BYTES of unparsed text, and grown geometrically so re-parsing an incomplete
    value stays linear. Until the first element is taken, the raw bytes are kept too, so
    a file that only looked like JSON can be read again as lines."""

    def __init__(self, first: bytes, stream: _Readable) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.raw: list[bytes] | None = [first]
        self.text = self._decoder.decode(first.removeprefix(_BOM))
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

    def as_lines(self, name: str, start: int, sketch: Sketcher | None) -> Iterator[RawRecord]:
        """Everything read so far and the rest, as text lines (only before a drop)."""
        prefix = b"".join(self.raw or [])
        return _line_records(_lines(_Prepended(prefix, self._stream), start - 1), name, sketch)

    def rest_as_lines(self, name: str, sketch: Sketcher | None) -> Iterator[RawRecord]:
        """What follows the text held, as lines."""
        return _line_records(_lines(self._stream), name, sketch)

    def held_and_rest_as_lines(
        self, name: str, start: int, sketch: Sketcher | None
    ) -> Iterator[RawRecord]:
        """The text held (after the values taken) and what follows it, as lines."""
        prefix = self.text.encode("utf-8")
        self.text = ""
        lines = _lines(_Prepended(prefix, self._stream), start + self.line - 2)
        return _line_records(lines, name, sketch)


def _document(
    first: bytes, stream: _Readable, name: str, start: int, sketch: Sketcher | None
) -> Iterator[RawRecord]:
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
            if not (yield from _array(buffer, name, here, sketch)):
                return
            continue
        if char != "{":
            yield from buffer.held_and_rest_as_lines(name, start, sketch)
            return
        value = _whole_value(buffer)
        if value is _NESTED:
            yield RawRecord(Location(name, here), unreadable="JSON nested too deeply")
            return
        if isinstance(value, dict):
            yield from _expand(value, Location(name, here))
            continue
        found = _HAR_ENTRIES.search(buffer.text) if buffer.too_big else None
        if found is None:
            if buffer.too_big:
                yield RawRecord(Location(name, here), unreadable=_OVERLONG)
                yield from buffer.rest_as_lines(name, sketch)
            elif buffer.raw is not None:
                yield from buffer.as_lines(name, start, sketch)
            else:
                yield from buffer.held_and_rest_as_lines(name, start, sketch)
            return
        buffer.drop(found.end() - 1)  # a HAR file too big to hold: stream its entries
        yield from _array(buffer, name, here, sketch)
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


def _array(
    buffer: _Buffer, name: str, start: int, sketch: Sketcher | None
) -> Generator[RawRecord, None, bool]:
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
                yield RawRecord(Location(name, start, item), unreadable=_OVERLONG)
                yield from buffer.rest_as_lines(name, sketch)
            return False
        if char == "]":
            buffer.drop(position + 1)
            return True
        if item:  # after an element: a comma, then the next element
            if char != ",":
                yield from _tail(buffer, name, start, item, position, sketch)
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
                yield from _broken(buffer, name, start, item, position, sketch)
                return False
            break
        if _next_char(buffer, end) not in (",", "]", ""):  # "[2024-05-01 ...] INFO": a number
            yield from _broken(buffer, name, start, item, position, sketch)
            return False
        yield RawRecord(Location(name, start, item), value)
        item += 1
        buffer.drop(end)
        position = 0


def _broken(
    buffer: _Buffer, name: str, start: int, item: int, position: int, sketch: Sketcher | None
) -> Iterator[RawRecord]:
    """Where the array's syntax breaks: if nothing was taken yet, the file only looked like
    JSON ("[2024-05-01 12:00:00] INFO ...") and is read as lines; else the tail is a record."""
    if item == 0 and buffer.raw is not None and not buffer.too_big:
        return buffer.as_lines(name, start, sketch)
    return _tail(buffer, name, start, item, position, sketch)


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


def _tail(
    buffer: _Buffer, name: str, start: int, item: int, position: int, sketch: Sketcher | None
) -> Iterator[RawRecord]:
    """What follows the last complete element: one record (truncated JSON is salvaged by
    the normalizer); a tail over the size limit is unreadable, and the rest read as lines."""
    while buffer.more():
        pass
    if buffer.too_big:
        yield RawRecord(Location(name, start, item), unreadable=_OVERLONG)
        yield from buffer.rest_as_lines(name, sketch)
        return
    tail = buffer.text[position:].strip().rstrip("]").strip()
    if tail:
        yield RawRecord(Location(name, start, item), tail)


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


def _expand(value: Any, location: Location) -> Iterator[RawRecord]:
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


def _line_records(
    lines: Iterator[tuple[int, bytes | None]], name: str, sketch: Sketcher | None = None
) -> Iterator[RawRecord]:
    group = _Group()
    for lineno, line in lines:
        if line is None:
            if group.lines:
                yield group.record(name)
            yield RawRecord(Location(name, lineno), unreadable=_OVERLONG)
            continue
        raw = line[len(_BOM) :] if lineno == 1 and line.startswith(_BOM) else line
        text, problem = _decode(raw)
        if problem:
            if group.lines:
                yield group.record(name)
            yield RawRecord(Location(name, lineno), unreadable=problem)
            continue
        stripped = text.strip()
        if not stripped:
            continue
        if stripped[0] in "{[" and not group.in_traceback and not group.open:
            sketched = sketch(stripped) if sketch is not None and stripped[0] == "{" else None
            if sketched is not None and sketched.answer is not None:
                if group.lines:  # a known skeleton: it parses, like the line it repeats
                    yield group.record(name)
                yield RawRecord(Location(name, lineno), sketch=sketched)
                continue
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
                if sketched is not None:
                    yield RawRecord(Location(name, lineno), value, sketch=sketched)
                else:
                    yield from _expand(value, Location(name, lineno))
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
