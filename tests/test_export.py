"""`rules export`: the knowledge as one JSON document that code in another language can match
with. Held to its schema, to determinism, and — the point of it — to a matcher written here
from the document alone (and the README's JavaScript sketch, run on Node), which must pick
the engine's winner for every example of every built-in rule."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import re2  # type: ignore[import-untyped]
from jsonschema import Draft202012Validator

from kling_errors import Engine, Event, _vocabulary
from kling_errors._models import Conditions
from kling_errors._normalize import to_event

from .conftest import REPO

SCHEMA = json.loads((REPO / "schemas" / "export.schema.json").read_text(encoding="utf-8"))

# A rule set with every kind of condition, a status class, a list, an override and extends.
TEAM_RULES = """\
version: 1
rules:
  - id: team.every_condition
    title: Every kind of condition
    category: quota_billing
    severity: error
    priority: 2
    match:
      - http_status: [429, 5xx]
        service_code: [1102, 1101]
        message: [tenant budget, 'quota (spent|gone)']
        text: 'acme-gw/\\d+'
        task_status: FAILED
        gateway: acme
        gateway_code: [Budget_Spent]
        headers: {X-Acme-Tenant: true, Retry-After: '^\\d+$'}
      - {http_status: 402}
    causes: [The tenant's budget is spent.]
    fixes: [Raise the budget.]
    retryable: false
    retry: {strategy: none}
    source: {kind: observed_log, ref: our gateway}
  - id: kling.concurrency.1303
    extends: kling.concurrency.1303
    retry: {strategy: backoff, initial_delay: 5, max_delay: 60, max_attempts: 3}
"""


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kling_errors", *args, "--no-config"],
        capture_output=True,
        check=True,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    exported: dict[str, Any] = json.loads(_cli("rules", "export").stdout)
    return exported


@pytest.fixture
def team(tmp_path: Path) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(TEAM_RULES, encoding="utf-8")
    return path


# ---- a matcher from the document alone ------------------------------------------------

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False  # the document: case-insensitive RE2, unanchored search


class ExportMatcher:
    """Matching as the export document describes it, and nothing else."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.limit = document["matching"]["max_chars"]
        self.sets = []
        for rule in document["rules"]:
            for alternative in rule["match"]:
                c = alternative["conditions"]
                compiled = {k: re2.compile(c[k], _OPTIONS) for k in ("message", "text") if k in c}
                headers = [
                    (h["name"], None if h["regex"] is None else re2.compile(h["regex"], _OPTIONS))
                    for h in c.get("headers", [])
                ]
                self.sets.append((rule["id"], tuple(alternative["rank"]), c, compiled, headers))

    def _holds(
        self, c: dict[str, Any], compiled: dict[str, Any], headers: list[Any], e: dict[str, Any]
    ) -> bool:
        status = c.get("http_status")
        if status is not None:
            code = e["http_status"]
            if code is None or not (
                code in status["codes"] or f"{code // 100}xx" in status["classes"]
            ):
                return False
        for name in ("service_code", "task_status", "gateway", "gateway_code"):
            if name in c and e[name] not in c[name]:
                return False
        for name, pattern in headers:
            value = e["headers"].get(name)
            if value is None or (pattern is not None and not pattern.search(value)):
                return False
        if "message" in compiled and not (
            e["message"] and compiled["message"].search(e["message"][: self.limit])
        ):
            return False
        text = (e["text"] or e["message"] or "")[: self.limit]
        return "text" not in compiled or bool(text and compiled["text"].search(text))

    def winner(self, event: dict[str, Any]) -> str | None:
        best: tuple[tuple[int, ...], str] | None = None
        for rule_id, rank, c, compiled, headers in self.sets:
            if (best is None or rank > best[0]) and self._holds(c, compiled, headers, event):
                best = (rank, rule_id)
        return None if best is None else best[1]


def _event(event: Event) -> dict[str, Any]:
    """The normalised event with the fields the document lists (event.fields)."""
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


def _engine_winner(engine: Engine, record: Any) -> str | None:
    diagnosis = engine.classify(record)
    return diagnosis.rule if diagnosis.outcome == "matched" else None


def _examples(engine: Engine) -> list[tuple[str, Any]]:
    """Every example and counter-example of every rule that normalises to an event."""
    found = []
    for rule in engine.rules:
        for record in (*rule.examples, *rule.counter_examples):
            if isinstance(to_event(record), Event):
                found.append((rule.id, record))
    return found


# ---- the tests ----------------------------------------------------------------------


def test_the_schema_is_valid_and_the_export_follows_it(document: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    errors = [
        f"{e.json_path}: {e.message}" for e in Draft202012Validator(SCHEMA).iter_errors(document)
    ]
    assert errors == []
    assert document["version"] == 1 and document["kind"] == "kling-errors/rules-export"


def test_a_team_rule_set_with_every_condition_kind_follows_the_schema(team: Path) -> None:
    document = json.loads(_cli("rules", "export", "--rules", str(team)).stdout)
    assert list(Draft202012Validator(SCHEMA).iter_errors(document)) == []
    assert document["rule_sets"] == ["builtin", str(team)]
    rule = next(r for r in document["rules"] if r["id"] == "team.every_condition")
    first = rule["match"][0]
    assert first["conditions"] == {
        "http_status": {"codes": [429], "classes": ["5xx"], "precision": 1},
        "service_code": [1101, 1102],
        "message": "(?:tenant budget)|(?:quota (spent|gone))",
        "text": "acme-gw/\\d+",
        "task_status": ["failed"],
        "gateway": ["acme"],
        "gateway_code": ["budget_spent"],
        "headers": [
            {"name": "retry-after", "regex": "^\\d+$"},
            {"name": "x-acme-tenant", "regex": None},
        ],
    }
    # rank: [priority, service-code condition, conditions, status precision, position]
    assert first["rank"] == [2, 1, 9, 1, rule["position"]]
    assert rule["match"][1]["rank"] == [2, 0, 1, 3, rule["position"]]
    assert rule["retry"]["strategy"] == "none" and rule["category"] == "quota_billing"


def test_every_kind_of_condition_the_engine_knows_is_exported() -> None:
    """A new condition kind in the model must reach the document (and its schema)."""
    kinds = {f.name for f in dataclasses.fields(Conditions)}
    assert kinds == set(SCHEMA["$defs"]["conditions"]["properties"])
    assert kinds == set(SCHEMA["$defs"]["matching"]["properties"]["conditions"]["required"])


def test_the_schema_lists_the_vocabulary_exactly() -> None:
    rule = SCHEMA["$defs"]["rule"]["properties"]
    assert set(rule["category"]["enum"]) == set(_vocabulary.Category)
    assert set(SCHEMA["properties"]["categories"]["required"]) == set(_vocabulary.Category)
    assert set(rule["severity"]["enum"]) == set(_vocabulary.Severity)
    assert set(rule["retry"]["properties"]["strategy"]["enum"]) == set(_vocabulary.Strategy)
    assert set(rule["source"]["properties"]["kind"]["enum"]) == set(_vocabulary.SourceKind)


def test_rules_are_in_load_order_and_an_override_moves_to_the_end(team: Path) -> None:
    document = json.loads(_cli("rules", "export", "--rules", str(team)).stdout)
    ids = [r["id"] for r in document["rules"]]
    engine = Engine(rule_paths=[team])
    assert ids == [r.id for r in engine.rules]
    assert [r["position"] for r in document["rules"]] == list(range(len(ids)))
    assert ids[-1] == "kling.concurrency.1303"  # overridden by the team: loaded last
    last = document["rules"][-1]
    assert last["origin"] == {"rule_set": str(team), "file": str(team), "line": 23,
                              "extends": "kling.concurrency.1303"}  # fmt: skip
    assert last["retry"]["max_attempts"] == 3 and last["match"]  # the conditions inherited


def test_the_export_is_deterministic_and_its_digest_checks(tmp_path: Path, team: Path) -> None:
    first = _cli("rules", "export", "--rules", str(team)).stdout
    second = _cli("rules", "export", "--rules", str(team)).stdout
    assert first == second
    _cli("rules", "export", "--rules", str(team), "-o", str(tmp_path / "out.json"))
    assert (tmp_path / "out.json").read_bytes() == first
    document = json.loads(first)
    body = {k: v for k, v in document.items() if k != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert document["digest"] == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    # keys sorted at every level, two-space indent, a final newline
    assert (
        first.decode() == json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )
    other = json.loads(_cli("rules", "export").stdout)
    assert other["digest"] != document["digest"]


def test_a_matcher_built_from_the_export_alone_picks_the_engines_winners(
    document: dict[str, Any], engine: Engine
) -> None:
    matcher = ExportMatcher(document)
    cases = _examples(engine)
    assert len(cases) > 150
    mismatches = []
    for rule_id, record in cases:
        event = to_event(record)
        assert isinstance(event, Event)
        expected, got = _engine_winner(engine, record), matcher.winner(_event(event))
        if expected != got:
            mismatches.append((rule_id, record, expected, got))
    assert mismatches == []
    # not a vacuous agreement: nearly every rule wins its own examples
    assert len({_engine_winner(engine, record) for _, record in cases}) > 0.9 * len(engine.rules)


def test_the_matcher_from_the_export_agrees_on_team_rules_too(team: Path) -> None:
    document = json.loads(_cli("rules", "export", "--rules", str(team)).stdout)
    matcher, engine = ExportMatcher(document), Engine(rule_paths=[team])
    records = [
        {"status": 503, "gateway": "acme", "headers": {"X-Acme-Tenant": "t1", "Retry-After": "30"},
         "body": {"code": 1102, "message": "tenant budget spent (acme-gw/7)"},
         "task_status": "failed", "error_type": "budget_spent"},
        {"status": 402, "body": {"message": "payment required"}},
        {"status": 429, "body": {"code": 1303, "message": "parallel task over resource pack limit"}},
        {"status": 500, "body": {"message": "Internal Server Error"}},
    ]  # fmt: skip
    winners = []
    for record in records:
        event = to_event(record)
        assert isinstance(event, Event)
        winners.append(matcher.winner(_event(event)))
        assert winners[-1] == _engine_winner(engine, record), record
    assert winners[1:3] == ["team.every_condition", "kling.concurrency.1303"]


def test_the_conformance_cases_are_the_engines_answers(
    document: dict[str, Any], engine: Engine
) -> None:
    cases = document["conformance"]["cases"]
    assert len(cases) > 150
    matcher = ExportMatcher(document)
    rules = {rule.id: rule for rule in engine.rules}
    for case in cases:
        origin = case["from"]
        records = (
            rules[origin["rule"]].examples
            if origin["kind"] == "example"
            else rules[origin["rule"]].counter_examples
        )
        record = records[origin["number"]]
        event = to_event(record)
        assert isinstance(event, Event) and _event(event) == case["event"]
        assert case["winner"] == _engine_winner(engine, record) == matcher.winner(case["event"])


def test_the_document_says_where_re2_differs_from_go_and_javascript(
    document: dict[str, Any],
) -> None:
    regex = document["matching"]["regex"]
    javascript = " ".join(regex["javascript"])
    for point in ('"iu"', "(?i)", "\\s", "\\A", "\\z", "\\Z", "[[:alpha:]]", "(?P<name>"):
        assert point in javascript, point
    assert "(?i)" in " ".join(regex["go"])
    assert "\\Z" in SCHEMA["description"] and "iu" in SCHEMA["description"]
    assert "already-normalised event" in document["event"]["description"]
    assert set(document["event"]["fields"]) == set(SCHEMA["$defs"]["event"]["properties"])


def _readme_sketch() -> str:
    """The README's JavaScript matching sketch (the ```js block that defines matchEvent)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Beyond Python") :]
    blocks = re.findall(r"```js\n(.*?)```", section, re.DOTALL)
    (sketch,) = [block for block in blocks if "export function matchEvent" in block]
    return sketch


NODE = shutil.which("node")

# Records in the two shapes the sketch builds events for, and the sketch's call for each.
BUILT = [
    ({"status": 429, "headers": {}, "body": {"code": 1102, "message": "Account balance not enough"}},
     "answerEvent(429, {}, {code: 1102, message: 'Account balance not enough'})"),
    ({"status": 429, "headers": {}, "body": {"code": 1303, "message": "parallel task over resource pack limit"}},
     "answerEvent(429, {}, {code: 1303, message: 'parallel task over resource pack limit'})"),
    ({"status": 400, "headers": {}, "body": {"code": 1201, "message": "File is not in a valid base64 format"}},
     "answerEvent(400, {}, {code: 1201, message: 'File is not in a valid base64 format'})"),
    ({"status": 401, "headers": {}, "body": {"code": 1004, "message": "Authorization is invalid"}},
     "answerEvent(401, {}, {code: 1004, message: 'Authorization is invalid'})"),
    ({"status": 500, "headers": {}, "body": {"code": 5000, "message": "Internal server error"}},
     "answerEvent(500, {}, {code: 5000, message: 'Internal server error'})"),
    ({"status": 429, "headers": {"Retry-After": "3"}, "body": {"message": "rate limit exceeded"}},
     "answerEvent(429, {'Retry-After': '3'}, {message: 'rate limit exceeded'})"),
    ({"code": 0, "data": {"task_id": "7", "task_status": "failed", "task_status_msg": "Failure to pass the risk control system"}},
     "failedTaskEvent({code: 0, data: {task_id: '7', task_status: 'failed', task_status_msg: 'Failure to pass the risk control system'}})"),
    ({"code": 0, "data": {"task_id": "7", "task_status": "failed", "task_status_msg": ""}},
     "failedTaskEvent({code: 0, data: {task_id: '7', task_status: 'failed', task_status_msg: ''}})"),
]  # fmt: skip


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_readmes_javascript_sketch_picks_the_engines_winners(
    tmp_path: Path, document: dict[str, Any], engine: Engine
) -> None:
    """What a Node user copies from the README works: run on Node over the conformance
    cases, and on events its own builders make, it picks the engine's rule every time."""
    assert NODE is not None
    (tmp_path / "kling-rules.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "kling-match.mjs").write_text(_readme_sketch(), encoding="utf-8")
    calls = ", ".join(f"matchEvent({call})?.id ?? null" for _, call in BUILT)
    (tmp_path / "run.mjs").write_text(
        'import { readFileSync } from "node:fs";\n'
        'import { matchEvent, answerEvent, failedTaskEvent } from "./kling-match.mjs";\n'
        'const exp = JSON.parse(readFileSync("kling-rules.json", "utf8"));\n'
        "const cases = exp.conformance.cases.map((c) => matchEvent(c.event)?.id ?? null);\n"
        f"console.log(JSON.stringify({{cases, built: [{calls}]}}));\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [NODE, "run.mjs"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    found = json.loads(result.stdout)
    expected = [case["winner"] for case in document["conformance"]["cases"]]
    assert len(found["cases"]) == len(expected) > 150
    assert [
        (i, w) for i, (w, e) in enumerate(zip(found["cases"], expected, strict=True)) if w != e
    ] == []
    assert found["built"] == [_engine_winner(engine, record) for record, _ in BUILT]
    assert found["built"][0] == "kling.account.1102"  # the README's example
