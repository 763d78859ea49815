"""Repeats: a JSON line that differs from an earlier one only in its ids and timestamps.

A busy integration logs the same few failures over and over; from line to line only the
request id, the task id and the time change. Such a line gets the answer worked out for its
first sighting with its own ids put in, without being parsed or classified again. The answer
is the one the full path gives, by construction:

1. Only the values of id and time keys (``SLOT_KEYS``) are set aside, and only plain ones:
   at most 64 characters of hex digits, digits and ISO-time punctuation (``T``, ``Z``,
   ``:``, ``.``, ``+``, ``-``, ``_``, inner spaces and commas), or a positive integer. What
   is left, the line's *skeleton*, parses to the same structure whatever those values are,
   and no such value can hold a secret or change under trimming or redaction
   (tests/test_repeat.py checks the value class against ``redact`` and ``_clean``).
2. A skeleton is learnt on its second sighting, by classifying it twice with two different
   sets of stand-in values (mixed case, different lengths). It is kept only when the stand-ins
   reach nothing of the event but its request_id and task_id (no rule matches on those), the
   winning rule's template prints those as they are, and the two outputs differ by exactly
   the stand-ins. Otherwise the skeleton is marked and its lines take the full path.
3. The slot keys are never read for their content by the normalizer (tests/test_repeat.py
   keeps ``SLOT_KEYS`` disjoint from the keys it interprets).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from ._models import Diagnosis, Location

if TYPE_CHECKING:
    from ._engine import Engine
    from ._input import RawRecord

# Keys whose values are ids or times: read only as opaque ids (request/task ids) or not at all.
SLOT_KEYS = (
    "request_id", "requestId", "x_request_id", "x-request-id", "task_id", "taskId",
    "prediction_id", "trace_id", "traceId", "span_id", "spanId", "ts", "time", "timestamp",
    "@timestamp", "created_at", "updated_at", "createdAt", "updatedAt", "date",
)  # fmt: skip
_PLAIN_CHAR = "[0-9A-Fa-fTZ_.:+-]"
PLAIN_STRING = rf"{_PLAIN_CHAR}(?:[0-9A-Fa-fTZ_.:+, -]{{0,62}}{_PLAIN_CHAR})?"
PLAIN_INTEGER = r"[1-9][0-9]{0,18}(?![0-9.eE])"
# Split gives [text, key, value, text, key, value, ..., text]. The key part takes the
# opening quote of a string value, so the skeleton tells "ts": "5" from "ts": 5.
_SLOT = re.compile(
    '("(?:' + "|".join(re.escape(k) for k in SLOT_KEYS) + r')"\s*:\s*'
    f'(?:"(?={PLAIN_STRING}"))?)({PLAIN_STRING}(?=")|{PLAIN_INTEGER})'
)
MAX_SLOTS = 16
MAX_KNOWN = 4096  # learnt skeletons; beyond this, new ones take the full path
MAX_KNOWN_CHARS = 8_000_000  # ... or beyond this much text held in skeletons and templates
MAX_SEEN = 65_536  # hashes of skeletons seen once (all-different lines learn nothing)
MAX_LINE = 4096  # longer lines take the full path


class Sketch(NamedTuple):
    """A JSON line split into its skeleton and its slot values."""

    line: str
    skeleton: str  # the line with each slot value replaced by NUL (which no line holds)
    values: list[str]  # the slot values as they appear in output (strings unquoted)
    answer: _Answer | None  # set when the skeleton has been learnt


class _Answer(NamedTuple):
    counted: Diagnosis  # right in every field Summary counts; its ids are stand-ins
    pieces: tuple[str, ...]  # the output's fixed text at even positions, gaps at odd ones
    fill: Callable[[tuple[str, ...]], Sequence[str]]  # (index, location, *values) -> the gaps


class _StandIns(NamedTuple):
    record_index: int
    location: str
    strings: tuple[str, ...]
    integers: tuple[int, ...]

    def values(self, keys: list[str]) -> list[str]:
        """A stand-in for each slot, of its value's kind (a key part ending in a quote:
        a string)."""
        return [
            self.strings[i] if key.endswith('"') else str(self.integers[i])
            for i, key in enumerate(keys)
        ]


_A = _StandIns(
    6_180_339_887_498_948,
    "FaCaDe_LoC_",
    tuple(f"FaCaDe_{i}_" for i in range(MAX_SLOTS)),
    tuple(7_391_000_000_000_000 + i for i in range(MAX_SLOTS)),
)
_B = _StandIns(
    271_828,
    "0dEcAf+lOc",
    tuple(f"0dEcAf+{i}+bEeF" for i in range(MAX_SLOTS)),
    tuple(52_000_001 + i for i in range(MAX_SLOTS)),
)


@cache  # needed only when a skeleton is learnt
def _a_text() -> re.Pattern[str]:
    """Any of the first set of stand-ins, as it appears in output."""
    every = [str(_A.record_index), _A.location, *_A.strings, *map(str, _A.integers)]
    return re.compile("|".join(re.escape(t) for t in sorted(every, key=len, reverse=True)))


_REFUSED = "refused"


def _filler(gaps: list[int]) -> Callable[[tuple[str, ...]], Sequence[str]]:
    """What goes in each gap, picked fast (itemgetter returns a tuple from two items on)."""
    if len(gaps) >= 2:
        return itemgetter(*gaps)
    return lambda args: [args[gap] for gap in gaps]


def _counted(d: Diagnosis) -> tuple[Any, ...]:
    """The fields a Summary counts."""
    return (d.outcome, d.category, d.rule, d.retryable, d.message, d.reason)


def _same(text: str) -> str:
    return text


def repeats_enabled() -> bool:
    """KLING_ERRORS_NO_REPEATS=1 sends every record down the full path (for comparison)."""
    return not os.environ.get("KLING_ERRORS_NO_REPEATS")


class Repeats:
    """Learns answers for skeletons seen twice; fills them in for later sightings.

    ``render`` formats one Diagnosis as the output shows it; ``escape`` makes a location
    string safe inside that output (JSON string escaping for the JSON formats).
    """

    def __init__(
        self,
        engine: Engine,
        render: Callable[[Diagnosis], str],
        escape: Callable[[str], str] = _same,
    ) -> None:
        self._engine = engine
        self._render = render
        self._escape = escape
        self._known: dict[str, _Answer | str] = {}
        self._seen: set[int] = set()
        self._paths: dict[str, str] = {}
        self._chars = 0  # text held in _known

    def sketch(self, line: str) -> Sketch | None:
        """The line's skeleton and slot values; None when it is known not to fit."""
        if len(line) > MAX_LINE:
            return None
        parts = _SLOT.split(line)
        if len(parts) > 3 * MAX_SLOTS + 1:
            return None
        values = parts[2::3]
        parts[2::3] = ["\x00"] * len(values)
        skeleton = "".join(parts)
        known = self._known.get(skeleton)
        if isinstance(known, str):  # _REFUSED: this skeleton's lines take the full path
            return None
        return Sketch(line, skeleton, values, known)

    def answer(self, raw: RawRecord, index: int) -> tuple[Diagnosis, str]:
        """(a Diagnosis to count, the rendered output) for a record read with a sketch."""
        sketch = raw.sketch
        assert sketch is not None
        answer = sketch.answer or self._learn(sketch)
        if answer is None:
            diagnosis = self._engine.classify_raw(raw, index)
            return diagnosis, self._render(diagnosis)
        location = raw.location
        path = self._paths.get(location.path)
        if path is None:
            path = self._paths[location.path] = self._escape(location.path)
        out = list(answer.pieces)
        out[1::2] = answer.fill((str(index), f"{path}:{location.line}", *sketch.values))
        return answer.counted, "".join(out)

    def _learn(self, sketch: Sketch) -> _Answer | None:
        skeleton = sketch.skeleton
        if skeleton in self._known or len(self._known) >= MAX_KNOWN:
            return None
        if self._chars >= MAX_KNOWN_CHARS:
            return None
        seen = hash(skeleton)  # a collision only makes a skeleton learnt one sighting early
        if seen not in self._seen:
            if len(self._seen) >= MAX_SEEN:
                self._seen.clear()
            self._seen.add(seen)
            return None
        self._seen.discard(seen)
        answer = self._work_out(sketch)
        self._known[skeleton] = answer or _REFUSED
        self._chars += len(skeleton) + (sum(map(len, answer.pieces)) if answer else 0)
        return answer

    def _work_out(self, sketch: Sketch) -> _Answer | None:
        parts = _SLOT.split(sketch.line)
        a, text_a, a_values = self._classify(parts, _A)
        b, text_b, b_values = self._classify(parts, _B)
        if a is None or b is None or _counted(a) != _counted(b) or not self._stand_ins_stay_ids(a):
            return None
        a_texts = [str(_A.record_index), _A.location, *a_values]
        b_texts = [str(_B.record_index), _B.location, *b_values]
        swap = dict(zip(a_texts, b_texts, strict=True))
        a_text = _a_text()
        if a_text.sub(lambda m: swap.get(m.group(), m.group()), text_a) != text_b:
            return None
        gap_of = {text: n for n, text in enumerate(a_texts)}
        found = a_text.findall(text_a)
        if any(text not in gap_of for text in found):
            return None  # the stand-in of a slot this line does not have
        pieces = [text for piece in a_text.split(text_a) for text in (piece, "")][:-1]
        return _Answer(a, tuple(pieces), _filler([gap_of[text] for text in found]))

    def _classify(
        self, parts: list[str], stand_ins: _StandIns
    ) -> tuple[Diagnosis | None, str, list[str]]:
        """Classify the line with its slot values replaced by ``stand_ins``."""
        values = stand_ins.values(parts[1::3])
        parts = parts.copy()
        parts[2::3] = values
        try:
            record: Any = json.loads("".join(parts))
        except (ValueError, RecursionError):
            return None, "", values
        location = Location(stand_ins.location)
        diagnosis = self._engine.classify(record, index=stand_ins.record_index, location=location)
        return diagnosis, self._render(diagnosis), values

    def _stand_ins_stay_ids(self, diagnosis: Diagnosis) -> bool:
        """Stand-ins only as the event's whole request_id/task_id, printed as they are."""
        a_text = _a_text()
        event = diagnosis.event
        if event is not None:
            for value in (event.request_id, event.task_id):
                if value is not None and a_text.search(value) and not a_text.fullmatch(value):
                    return False
            rest = replace(event, request_id=None, task_id=None)
            if a_text.search(repr(rest)):
                return False
        if any(a_text.search(t) for t in (diagnosis.message or "", diagnosis.reason or "")):
            return False
        return diagnosis.rule is None or self._engine.prints_ids_as_they_are(diagnosis.rule)
