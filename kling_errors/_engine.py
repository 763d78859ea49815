"""The engine: rules loaded once, records classified many times.

input record ──to_event──▶ Event ──Matcher──▶ Candidate ──DiagnosisBuilder──▶ Diagnosis
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from . import _diagnosis, _render, _store
from ._diagnosis import DiagnosisBuilder, from_verdict, unmatched, unreadable
from ._exceptions import Problem, RuleError
from ._match import Candidate, Matcher
from ._models import Diagnosis, Location, Rule
from ._normalize import Verdict, fine_in_words, to_event
from ._read import RawRecord
from ._regex import PatternSetTooLarge
from ._rules import RuleSet, load_rules


class Engine:
    """Load rules once, then classify any number of records.

    >>> engine = Engine()
    >>> engine.classify({"status": 429, "body": {"code": 1102}}).category
    'quota_billing'
    """

    def __init__(
        self,
        rules: RuleSet | None = None,
        *,
        rule_paths: Iterable[str | Path] = (),
        builtin: bool = True,
    ) -> None:
        self.rules = rules if rules is not None else load_rules(rule_paths, builtin=builtin)
        team_sources = [source for source in self.rules.sources if source != "builtin"]
        try:
            self._matcher = Matcher(self.rules.rules)
            if team_sources:
                self._matcher.compile()  # refuse a team's over-large rule set before any record
        except PatternSetTooLarge as exc:
            where = ", ".join(team_sources) or "the rules"
            raise RuleError(
                [
                    Problem(
                        where,
                        None,
                        None,
                        str(exc),
                        "use fewer or smaller regexes: fewer"
                        " alternatives, smaller bounded repeats ({1,80}, not {1,1000})",
                    )
                ]
            ) from None
        self._renders_key = _renders_key(self.rules.cache_key)
        saved = _store.read(_RENDERS_KIND, self._renders_key)
        self._builder = DiagnosisBuilder(saved.get("templates") if saved else None)

    def __reduce__(self) -> tuple[type[Engine], tuple[RuleSet]]:
        """Pickled as its rule set (compiled regexes cannot cross a process): a worker
        rebuilds the matcher from it, without reading or validating rule files."""
        return (Engine, (self.rules,))

    def save_renders(self) -> None:
        """Keep this run's remediation texts for the next run with the same rules (in the
        store, see _store); best effort. `classify` does this at the end of a run."""
        templates = self._builder.renders_to_save()
        if templates is not None:
            _store.write(_RENDERS_KIND, self._renders_key, {"templates": templates})

    def classify(
        self, record: Any, *, index: int = 0, location: Location | None = None
    ) -> Diagnosis:
        """Diagnose one record: a dict (response, body, task, log object) or a string."""
        event = to_event(record)
        if isinstance(event, Verdict):
            return from_verdict(index, location, event)
        candidate = self._matcher.best(event)
        if candidate is None:
            fine = fine_in_words(event)
            if fine is not None:
                return from_verdict(index, location, fine)
            return unmatched(index, location, event)
        return self._builder.matched(index, location, event, candidate)

    def classify_raw(self, raw: RawRecord, index: int = 0) -> Diagnosis:
        """Diagnose a record as read from a file (it may already be known unreadable)."""
        if raw.unreadable is not None:
            return unreadable(index, raw.location, raw.unreadable)
        return self.classify(raw.value, index=index, location=raw.location)

    def prints_ids_as_they_are(self, rule_id: str) -> bool:
        """True when the rule's remediation shows request_id/task_id unchanged, if at all."""
        rule = self.rules.get(rule_id)
        return rule is not None and self._builder.prints_ids_as_they_are(rule)

    def classify_records(self, records: Iterable[RawRecord]) -> Iterator[Diagnosis]:
        """One Diagnosis per raw record, in order, whatever the record holds."""
        for index, raw in enumerate(records):
            yield self.classify_raw(raw, index)

    def candidates(self, record: Any) -> list[Candidate]:
        """Every rule that matches the record, best first (what `--why` shows)."""
        event = to_event(record)
        if isinstance(event, Verdict):
            return []
        return self._matcher.candidates(event)

    def explain(self, query: str) -> list[Rule]:
        """Rules for a rule id, a service code (1303) or an HTTP status (429)."""
        query = query.strip()
        rule = self.rules.get(query)
        if rule is not None:
            return [rule]
        if not query.isdigit():
            return []
        number = int(query)
        if number >= 1000:
            return [r for r in self.rules if any(number in (c.service_code or ()) for c in r.match)]
        return [
            r
            for r in self.rules
            if r.expected_status == number
            or any(c.http_status is not None and number in c.http_status for c in r.match)
        ]


# Next to each rule set, the remediation texts rendered for it: a run whose texts were all
# rendered before starts without compiling a template or importing Jinja. Only texts that
# hold no logged data are kept (see DiagnosisBuilder.renders_to_save).
_RENDERS_KIND = "renders"


def _renders_key(rules_key: str | None) -> str | None:
    """The rule set's key, plus what shapes rendered text: Jinja and our render code."""
    if rules_key is None:
        return None
    try:
        spec = find_spec("jinja2")
        files = [spec.origin if spec and spec.origin else "", _render.__file__, _diagnosis.__file__]
        stamps = [f"{name}\0{os.stat(name).st_mtime_ns}\0{os.stat(name).st_size}" for name in files]
    except (OSError, ValueError, ImportError):
        return None
    return _store.content_key([rules_key.encode(), *(stamp.encode() for stamp in stamps)])


_default_engine: Engine | None = None


def default_engine() -> Engine:
    global _default_engine  # noqa: PLW0603 - a lazily built, process-wide default
    if _default_engine is None:
        _default_engine = Engine()
    return _default_engine


def classify(record: Any) -> Diagnosis:
    """Diagnose one record with the built-in rules."""
    return default_engine().classify(record)
