"""`rules export`: the loaded rule set as one versioned JSON document, so that code in
another language (Node, Go, ...) can match normalised events exactly as the engine does.

The document (schemas/export.schema.json) holds every rule in load order with its match
conditions, the rank of each condition set, its knowledge (category, retry policy, texts),
and the facts a re-implementation needs: what an event is, how each condition holds, how
ranks compare, where RE2 (the rules' regex syntax) differs from Go's and JavaScript's, and
conformance cases (each rule's examples, normalised, with the rule that wins them). The
limits and sets quoted come from the code that applies them, so they cannot drift.

Deterministic: the same rule files give the same bytes (keys sorted, rule order = load
order, no time stamps); ``digest`` is the SHA-256 of the document without itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ._engine import Engine
from ._match import MAX_MATCH_CHARS, RANK_NAMES, rank
from ._models import MAX_RETRY_AFTER, Conditions, Event, Rule, fix_dict
from ._normalize import to_event
from ._normalize._draft import KLING_CODE_RANGES, MAX_MESSAGE, MAX_TEXT
from ._normalize._shapes import FAILED_STATUSES
from ._version import __version__
from ._vocabulary import CATEGORY_INFO, Outcome

EXPORT_VERSION = 1
SCHEMA_ID = "https://github.com/kling-errors/kling-errors/schemas/export.schema.json"
KIND = "kling-errors/rules-export"

# The five elements of a condition set's rank (kling_errors._match.rank), in order.
_RANK = [
    ("priority", "the rule's explicit priority (default 0)"),
    ("service_code_condition", "1 when the condition set has a service_code condition, else 0"),
    ("conditions", "how many conditions the set has (each header counts one); all held"),
    ("status_precision", "http_status condition: 3 one code, 2 a list, 1 a class, 0 none"),
    ("position", "the rule's index in `rules` (load order): a later rule wins a tie"),
]
assert len(_RANK) == len(RANK_NAMES)

_CONDITIONS = {
    "http_status": "event.http_status is one of `codes`, or its hundreds digit is that of"
    ' one of `classes` ("5xx": 500-599). A null status never holds.',
    "service_code": "event.service_code is one of the list.",
    "message": "event.message is not empty and the regex finds a match anywhere in its first"
    f" {MAX_MATCH_CHARS} characters.",
    "text": "the regex finds a match anywhere in the first"
    f" {MAX_MATCH_CHARS} characters of event.text, or of event.message when event.text is"
    " empty.",
    "task_status": "event.task_status is one of the list (lowercase on both sides).",
    "gateway": "event.gateway is one of the list (lowercase on both sides).",
    "gateway_code": "event.gateway_code is one of the list (lowercase on both sides).",
    "headers": "for each entry: the event has the header (names are lowercase) and, when"
    " `regex` is not null, the regex finds a match in its value.",
}

_REGEX = {
    "syntax": "RE2 (https://github.com/google/re2/wiki/Syntax). Every pattern also compiles"
    " in Python's `re`: lookarounds, backreferences, possessive repeats and atomic groups are"
    " refused when rules load, so no exported pattern has them.",
    "case_insensitive": True,
    "anchored": False,
    "semantics": [
        "Case-insensitive through an engine option, with Unicode simple case folding;"
        " the patterns carry no inline flags of their own.",
        "An unanchored search: a match anywhere counts; `^` and `$` mean the start and the"
        " very end of the searched text (no multi-line mode), `.` does not match a newline.",
        "\\b, \\w, \\d and \\s are ASCII-only: \\w is [0-9A-Za-z_], \\s is [\\t\\n\\f\\r ].",
        "Lengths are in Unicode code points (characters), not bytes or UTF-16 units.",
    ],
    "go": [
        "Go's regexp is RE2 syntax: compile `(?i)` + pattern with regexp.MustCompile and use"
        " MatchString.",
        "Cut texts to the first N runes ([]rune), not bytes.",
        "Go accepts the same classes (\\pL, [[:alpha:]]), \\A, \\z and \\Q...\\E; (?<name>)"
        " groups need Go 1.22 (RE2 and Python spell them (?P<name>)).",
    ],
    "javascript": [
        'Compile with new RegExp(pattern, "iu"): `i` for case-insensitivity (JavaScript has'
        " no leading `(?i)` flag, and only ES2025 engines accept `(?i:...)` groups), `u` for"
        " Unicode case folding and code-point semantics (without it `.` sees half of an"
        " emoji and the Kelvin sign K does not fold to k).",
        "\\s differs: JavaScript's also matches \\v, U+00A0, U+2028, U+3000 and other Unicode"
        " spaces; for RE2's meaning write [\\t\\n\\f\\r ].",
        "RE2-only syntax a JavaScript engine refuses or reads otherwise: \\A and \\z (use ^ and"
        " $ without the m flag), \\Z (Python's; neither RE2 nor JavaScript has it), POSIX"
        " classes such as [[:alpha:]] (a plain character class in JavaScript), \\pL and"
        " \\p{Greek} (write \\p{L}, \\p{Script=Greek}), \\Q...\\E, (?P<name>...) (write"
        " (?<name>...)), inline flag groups such as (?s) and (?U).",
        "With the `u` flag JavaScript refuses escapes RE2 reads as the character itself"
        " (\\-, \\:, \\_, \\@, \\' outside a class: write the character) and a lone { or }"
        " (write \\{ or \\}).",
        'Cut texts with Array.from(text).slice(0, N).join("") to count code points.',
        "Every pattern of the built-in rules compiles and matches alike with the `iu` flags;"
        " the README's JavaScript sketch is tested on the conformance cases.",
    ],
    "python": [
        "Use google-re2 (`import re2`) with case_sensitive=False; with the standard `re`"
        " add re.IGNORECASE | re.ASCII, and know that `$` also matches before a final newline"
        " and that `re` backtracks (a careless pattern can take exponential time).",
    ],
}


def _event_spec() -> dict[str, Any]:
    low, high = KLING_CODE_RANGES[0], KLING_CODE_RANGES[1]
    return {
        "description": "The export covers matching on an already-normalised event: turning a"
        " logged record (a response, a Kling body, a failed task, a log line, an exception"
        " text, a gateway body...) into an event is the normaliser's work, which this"
        " document does not contain. Build events yourself for the shapes you log (see"
        " `examples`), or send raw records to `kling-errors serve` (POST /v1/classify).",
        "fields": {
            "http_status": "integer or null: the HTTP status; a gateway body's 4xx/5xx code"
            " beats a 2xx on the wire.",
            "service_code": "integer or null: Kling's body `code` when it lies in"
            f" {low[0]}-{low[1]} or {high[0]}-{high[1]}, or 0 (a success envelope, which a"
            " failed task may still sit in); any other body code is a gateway code.",
            "message": "string or null: the error message (the innermost one; for a failed"
            " task its task_status_msg), trimmed, secrets replaced by [secure], at most"
            f" {MAX_MESSAGE} characters.",
            "text": "string: all the record's text (text fields, then messages, then task"
            f" messages) joined by newlines, at most {MAX_TEXT} characters; empty when the"
            " record has none.",
            "task_status": "string or null: lowercase; "
            + ", ".join(sorted(FAILED_STATUSES))
            + ' all become "failed".',
            "gateway": "string or null: lowercase gateway name (fal, piapi, kie, replicate,"
            " aggregator, or the record's own `gateway` value).",
            "gateway_code": "string or null: the gateway's error code or type, lowercase"
            " (a numeric body code outside Kling's ranges too, as a string).",
            "headers": "object: response headers, names lowercase.",
        },
        "outcomes": "Before matching, the engine answers `not_an_error` (a success, a task"
        " still running, an info line) or `unreadable` (nothing to go on) without any rule;"
        " an event no rule matches is `unmatched`, except a text line that only reports"
        " success or progress in words (`not_an_error`).",
    }


def _example_records() -> list[Any]:
    """Logged shapes and the events they normalise to (documentation, computed)."""
    return [
        {"status": 429, "body": {"code": 1102, "message": "Account balance not enough"}},
        {"code": 0, "data": {"task_id": "8a", "task_status": "failed",
                             "task_status_msg": "Failure to pass the risk control system"}},
        {"status": 422, "headers": {"X-Fal-Error-Type": "content_policy_violation"},
         "body": {"detail": [{"msg": "The content could not be processed",
                              "type": "content_policy_violation"}]}},
        "ERROR kling: 504 Gateway Timeout while polling task 8a",
    ]  # fmt: skip


def event_dict(event: Event) -> dict[str, Any]:
    """An event as the export represents it (the fields matching reads)."""
    return {
        "http_status": event.http_status,
        "service_code": event.service_code,
        "message": event.message,
        "text": event.match_text,
        "task_status": event.task_status,
        "gateway": event.gateway,
        "gateway_code": event.gateway_code,
        "headers": dict(event.headers),
    }


def _status(conditions: Conditions) -> dict[str, Any] | None:
    status = conditions.http_status
    if status is None:
        return None
    classes = [d for d in range(1, 6) if all(d * 100 + n in status.codes for n in range(100))]
    codes = sorted(c for c in status.codes if c // 100 not in classes)
    return {"codes": codes, "classes": [f"{d}xx" for d in classes], "precision": status.precision}


def conditions_dict(conditions: Conditions) -> dict[str, Any]:
    """One condition set: only the conditions it has (all must hold)."""

    def strings(values: frozenset[str] | None) -> list[str] | None:
        return None if values is None else sorted(values)

    found: dict[str, Any] = {
        "http_status": _status(conditions),
        "service_code": sorted(conditions.service_code) if conditions.service_code else None,
        "message": conditions.message.pattern if conditions.message else None,
        "text": conditions.text.pattern if conditions.text else None,
        "task_status": strings(conditions.task_status),
        "gateway": strings(conditions.gateway),
        "gateway_code": strings(conditions.gateway_code),
        "headers": [
            {"name": name, "regex": None if pattern is None else pattern.pattern}
            for name, pattern in conditions.headers
        ]
        or None,
    }
    return {key: value for key, value in found.items() if value is not None}


def rule_dict(rule: Rule, position: int) -> dict[str, Any]:
    """One rule as the export (and the service's explain) shows it."""
    policy = rule.retry
    return {
        "id": rule.id,
        "position": position,
        "priority": rule.priority,
        "match": [
            {"conditions": conditions_dict(c), "rank": list(rank(rule, c, position))}
            for c in rule.match
        ],
        "category": str(rule.category),
        "severity": str(rule.severity),
        "retryable": rule.retryable,
        "retry": {
            "strategy": str(policy.strategy),
            "initial_delay": policy.initial_delay,
            "max_delay": policy.max_delay,
            "max_attempts": policy.max_attempts,
            "multiplier": policy.multiplier,
            "honour_retry_after": policy.honour_retry_after,
        },
        "title": rule.title,
        "summary": rule.summary,
        "causes": list(rule.causes),
        "fixes": [fix_dict(fix) for fix in rule.fixes],
        "remediation_template": rule.remediation,
        "expected_status": rule.expected_status,
        "source": {k: v for k, v in vars(rule.source).items() if v is not None},
        "docs": [{"title": d.title, "url": d.url} for d in rule.docs],
        "origin": {
            "rule_set": rule.rule_set,
            "file": rule.origin.path,
            "line": rule.origin.line,
            "extends": rule.extends,
        },
    }


def _conformance(engine: Engine) -> list[dict[str, Any]]:
    """Each rule's examples and counter-examples that normalise to an event, with the rule
    the engine picks for it (null: none). Records whose text held a secret are left out:
    the event would have to show it."""
    cases = []
    for rule in engine.rules:
        for kind, records in (
            ("example", rule.examples),
            ("counter_example", rule.counter_examples),
        ):
            for number, record in enumerate(records):
                event = to_event(record)
                if not isinstance(event, Event) or event.text != event.match_text:
                    continue
                diagnosis = engine.classify(record)
                winner = diagnosis.rule if diagnosis.outcome == Outcome.MATCHED else None
                cases.append(
                    {"event": event_dict(event), "winner": winner,
                     "from": {"rule": rule.id, "kind": kind, "number": number}}
                )  # fmt: skip
    return cases


def export_document(engine: Engine) -> dict[str, Any]:
    """The whole export (schemas/export.schema.json) of the engine's rule set."""
    examples = []
    for record in _example_records():
        event = to_event(record)
        if isinstance(event, Event):
            examples.append({"record": record, "event": event_dict(event)})
    document: dict[str, Any] = {
        "$schema": SCHEMA_ID,
        "kind": KIND,
        "version": EXPORT_VERSION,
        "generator": {"name": "kling-errors", "version": __version__},
        "rule_sets": list(engine.rules.sources),
        "event": {**_event_spec(), "examples": examples},
        "matching": {
            "description": "For each rule, for each condition set of its `match` (any may"
            " hold): the set holds when every condition in it holds. Each set that holds is"
            " a candidate with its `rank`; the candidate with the greatest rank wins,"
            " comparing the rank arrays element by element (lexicographically, higher wins)."
            " Positions are unique, so two rules never tie. No candidate: no rule explains"
            " the event (`unmatched`).",
            "rank": [{"name": name, "meaning": meaning} for name, meaning in _RANK],
            "conditions": _CONDITIONS,
            "max_chars": MAX_MATCH_CHARS,
            "regex": _REGEX,
        },
        "retry": {
            "description": "Seconds to wait before retry number `attempt` (1-based), for a"
            ' rule whose retryable is not false: none when strategy is "none" or, with'
            " max_attempts > 0, when attempt > max_attempts. Else, when the server sent"
            " Retry-After and honour_retry_after: min(max(0, retry_after), max_delay, or"
            f" {MAX_RETRY_AFTER:g} when max_delay is 0). Else initial_delay * multiplier **"
            " (attempt - 1), capped at max_delay when max_delay > 0.",
            "max_retry_after": MAX_RETRY_AFTER,
        },
        "categories": {
            str(name): {"meaning": meaning, "retry": retry}
            for name, (meaning, retry) in CATEGORY_INFO.items()
        },
        "rules": [rule_dict(rule, position) for position, rule in enumerate(engine.rules)],
        "conformance": {
            "description": "Each rule's examples and counter-examples, normalised, with the"
            " rule the engine picks (null: none). A re-implementation of the matching should"
            " pick the same winner for every case.",
            "cases": _conformance(engine),
        },
    }
    document["digest"] = "sha256:" + hashlib.sha256(_canonical(document)).hexdigest()
    return document


def _canonical(document: dict[str, Any]) -> bytes:
    body = {k: v for k, v in document.items() if k != "digest"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def document_text(document: dict[str, Any]) -> str:
    """The export as text: deterministic (sorted keys, two-space indent, a final newline)."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def export_json(engine: Engine) -> str:
    """What `rules export` writes for the engine's rule set."""
    return document_text(export_document(engine))
