"""Accuracy on a labelled corpus: `rules eval` (and `make accuracy` on `corpus/`).

A labelled corpus is JSON lines, one record each::

    {"input": <a record as it would be fed to classify>,
     "expect": {"category": "quota_billing", "retryable": false, "service_code": 1102},
     "source": "owner/repo#12 or a URL"}

``category`` is one of the taxonomy's categories, or ``not_an_error`` / ``unparseable``
for records that are no failure or cannot be read. ``retryable`` is ``true``, ``false`` or
``null`` (the evidence does not say). Every record is classified with the loaded rules and
its answer compared with the label: the category the engine gave (``unmatched`` when no
rule explained an error) and its ``retryable``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._engine import Engine
from ._exceptions import InputError
from ._models import Diagnosis, Location
from ._vocabulary import CATEGORIES

NOT_AN_ERROR = "not_an_error"
UNPARSEABLE = "unparseable"
UNMATCHED = "unmatched"
LABELS = (*CATEGORIES, NOT_AN_ERROR, UNPARSEABLE)
_HINT = (
    'each line: {"input": ..., "expect": {"category": ..., "retryable": true|false|null}, '
    '"source": ...} (see README "Measuring accuracy")'
)


@dataclass(frozen=True)
class Expectation:
    """What a person decided the right answer for a record is."""

    category: str
    retryable: bool | None
    service_code: int | None = None


@dataclass(frozen=True)
class LabelledRecord:
    location: Location
    input: Any
    expect: Expectation
    source: str


def _corpus_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.jsonl") if p.is_file())
    if path.exists():
        return [path]
    raise InputError(f"{path}: no such file", "give a .jsonl file or a directory of them")


def _bad(location: Location, what: str) -> InputError:
    return InputError(f"{location}: {what}", _HINT)


def _expectation(raw: Any, location: Location) -> Expectation:
    if not isinstance(raw, dict):
        raise _bad(location, "'expect' must be an object")
    category = raw.get("category")
    if not isinstance(category, str) or category not in LABELS:
        raise _bad(location, f"expect.category {category!r} is not one of {', '.join(LABELS)}")
    retryable = raw.get("retryable")
    if retryable not in (True, False, None) or "retryable" not in raw:
        raise _bad(location, "expect.retryable must be true, false or null")
    code = raw.get("service_code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise _bad(location, "expect.service_code must be an integer or null")
    return Expectation(category, retryable, code)


def read_corpus(paths: Iterable[str | Path]) -> Iterator[LabelledRecord]:
    """Labelled records of every file (directories: their ``*.jsonl``, sorted).

    A malformed line is the corpus author's mistake: InputError with file:line, not a
    silently skipped record, so an accuracy figure never rests on fewer records than meant.
    """
    for given in paths:
        for path in _corpus_files(Path(given)):
            with path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, start=1):
                    if not line.strip():
                        continue
                    location = Location(str(path), number)
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise _bad(location, f"not JSON ({exc.msg})") from None
                    if not isinstance(entry, dict) or "input" not in entry:
                        raise _bad(location, "expected an object with 'input'")
                    source = entry.get("source")
                    if not isinstance(source, str) or not source.strip():
                        raise _bad(location, "'source' must say where the record comes from")
                    expect = _expectation(entry.get("expect"), location)
                    yield LabelledRecord(location, entry["input"], expect, source.strip())


def answered_category(diagnosis: Diagnosis) -> str:
    """The engine's answer in the corpus's vocabulary."""
    if diagnosis.outcome == "matched" and diagnosis.category:
        return diagnosis.category
    if diagnosis.outcome == "not_an_error":
        return NOT_AN_ERROR
    if diagnosis.outcome == "unreadable":
        return UNPARSEABLE
    return UNMATCHED


def _why(engine: Engine, record: LabelledRecord, diagnosis: Diagnosis) -> str:
    """Which rule answered and on what evidence, or why none did."""
    if diagnosis.outcome == "matched":
        candidates = engine.candidates(record.input)
        held = ", ".join(candidates[0].conditions) if candidates else "?"
        return f"{diagnosis.rule} ({held} held)"
    if diagnosis.reason:
        return f"{diagnosis.outcome}: {diagnosis.reason}"
    seen = [
        f"{name} {value}"
        for name, value in (
            ("HTTP", diagnosis.http_status),
            ("code", diagnosis.service_code),
            ("message", json.dumps(diagnosis.message, ensure_ascii=False)),
        )
        if value is not None and value != "null"
    ]
    return "no rule's conditions held" + (f" (read: {', '.join(seen)})" if seen else "")


@dataclass(frozen=True)
class Miss:
    """A record whose category or retryable differs from its label."""

    record: LabelledRecord
    answered: str
    retryable: bool | None
    wrong: tuple[str, ...]  # "category", "retryable"
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": str(self.record.location),
            "source": self.record.source,
            "expected": {
                "category": self.record.expect.category,
                "retryable": self.record.expect.retryable,
            },
            "answered": {"category": self.answered, "retryable": self.retryable},
            "wrong": list(self.wrong),
            "why": self.why,
        }


@dataclass
class Evaluation:
    """Counts over a corpus; accuracy, per-label precision and recall, the confusion table."""

    total: int = 0
    category_correct: int = 0
    retryable_correct: int = 0
    code_labelled: int = 0
    code_correct: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, answered)
    misses: list[Miss] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.total if self.total else 1.0

    @property
    def retryable_accuracy(self) -> float:
        return self.retryable_correct / self.total if self.total else 1.0

    def per_label(self) -> dict[str, tuple[float | None, float | None, int]]:
        """label -> (precision, recall, records labelled so); None where undefined."""
        labels = sorted({e for e, _ in self.confusion} | {a for _, a in self.confusion})
        result = {}
        for label in labels:
            answered = sum(n for (_, a), n in self.confusion.items() if a == label)
            expected = sum(n for (e, _), n in self.confusion.items() if e == label)
            right = self.confusion[(label, label)]
            precision = right / answered if answered else None
            recall = right / expected if expected else None
            result[label] = (precision, recall, expected)
        return result

    def add(self, engine: Engine, record: LabelledRecord, index: int) -> None:
        diagnosis = engine.classify(record.input, index=index, location=record.location)
        answered = answered_category(diagnosis)
        self.total += 1
        self.sources.add(record.source)
        self.confusion[(record.expect.category, answered)] += 1
        wrong = []
        if answered == record.expect.category:
            self.category_correct += 1
        else:
            wrong.append("category")
        if diagnosis.retryable is record.expect.retryable:
            self.retryable_correct += 1
        else:
            wrong.append("retryable")
        if record.expect.service_code is not None:
            self.code_labelled += 1
            self.code_correct += diagnosis.service_code == record.expect.service_code
        if wrong:
            why = _why(engine, record, diagnosis)
            self.misses.append(Miss(record, answered, diagnosis.retryable, tuple(wrong), why))

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.total,
            "sources": len(self.sources),
            "category_accuracy": round(self.category_accuracy, 4),
            "retryable_accuracy": round(self.retryable_accuracy, 4),
            "service_code": {"labelled": self.code_labelled, "correct": self.code_correct},
            "per_category": {
                label: {"precision": _round(p), "recall": _round(r), "support": n}
                for label, (p, r, n) in self.per_label().items()
            },
            "confusion": [
                {"expected": e, "answered": a, "count": n}
                for (e, a), n in sorted(self.confusion.items())
            ],
            "misses": [miss.to_dict() for miss in self.misses],
        }

    def to_text(self) -> str:
        lines = [
            f"{self.total} records from {len(self.sources)} sources",
            f"category accuracy:  {_percent(self.category_accuracy)}"
            f"  ({self.category_correct}/{self.total})",
            f"retryable accuracy: {_percent(self.retryable_accuracy)}"
            f"  ({self.retryable_correct}/{self.total})",
        ]
        if self.code_labelled:
            lines.append(
                f"service code:       {self.code_correct}/{self.code_labelled} of the labelled"
            )
        lines += ["", f"{'label':<20} {'precision':>9} {'recall':>7} {'support':>8}"]
        for label, (precision, recall, support) in self.per_label().items():
            lines.append(f"{label:<20} {_percent(precision):>9} {_percent(recall):>7} {support:>8}")
        confused = [(k, n) for k, n in self.confusion.most_common() if k[0] != k[1]]
        if confused:
            lines += ["", "confusion (expected → answered):"]
            lines += [f"  {n:>5}  {e} → {a}" for (e, a), n in confused]
        if self.misses:
            lines += ["", f"{len(self.misses)} miss(es):"]
            for miss in self.misses:
                expect = miss.record.expect
                lines.append(
                    f"  {miss.record.location}: expected {expect.category}"
                    f" (retryable {_flag(expect.retryable)}), got {miss.answered}"
                    f" (retryable {_flag(miss.retryable)})"
                )
                lines.append(f"      by {miss.why}")
                lines.append(f"      source: {miss.record.source}")
        return "\n".join(lines)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _flag(value: bool | None) -> str:
    return "null" if value is None else str(value).lower()


def evaluate(engine: Engine, records: Iterable[LabelledRecord]) -> Evaluation:
    """Classify every labelled record and compare the answers with the labels."""
    result = Evaluation()
    for index, record in enumerate(records):
        result.add(engine, record, index)
    return result
