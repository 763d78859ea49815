"""`rules mine`: a log's unexplained failures -> templates -> draft rules that hold.

End to end through the CLI (a log of unknown families mixed with known records -> drafts
that validate, pass their own tests, take exactly those families over and raise the
accuracy on a labelled sample), then the template miner's parts: masking, merging,
bounded memory, the draft regexes, and `classify --summary`'s use of the same templates.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from kling_errors import Engine
from kling_errors._mine._draft import drafts_for
from kling_errors._mine._file import render
from kling_errors._mine._miner import Miner, mine_paths, mine_records
from kling_errors._mine._pattern import MAX_FILE_PROGRAM, MAX_PROGRAM, message_regex, program_size
from kling_errors._mine._templates import cluster, shape, shape_key, shown
from kling_errors._models import Location
from kling_errors._output import Summary, message_shape
from kling_errors._read import RawRecord
from kling_errors._regex import nested_quantifier, regex_error
from kling_errors.cli import main

from .conftest import SAMPLE_LOG

SECRET = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
EDITORS = ["mara", "o'neil", "ana sofia", "ken", "li.wei"]
SEGMENTS = ["intro-b", "act 2", "outro", "take_03"]


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Four failure families no built-in rule knows (different ids, numbers and quoted values
# in every record), a neighbour of the first (most of its words, another shape), and one
# the wording tier answers today (server_error).
def storyboard(rng: random.Random) -> Any:
    message = f"Storyboard {_uuid(rng)} is locked by editor '{rng.choice(EDITORS)}' since {rng.randint(1, 900)} s"  # fmt: skip
    return {"status": 409, "body": {"code": 7301, "message": message, "request_id": _uuid(rng)}}


def storyboard_export(rng: random.Random) -> Any:
    message = f"Storyboard {_uuid(rng)} is locked by editor '{rng.choice(EDITORS)}' (export only)"
    return {"status": 409, "body": {"code": 7301, "message": message}}


def interpolator(rng: random.Random) -> Any:
    ts = f"2026-11-29 10:{rng.randint(10, 59)}:{rng.randint(10, 59)},{rng.randint(100, 999)}"
    return (
        f"{ts} ERROR app.render: Frame interpolator crashed on shot {rng.randint(1, 400)} "
        f"(segment '{rng.choice(SEGMENTS)}', {rng.randint(24, 2400)} frames)"
    )


def relay(rng: random.Random) -> Any:
    return {
        "level": "error",
        "msg": f"Webhook relay refused payload {rng.getrandbits(48):012x}: delivery window "
        f"of {rng.choice([1500, 3000, 12000])} ms elapsed",
        "api_key": SECRET,
        "worker": f"relay-{rng.randint(1, 9)}",
    }


def queue(rng: random.Random) -> Any:
    return (
        f"[2026-11-29T10:{rng.randint(10, 59)}:00Z] 渲染队列{rng.randint(1, 30)}已暂停"
        f"\uff0c作业{rng.randint(1000, 99999)}等待人工复核"
    )


def pool(rng: random.Random) -> Any:
    return f"Upstream render pool {rng.choice(['eu-3', 'us-east-1', 'ap-7'])} overloaded, shed {rng.randint(2, 90)} jobs"  # fmt: skip


UNKNOWN: dict[str, Callable[[random.Random], Any]] = {
    "storyboard": storyboard,
    "storyboard_export": storyboard_export,
    "interpolator": interpolator,
    "relay": relay,
    "queue": queue,
}
# family -> (the words its draft id starts with, the label a team gives it)
LABELS = {
    "storyboard": ("team.mined.storyboard_is_locked_by_editor", "concurrency_limit", True),
    "storyboard_export": ("team.mined.storyboard_is_locked_by_editor_2", "permission", False),
    "interpolator": ("team.mined.error_app_render_frame_interpolator", "generation_failed", True),
    "relay": ("team.mined.webhook_relay_refused_payload_delivery", "timeout", True),
    "queue": ("team.mined.t", "content_policy", False),
}


def _line(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False) if isinstance(record, dict) else record


def write_log(path: Path, families: dict[str, int], seed: int = 3) -> list[str | None]:
    """The sample log's known records with families' records mixed in; for each record of
    the log, the family it belongs to (None: a sample record)."""
    rng = random.Random(seed)
    made = [(name, _line(UNKNOWN.get(name, pool)(rng))) for name, n in families.items()
            for _ in range(n)]  # fmt: skip
    rng.shuffle(made)
    added = "".join(line + "\n" for _, line in made).encode()
    path.write_bytes(SAMPLE_LOG.read_bytes() + added)  # the sample has binary junk too
    return [None] * len(_records(SAMPLE_LOG)) + [name for name, _ in made]


def _records(path: Path) -> list[RawRecord]:
    from kling_errors._read import read_paths

    return list(read_paths([str(path)]))


def classify(log: Path, *rules: str) -> list[dict[str, Any]]:
    extra = [arg for path in rules for arg in ("--rules", path)]
    code, out, err = run("classify", str(log), "--format", "jsonl", *extra)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


FAMILIES = {"storyboard": 12, "storyboard_export": 4, "interpolator": 9, "relay": 7, "queue": 6}


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str | None], str]:
    directory = tmp_path_factory.mktemp("mine")
    log = directory / "app.log"
    family_of = write_log(log, {**FAMILIES, "pool": 5})
    drafts = directory / "drafts.yaml"
    code, _, err = run("rules", "mine", str(log), "-o", str(drafts))
    assert code == 0, err
    return log, drafts, family_of, err


def test_mine_writes_one_valid_draft_per_unknown_family_that_passes_its_own_tests(
    mined: tuple[Path, Path, list[str | None], str],
) -> None:
    _, drafts, _, report = mined
    ids = [rule["id"] for rule in yaml.safe_load(drafts.read_text(encoding="utf-8"))["rules"]]
    assert len(ids) == len(FAMILIES)  # not the wording tier's family: it is answered today
    for family, (prefix, _, _) in LABELS.items():
        assert any(i.startswith(prefix) for i in ids), (family, ids)
    assert f"{len(FAMILIES)} draft(s) written" in report and "0 failed" in report
    code, out, err = run("rules", "validate", str(drafts))
    assert code == 0, err
    assert "warning" not in err  # no YAML 1.1 surprise in what was written
    code, out, _ = run("rules", "test", str(drafts))
    assert code == 0, out
    passed = int(re.search(r"(\d+) passed, 0 failed", out).group(1))  # type: ignore[union-attr]
    assert passed >= 2 * len(FAMILIES)  # 2-3 examples each, plus counter-examples


def test_the_drafts_take_over_every_record_of_the_families_and_nothing_else(
    mined: tuple[Path, Path, list[str | None], str],
) -> None:
    log, drafts, family_of, _ = mined
    before, after = classify(log), classify(log, str(drafts))
    assert len(before) == len(after) == len(family_of)
    rule_of: dict[str, set[str]] = {}
    for family, old, new in zip(family_of, before, after, strict=True):
        if family in FAMILIES:
            assert old["outcome"] == "unmatched", old
            assert new["outcome"] == "matched" and new["rule"].startswith("team.mined."), new
            rule_of.setdefault(family, set()).add(new["rule"])
        else:  # the sample's records and the wording tier's family keep their answer
            assert (new["outcome"], new["rule"]) == (old["outcome"], old["rule"])
    assert all(len(rules) == 1 for rules in rule_of.values()), rule_of  # one rule a family
    assert len(set().union(*rule_of.values())) == len(FAMILIES)  # a rule per family


def _unbounded(pattern: str) -> bool:
    """Does the pattern repeat anything without an upper bound (``+``, ``*``, ``{n,}``)?"""
    import re._parser as sre_parse  # type: ignore[import-not-found]

    def walk(items: Any) -> bool:
        for op, arg in items:
            children: list[Any] = []
            if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
                if arg[1] == sre_parse.MAXREPEAT:
                    return True
                children = [arg[2]]
            elif op == sre_parse.SUBPATTERN:
                children = [arg[3]]
            elif op == sre_parse.BRANCH:
                children = list(arg[1])
            if any(walk(child) for child in children):
                return True
        return False

    return walk(sre_parse.parse(pattern))


def test_a_draft_is_an_anchored_bounded_regex_with_the_conditions_its_records_share(
    mined: tuple[Path, Path, list[str | None], str],
) -> None:
    _, drafts, _, _ = mined
    text = drafts.read_text(encoding="utf-8")
    rules = {rule["id"]: rule for rule in yaml.safe_load(text)["rules"]}
    story = rules["team.mined.storyboard_is_locked_by_editor"]
    assert story["match"]["http_status"] == 409 and story["match"]["gateway_code"] == "7301"
    assert story["expected_status"] == 409
    for rule in rules.values():
        pattern = rule["match"]["message"]
        assert pattern.startswith("^") and pattern.endswith("$"), pattern
        assert regex_error(pattern) is None and not nested_quantifier(pattern)
        assert not _unbounded(pattern), f"unbounded repeat in {pattern}"
        assert program_size(pattern) <= MAX_PROGRAM
        assert 2 <= len(rule["examples"]) <= 3
        # unknown words: a placeholder category and retryable null, both marked TODO
        assert rule["retryable"] is None
    assert text.count("retryable: null  # TODO") == len(rules)
    assert text.count("category: generation_failed  # TODO") == len(rules)
    # the comment above each rule: count, first and last location, the template
    assert re.search(r"# 12 records · first \S+app\.log:\d+ · last \S+app\.log:\d+", text)
    assert "# template: Storyboard # is locked by editor '#' since # s" in text


def test_a_neighbouring_template_gives_the_counter_example(
    mined: tuple[Path, Path, list[str | None], str],
) -> None:
    _, drafts, _, _ = mined
    rules = {r["id"]: r for r in yaml.safe_load(drafts.read_text(encoding="utf-8"))["rules"]}
    locked = rules["team.mined.storyboard_is_locked_by_editor"]
    export = rules["team.mined.storyboard_is_locked_by_editor_2"]
    assert "(export only)" in locked["counter_examples"][0]["body"]["message"]
    assert "since" in export["counter_examples"][0]["body"]["message"]
    assert "counter_examples" not in rules["team.mined.webhook_relay_refused_payload_delivery"]


def test_examples_are_redacted(mined: tuple[Path, Path, list[str | None], str]) -> None:
    log, drafts, _, _ = mined
    assert SECRET.encode() in log.read_bytes()
    text = drafts.read_text(encoding="utf-8")
    assert SECRET not in text and "[secure]" in text


def test_edit_test_diff_and_eval_close_the_loop(
    mined: tuple[Path, Path, list[str | None], str], tmp_path: Path
) -> None:
    """The README's loop: edit the drafts (a category per family), test, diff, eval."""
    log, drafts, _, _ = mined
    data = yaml.safe_load(drafts.read_text(encoding="utf-8"))
    for rule in data["rules"]:
        family = max(
            (f for f, (prefix, _, _) in LABELS.items() if rule["id"].startswith(prefix)),
            key=lambda f: len(LABELS[f][0]),
        )
        _, category, retryable = LABELS[family]
        rule["category"], rule["retryable"] = category, retryable
        rule["retry"] = {"strategy": "backoff", "initial_delay": 5} if retryable else {
            "strategy": "none"}  # fmt: skip
    edited = tmp_path / "team.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    assert run("rules", "validate", str(edited))[0] == 0
    assert run("rules", "test", str(edited))[0] == 0
    code, out, _ = run("rules", "diff", "--corpus", str(log), "--rules", str(edited))
    assert code == 0 and f"{sum(FAMILIES.values())} of" in out
    assert "unmatched → team.mined.storyboard_is_locked_by_editor" in out

    rng = random.Random(99)  # records never seen by the miner, labelled as the team would
    sample = tmp_path / "labelled.jsonl"
    with sample.open("w", encoding="utf-8") as out_file:
        for family, maker in UNKNOWN.items():
            _, category, retryable = LABELS[family]
            for _ in range(3):
                expect = {"category": category, "retryable": retryable}
                row = {"input": maker(rng), "expect": expect, "source": f"test {family}"}
                out_file.write(json.dumps(row, ensure_ascii=False) + "\n")
    code, out, _ = run("rules", "eval", str(sample), "--format", "json")
    before = json.loads(out)
    code, out, _ = run("rules", "eval", str(sample), "--format", "json", "--rules", str(edited))
    after = json.loads(out)
    assert before["category_accuracy"] == 0.0  # all unmatched
    assert after["category_accuracy"] == after["retryable_accuracy"] == 1.0


def test_summary_groups_unmatched_by_the_templates_mine_finds(
    mined: tuple[Path, Path, list[str | None], str],
) -> None:
    log, drafts, _, _ = mined
    _, out, _ = run("classify", str(log), "--summary", "--format", "json")
    top = {row["message"]: row["count"] for row in json.loads(out)["top_unmatched"]}
    text = drafts.read_text(encoding="utf-8")
    found = re.findall(r"# (\d+) records · .*\n  # template: (.*)\n", text)
    assert len(found) == len(FAMILIES)
    for count, template in found:
        assert top[template] == int(count), (template, top)


def test_include_wording_drafts_what_only_the_wording_tier_answers(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log, {"pool": 6, "relay": 3})
    code, out, err = run("rules", "mine", str(log), "--include-wording")
    assert code == 0, err
    rules = {r["id"]: r for r in yaml.safe_load(out)["rules"]}
    pool_rule = rules["team.mined.upstream_render_pool_overloaded_shed"]
    assert (pool_rule["category"], pool_rule["retryable"]) == ("server_error", True)
    assert "# today: wording.server_error (6)" in out
    assert "from wording.server_error (it answers 6 of the 6 today)" in out
    drafts = tmp_path / "drafts.yaml"
    drafts.write_text(out, encoding="utf-8")
    after = [d["rule"] for d in classify(log, str(drafts))]
    assert after.count("team.mined.upstream_render_pool_overloaded_shed") == 6
    # without the flag the family is not mined: the wording tier explains it
    code, out, _ = run("rules", "mine", str(log))
    assert "upstream_render_pool" not in out


def test_min_count_and_an_empty_result(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log, {"relay": 2})
    _, out, err = run("rules", "mine", str(log))
    assert "rules: []" in out and "0 draft(s)" in err and "(below --min-count)" in err
    _, out, _ = run("rules", "mine", str(log), "--min-count", "2")
    assert yaml.safe_load(out)["rules"][0]["id"] == LABELS["relay"][0]


def test_mine_refuses_a_bad_prefix_and_a_missing_log(tmp_path: Path) -> None:
    assert run("rules", "mine", str(SAMPLE_LOG), "--prefix", "Team Rules")[0] == 2
    assert run("rules", "mine", str(tmp_path / "missing.log"))[0] == 4


def test_the_same_log_in_another_order_gives_the_same_drafts(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log, {"storyboard": 8, "interpolator": 5}, seed=1)
    lines = log.read_bytes().splitlines(keepends=True)
    known = len(SAMPLE_LOG.read_bytes().splitlines())
    shuffled = tmp_path / "shuffled.log"
    shuffled.write_bytes(b"".join(lines[:known] + lines[known:][::-1]))
    engine = Engine()
    first = mine_paths([str(log)], engine).templates
    second = mine_paths([str(shuffled)], engine).templates
    assert [(t.text, t.count) for t in first] == [(t.text, t.count) for t in second]
    assert [message_regex(t) for t in first if t.count >= 3] == [
        message_regex(t) for t in second if t.count >= 3
    ]


# --- the template miner ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "shown_as"),
    [
        (["teapot 5 is busy", "teapot 1234 is busy"], "teapot # is busy"),
        (
            [
                "job 3f1d2c3a-1111-4222-8333-444455556666 failed after 2.5s",
                "job 9a8b7c6d-0000-4111-8222-333344445555 failed after 10s",
            ],
            "job # failed after #",
        ),
        (["payload 9f8e7d6c5b4a refused", "payload 00aa11bb22cc refused"], "payload # refused"),
        (["model 'kling-v9' not found", "model 'dream machine' not found"], "model '#' not found"),
        (['clip "interview A" drifted', 'clip "b" drifted'], 'clip "#" drifted'),
        (
            ["GET https://a.example/v1/x?id=3 failed", "GET http://b.example/y failed"],
            "GET # failed",
        ),
        (["mail ops@acme.io now", "mail a.b+c@x.example.org now"], "mail # now"),
        (["cannot read /tmp/a/b.mp4", "cannot read /var/data/clip.mov"], "cannot read #"),
        (
            ["2026-11-29 10:00:00,123 ERROR boom", "2025-01-02T03:04:05.6Z ERROR boom"],
            "# ERROR boom",
        ),
        (["editor 'o'neil' left", "editor 'ken' left"], "editor '#' left"),
        (["任务12345失败", "任务7失败"], "任务#失败"),
    ],
)
def test_masking_gives_messages_that_differ_only_in_variables_one_shape(
    messages: list[str], shown_as: str
) -> None:
    shapes = [shape(m) for m in messages]
    assert len({s.key for s in shapes}) == 1
    assert shown(shapes[0].tokens) == shown_as


def test_masking_keeps_words_apostrophes_and_json_keys_constant() -> None:
    assert shown(shape("don't retry: quota gone").tokens) == "don't retry: quota gone"
    assert shown(shape('{"code": 7, "msg": "x"}').tokens) == '{"code": #, "msg": "#"}'
    assert shape("Teapot busy").key == shape("teapot BUSY").key  # rules are case-insensitive
    assert shape("a b").key != shape("a  b").key  # a draft's regex spells the whitespace


def test_shapes_merge_on_a_differing_word_but_not_on_too_few_common_tokens() -> None:
    def templates(*messages: str) -> list[str]:
        shapes = [(shape(m).tokens, 1) for m in messages]
        return sorted(shown(c.tokens) for c in cluster(shapes))

    assert templates("User alice exceeded the limit", "User bob exceeded the limit") == [
        "User # exceeded the limit"
    ]
    assert templates("Kling task failed", "Kling task timeout") == [
        "Kling task failed",
        "Kling task timeout",
    ]
    # Drain's parse tree: a different first word never merges
    assert len(templates("Quota exceeded for tenant", "Limit exceeded for tenant")) == 2
    assert len(templates("a b c d", "a b c d e")) == 2  # nor a different length


def test_clustering_does_not_depend_on_the_order_of_the_shapes() -> None:
    messages = [f"User {name} exceeded the {what} limit" for name in ("al", "bo", "cy")
                for what in ("daily", "hourly")] + ["User al exceeded nothing"]  # fmt: skip
    shapes = [(shape(m).tokens, n + 1) for n, m in enumerate(messages)]
    expected = sorted((shown(c.tokens), c.count) for c in cluster(shapes))
    for seed in range(5):
        random.Random(seed).shuffle(shapes)
        assert sorted((shown(c.tokens), c.count) for c in cluster(shapes)) == expected


def _unmatched(message: str, index: int) -> tuple[RawRecord, Any]:
    record = {"status": 418, "body": {"message": message}}
    location = Location("t.log", index + 1)
    return RawRecord(location, record), Engine.classify(ENGINE, record, index=index,
                                                        location=location)  # fmt: skip


ENGINE = Engine()


def test_the_miner_holds_at_most_max_templates_and_keeps_the_frequent_ones() -> None:
    miner = Miner(ENGINE, max_templates=40)
    for i in range(2000):
        # one frequent family among 1,000 one-off wordings (a word each: no id to mask)
        word = "".join(random.Random(i).choices("bcdfghjklmnpqrstvwxz", k=8))
        message = f"Render node {i} is gone" if i % 2 else f"{word} went {word} sideways {word}"
        miner.add(*_unmatched(message, i))
        assert len(miner._index) <= 40
    templates = miner.templates()
    assert templates[0].text == "Render node # is gone" and templates[0].count == 1000
    assert miner.stats.dropped_templates > 0
    assert sum(t.count for t in templates) + miner.stats.dropped_records == 2000
    assert all(len(t.examples) <= 3 for t in templates)


def test_the_miner_keeps_first_and_last_locations_and_examples_with_different_messages() -> None:
    records = [_unmatched(f"Render node {n % 4} is gone", n) for n in range(10)]
    result = mine_records([raw for raw, _ in records], ENGINE)
    (template,) = result.templates
    assert (template.first, template.last, template.count) == ("t.log:1", "t.log:10", 10)
    assert len(template.examples) == 3 and len(set(template.messages)) == 3
    assert template.conditions == {"http_status": 418}


def test_draft_regex_keeps_values_every_record_shares_but_not_ids() -> None:
    messages = [f"Error {7301} on node {_uuid(random.Random(n))} (zone eu)" for n in range(5)]
    records = [_unmatched(m, n) for n, m in enumerate(messages)]
    (template,) = mine_records([raw for raw, _ in records], ENGINE).templates
    pattern = message_regex(template)
    assert pattern == r"^Error 7301 on node [!-~]{1,64} \(zone eu\)$"  # a uuid: 36
    assert all(re.search(pattern, m, re.IGNORECASE) for m in messages)


def test_a_long_template_is_cut_to_the_regex_budget() -> None:
    keys = [a + b for a in "bcdfg" for b in "aeiou"]  # words without digits: constants
    message = " ".join(f"{key}=v{n}x" for n, key in enumerate(keys))  # 25 variables
    records = [_unmatched(message.replace("x", str(k)), k) for k in range(3)]
    (template,) = mine_records([raw for raw, _ in records], ENGINE).templates
    pattern = message_regex(template)
    assert program_size(pattern) <= MAX_PROGRAM and pattern.startswith("^ba=")
    assert not pattern.endswith("$")  # left open where it was cut
    assert re.search(pattern, message.replace("x", "1"), re.IGNORECASE)
    # ... and so no draft: its prefix would also take other messages
    found = drafts_for(mine_records([raw for raw, _ in records], ENGINE), ENGINE)
    assert not found.drafts and [t.text for t in found.too_long] == [template.text]


def test_many_families_give_drafts_that_still_load_within_the_regex_budget(
    tmp_path: Path,
) -> None:
    """A rule set's regexes are capped in compiled size, and each draft's regex is kept
    small: a file of drafts must never be what makes the engine fail to load."""
    rng = random.Random(4)
    words = ["".join(rng.choices("bcdfghjklmnprstvz", k=7)) for _ in range(150)]
    records = []
    for n, word in enumerate(words):
        for k in range(3):
            ids = " ".join(f"{rng.getrandbits(160):040x}" for _ in range(3))
            records.append(_unmatched(f"{word} refused {ids} on {word}", 3 * n + k))
    result = mine_records([raw for raw, _ in records], ENGINE)
    found = drafts_for(result, ENGINE)
    assert found.drafts and found.over_budget  # 150 families: more than one file holds
    sizes = [program_size(d.rule["match"]["message"]) for d in found.drafts]
    assert sum(sizes) <= MAX_FILE_PROGRAM and max(sizes) <= MAX_PROGRAM
    path = tmp_path / "drafts.yaml"
    path.write_text(render(found.drafts, result, ["t.log"]), encoding="utf-8")
    engine = Engine(rule_paths=[path])  # the regexes compile and load
    for draft in found.drafts:
        assert engine.classify(draft.template.examples[0]).rule == draft.id


def test_drafts_for_ranks_by_count_and_gives_unique_ids() -> None:
    records = [_unmatched(f"Render node {n} is gone", n) for n in range(5)]
    records += [_unmatched(f"Render node {n} is gone!", 5 + n) for n in range(3)]
    result = mine_records([raw for raw, _ in records], ENGINE)
    drafts = drafts_for(result, ENGINE).drafts
    assert [d.id for d in drafts] == ["team.mined.render_node_is_gone", "team.mined.render_node_is_gone_2"]  # fmt: skip
    assert [d.template.count for d in drafts] == [5, 3]


# --- classify --summary ---------------------------------------------------------------------


def test_summary_merges_messages_whose_variable_is_a_word() -> None:
    summary = Summary()
    for name in ("alice", "bob", "carol"):
        for _ in range(2):
            summary.add(_unmatched(f"User {name} exceeded the limit", 0)[1])
    assert summary.to_dict()["top_unmatched"] == [
        {"message": "User # exceeded the limit", "count": 6}
    ]
    assert message_shape("teapot 5 is 'hot'") == "teapot # is '#'"


def test_summary_stays_bounded_on_all_different_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    from kling_errors import _output

    monkeypatch.setattr(_output, "MAX_UNMATCHED_SHAPES", 50)
    summary = Summary()
    for i in range(500):
        word = "".join(random.Random(i).choices("bcdfghjklmnpqrstvwxz", k=6))
        summary.add(_unmatched(f"{word} {word}{word} {word}", i)[1])
        assert len(summary.unmatched) <= 51
    assert sum(summary.unmatched.values()) == 500
    assert _output.OTHER_MESSAGES in summary.unmatched


def test_summary_merge_of_parts_equals_the_whole() -> None:
    diagnoses = [_unmatched(f"Render node {n} is gone", n)[1] for n in range(6)]
    whole, first, second = Summary(), Summary(), Summary()
    for n, d in enumerate(diagnoses):
        whole.add(d)
        (first if n % 2 else second).add(d)
    first.merge(second)
    assert first.to_dict() == whole.to_dict()
    assert shape_key(shape("Render node 1 is gone").tokens) == shape("Render node 2 is gone").key
