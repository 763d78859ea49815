"""`rules eval`: accuracy of a rule set on labelled records, for teams and for `make test`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kling_errors import Engine
from kling_errors._eval import evaluate, read_corpus
from kling_errors.cli import main

from .conftest import REPO

LABELLED = [
    # right: the body's code decides
    {
        "input": {"status": 429, "body": {"code": 1102, "message": "Account balance not enough"}},
        "expect": {"category": "quota_billing", "retryable": False, "service_code": 1102},
        "source": "kling-api.md §1",
    },
    # right: a success is no error
    {
        "input": {"code": 0, "message": "SUCCEED", "data": {"task_status": "succeed"}},
        "expect": {"category": "not_an_error", "retryable": None, "service_code": None},
        "source": "kling-api.md §2",
    },
    # wrong on purpose: labelled rate_limit, the engine says concurrency_limit
    {
        "input": {"status": 429, "body": {"code": 1303}},
        "expect": {"category": "rate_limit", "retryable": True, "service_code": 1303},
        "source": "a mislabelled record",
    },
    # unreadable is answered as unparseable
    {
        "input": "",
        "expect": {"category": "unparseable", "retryable": None, "service_code": None},
        "source": "an empty line",
    },
]


def _write(tmp_path: Path, records: list[dict[str, object]], name: str = "c.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_accuracy_counts_category_and_retryable_separately(engine: Engine, tmp_path: Path) -> None:
    result = evaluate(engine, read_corpus([_write(tmp_path, LABELLED)]))
    assert (result.total, result.category_correct, result.retryable_correct) == (4, 3, 4)
    assert result.confusion[("rate_limit", "concurrency_limit")] == 1
    precision, recall, support = result.per_label()["rate_limit"]
    assert (precision, recall, support) == (None, 0.0, 1)
    assert result.per_label()["concurrency_limit"][0] == 0.0  # answered once, wrongly
    [miss] = result.misses
    assert miss.wrong == ("category",)
    assert miss.why.startswith("kling.concurrency.1303 (service_code")


def test_cli_reports_misses_and_fails_below_min_accuracy(tmp_path: Path) -> None:
    path = _write(tmp_path, LABELLED)
    code, out, _ = run("rules", "eval", str(path), "--no-config")
    assert code == 0
    assert "category accuracy:  75.0%  (3/4)" in out
    assert f"{path}:3: expected rate_limit (retryable true), got concurrency_limit" in out
    assert "source: a mislabelled record" in out
    code, _, err = run("rules", "eval", str(path), "--no-config", "--min-accuracy", "0.8")
    assert code == 6
    assert "accuracy 75.0% is below --min-accuracy 80.0%" in err


def test_json_report_and_directories(tmp_path: Path) -> None:
    _write(tmp_path, LABELLED[:2], "a.jsonl")
    _write(tmp_path, LABELLED[2:], "b.jsonl")
    code, out, _ = run("rules", "eval", str(tmp_path), "--no-config", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["records"] == 4 and report["sources"] == 4
    assert report["category_accuracy"] == 0.75 and report["retryable_accuracy"] == 1.0
    assert report["misses"][0]["location"].endswith("b.jsonl:1")
    assert report["misses"][0]["answered"] == {"category": "concurrency_limit", "retryable": True}


def test_a_bad_corpus_line_is_the_authors_mistake_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps(LABELLED[0]) + "\n"
        + json.dumps({"input": "x", "expect": {"category": "weather", "retryable": None},
                      "source": "s"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    code, _, err = run("rules", "eval", str(path), "--no-config")
    assert code == 4
    assert f"{path}:2: expect.category 'weather' is not one of" in err
    assert "hint:" in err


def test_the_field_corpus_is_sourced_and_labelled_by_the_taxonomy() -> None:
    """corpus/ is what `make accuracy` measures: every record says where it came from."""
    records = list(read_corpus([REPO / "corpus"]))
    assert len(records) >= 400
    assert len({r.source for r in records}) >= 80
    inputs = [json.dumps(r.input, sort_keys=True) for r in records]
    assert len(set(inputs)) == len(inputs), "a record appears twice"


def test_builtin_rules_meet_the_accuracy_floor_on_the_field_corpus(engine: Engine) -> None:
    result = evaluate(engine, read_corpus([REPO / "corpus"]))
    assert result.category_accuracy >= 0.97, result.to_text()
    assert result.retryable_accuracy >= 0.97, result.to_text()
