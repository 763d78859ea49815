"""The repeat cache gives every record exactly the answer the full path gives.

Lines that differ only in ids and timestamps are answered from a learnt skeleton
(kling_errors/_repeat.py). These tests compare its output with the full path's, byte for
byte, over generated logs, and pin the facts its correctness argument rests on.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from kling_errors import Engine
from kling_errors._event import _KEY_GROUP, _REQUEST_ID_KEYS, _TASK_ID_KEYS, _clean
from kling_errors._input import read_stream
from kling_errors._output import Summary, Writer
from kling_errors._redact import redact
from kling_errors._repeat import PLAIN_STRING, SLOT_KEYS, Repeats
from kling_errors.cli import main
from tests.test_hostile import RECORDS

ENGINE = Engine()

# A user rule set that makes the cache's life hard: a template that transforms the
# request id, one that prints it, and a rule that matches on the x-request-id header.
HARD_RULES = """\
version: 1
rules:
  - id: team.upper_request
    title: Concurrency, shouted
    category: concurrency_limit
    severity: warning
    priority: 10
    match: {service_code: 1303}
    causes: [too many tasks]
    fixes: [wait]
    retryable: true
    retry: {strategy: backoff, initial_delay: 1}
    remediation: "Request {{ request_id | upper }} of task {{ task_id }}: wait."
    source: {kind: inferred, ref: test}
  - id: team.print_request
    title: Balance, quoted
    category: quota_billing
    severity: error
    priority: 10
    match: {service_code: 1102}
    causes: [no money]
    fixes: [pay]
    retryable: false
    retry: {strategy: none}
    remediation: "{% if request_id %}Request {{ request_id }}{% endif %} needs money."
    source: {kind: inferred, ref: test}
  - id: team.header_id
    title: Odd request id
    category: server_error
    severity: error
    priority: 10
    match: {http_status: 503, headers: {x-request-id: "^a"}}
    causes: [odd]
    fixes: [none]
    retryable: null
    retry: {strategy: none}
    source: {kind: inferred, ref: test}
"""

LINES = [
    '{"ts": %(ts)s, "status": 429, "url": "https://api-singapore.klingai.com/v1/videos/text2video",'
    ' "body": {"code": 1303, "message": "parallel task over resource pack limit",'
    ' "request_id": %(rid)s}}',
    '{"ts": %(ts)s, "status": 429, "body": {"code": 1102, "message": "Account balance not enough",'
    ' "request_id": %(rid)s, "task_id": %(tid)s}}',
    '{"code": 0, "message": "SUCCEED", "request_id": %(rid)s, "data": {"task_id": %(tid)s,'
    ' "task_status": "failed", "task_status_msg": "Image pixel is invalid",'
    ' "created_at": %(ts)s, "updated_at": %(ts)s}}',
    '{"status": 503, "headers": {"x-request-id": %(rid)s, "date": %(ts)s, "retry-after": "3"},'
    ' "body": "upstream busy"}',
    '{"level": "info", "time": %(ts)s, "msg": "call ok", "request_id": %(rid)s}',
    '{"id": %(rid)s, "status": "failed", "error": "boom", "urls": {}, "created_at": %(ts)s}',
    '{"level": "error", "logger": "kling", "http_status": 401, "kling_code": 1004,'
    ' "kling_message": "Authorization has expired", "request_id": %(rid)s, "trace_id": %(tid)s}',
    '{"status": 422, "body": {"detail": [{"loc": ["body", "prompt"], "msg": "flagged",'
    ' "type": "content_policy_violation"}]}, "timestamp": %(ts)s}',
    '{"ts": %(ts)s, "request_id": %(rid)s, "status": 200, "body": {"code": 0, "message": "ok"}}',
    '{"ts": %(ts)s, "requestId": %(rid)s, "status": 429, "body": {"code": 1303',  # truncated
    '{"ts": %(ts)s "request_id": %(rid)s}',  # not JSON
    "plain text line %(rid)s",
]
ODD_VALUES = [
    '"sk-abcdefghijklmnopqrstuvwx"', '"eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"', "0", "-5", "1.5",
    "1e3", "null", "true", '"a"', '"A"', '" padded "', '"key=1"', '"x\\"y"', "007", '""',
    '"2026-11-25T14:11:28.123Z"', '"6513270e-269e-0d37-f2a7-4de452e6b438"',
]  # fmt: skip
PLAIN = st.from_regex(PLAIN_STRING, fullmatch=True)
VALUES = st.one_of(
    PLAIN.map(json.dumps),
    st.integers(1, 10**19).map(str),
    st.sampled_from(ODD_VALUES),
    st.text(max_size=12).map(json.dumps),
)
LOGS = st.lists(
    st.tuples(st.integers(0, len(LINES) - 1), VALUES, VALUES, VALUES), min_size=1, max_size=40
)


def _log(rows: list[tuple[int, str, str, str]]) -> bytes:
    # Few line shapes, many repeats: the cache learns on a second sighting.
    text = "\n".join(LINES[n] % {"ts": ts, "rid": rid, "tid": tid} for n, ts, rid, tid in rows)
    return text.encode() + b"\n"


def _outputs(engine: Engine, data: bytes, fmt: str, *, repeats: bool) -> tuple[str, dict]:  # type: ignore[type-arg]
    """What `classify` writes, and its summary, with or without the repeat cache."""
    out = io.StringIO()
    writer = Writer(out, fmt)
    cache = Repeats(engine, writer.format, writer.escape) if repeats else None
    tally = Summary()
    records = read_stream(io.BytesIO(data), "log.jsonl", cache.sketch if cache else None)
    for index, raw in enumerate(records):
        if cache is not None and raw.sketch is not None:
            counted, text = cache.answer(raw, index)
            tally.add(counted)
            writer.write_formatted(text)
        else:
            diagnosis = engine.classify_raw(raw, index)
            tally.add(diagnosis)
            writer.write_formatted(writer.format(diagnosis))
    writer.close()
    return out.getvalue(), tally.to_dict()


@pytest.fixture(scope="module")
def hard_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("rules") / "hard.yaml"
    path.write_text(HARD_RULES)
    return Engine(rule_paths=[path])


@given(LOGS, st.sampled_from(["jsonl", "text", "json"]))
def test_repeats_answer_exactly_like_the_full_path(rows: list, fmt: str) -> None:  # type: ignore[type-arg]
    data = _log(rows * 3)  # every shape seen at least three times
    assert _outputs(ENGINE, data, fmt, repeats=True) == _outputs(ENGINE, data, fmt, repeats=False)


@given(LOGS)
def test_repeats_answer_exactly_like_the_full_path_with_tricky_templates(
    hard_engine: Engine,
    rows: list,  # type: ignore[type-arg]
) -> None:
    data = _log(rows * 3)
    fast = _outputs(hard_engine, data, "jsonl", repeats=True)
    assert fast == _outputs(hard_engine, data, "jsonl", repeats=False)


@given(st.lists(RECORDS, min_size=1, max_size=6), st.lists(VALUES, min_size=3, max_size=3))
def test_hostile_records_answer_exactly_like_the_full_path(records: list, ids: list[str]) -> None:  # type: ignore[type-arg]
    lines = []
    for value in ids:  # each record three times, with other ids
        for record in records:
            line = json.dumps(record)
            if line.startswith("{") and line != "{}":
                line = '{"request_id": ' + value + ', "ts": ' + value + ", " + line[1:]
            lines.append(line)
    data = "\n".join(lines).encode() + b"\n"
    assert _outputs(ENGINE, data, "jsonl", repeats=True) == _outputs(
        ENGINE, data, "jsonl", repeats=False
    )


@given(st.binary(max_size=600))
def test_arbitrary_bytes_answer_exactly_like_the_full_path(data: bytes) -> None:
    data = b"\n".join([data] * 3)
    assert _outputs(ENGINE, data, "jsonl", repeats=True) == _outputs(
        ENGINE, data, "jsonl", repeats=False
    )


def test_repeats_are_used_and_ids_are_each_records_own() -> None:
    rows = [(0, str(n), f'"{n:08x}-0000-4000-8000-{n:012x}"', "1") for n in range(1, 50)]
    data = _log(rows)
    writer = Writer(io.StringIO(), "jsonl")
    cache = Repeats(ENGINE, writer.format, writer.escape)
    records, answered = [], []
    for index, raw in enumerate(read_stream(io.BytesIO(data), "log.jsonl", cache.sketch)):
        records.append(raw)  # read one by one: the cache learns as the run goes
        answered.append(json.loads(cache.answer(raw, index)[1]))
    assert [r["request_id"] for r in answered] == [json.loads(LINES[0] % {"ts": 1, "rid": rid, "tid": 1})["body"]["request_id"] for _, _, rid, _ in rows]  # fmt: skip
    assert [r["location"] for r in answered] == [f"log.jsonl:{n}" for n in range(1, 50)]
    assert {r["rule"] for r in answered} == {"kling.concurrency.1303"}
    assert sum(raw.value is None for raw in records) >= 45  # not parsed: answered from the cache


def test_a_template_that_transforms_the_request_id_is_not_cached(hard_engine: Engine) -> None:
    rows = [(0, "1", f'"abc{n}"', "1") for n in range(5)]
    out, _ = _outputs(hard_engine, _log(rows), "jsonl", repeats=True)
    remediations = [json.loads(line)["remediation"] for line in out.splitlines()]
    assert remediations == [f"Request ABC{n} of task None: wait." for n in range(5)]


def test_string_and_number_values_are_different_skeletons() -> None:
    cache = Repeats(ENGINE, str)
    quoted, bare = (
        cache.sketch('{"ts": "5", "code": 1303}'),
        cache.sketch('{"ts": 5, "code": 1303}'),
    )
    assert quoted is not None and bare is not None
    assert quoted.skeleton != bare.skeleton and quoted.values == bare.values == ["5"]


def test_only_plain_values_are_set_aside() -> None:
    cache = Repeats(ENGINE, str)
    for value in [
        '"sk-abcdefghijklmnopqrstu"',
        '"key=1"',
        '" padded"',
        "0",
        "-5",
        "1.5",
        '"x\\"y"',
    ]:
        sketch = cache.sketch('{"request_id": ' + value + ', "code": 1303}')
        assert sketch is not None and sketch.values == [], value


@given(PLAIN)
def test_a_plain_value_survives_trimming_and_redaction_unchanged(value: str) -> None:
    assert redact(value) == value
    assert _clean(value, 120) == value
    assert json.dumps(value)[1:-1] == value  # needs no escaping in JSON output


def test_slot_keys_are_never_read_for_their_content() -> None:
    """Slot values may only be copied as ids (request/task id) or ignored by the normalizer."""
    interpreted = set(_KEY_GROUP) - set(_REQUEST_ID_KEYS) - set(_TASK_ID_KEYS)
    special = {"id", "gateway", "type", "loc", "url", "state", "name", "value", "headers"}
    assert not (set(SLOT_KEYS) & (interpreted | special))


def test_a_log_of_all_different_lines_stays_small(monkeypatch: pytest.MonkeyPatch) -> None:
    from kling_errors import _repeat

    monkeypatch.setattr(_repeat, "MAX_SEEN", 100)
    cache = Repeats(ENGINE, str)
    for n in range(1000):
        line = json.dumps({"status": 429, "body": {"code": 1303, "message": f"shard {n}"}})
        sketch = cache.sketch(line)
        assert sketch is not None
        cache._learn(sketch)
    assert len(cache._seen) <= 100 and not cache._known


def test_what_the_cache_holds_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from kling_errors import _repeat

    monkeypatch.setattr(_repeat, "MAX_KNOWN_CHARS", 20_000)
    writer = Writer(io.StringIO(), "jsonl")
    cache = Repeats(ENGINE, writer.format, writer.escape)
    for n in range(200):  # 200 skeletons, each seen twice: each would be learnt
        line = json.dumps({"status": 429, "body": {"code": 1303, "message": f"shard {n}"}})
        for _ in range(2):
            sketch = cache.sketch(line)
            assert sketch is not None
            cache._learn(sketch)
    assert 0 < len(cache._known) < 200 and cache._chars < 20_000 + 5_000


def test_classify_output_is_the_same_with_the_cache_off(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(_log([(n % len(LINES), str(n + 1), f'"{n:x}"', str(n + 7)) for n in range(60)]))
    runner = CliRunner()
    args = ["classify", "--no-config", "--format", "jsonl", str(log)]
    fast = runner.invoke(main, args)
    slow = runner.invoke(main, args, env={"KLING_ERRORS_NO_REPEATS": "1"})
    assert fast.exit_code == slow.exit_code == 0
    assert fast.stdout == slow.stdout and len(fast.stdout.splitlines()) == 60
    assert re.search(r'"location": "[^"]*log\.jsonl:60"', fast.stdout)
