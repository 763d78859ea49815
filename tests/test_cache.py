"""The compiled-rule cache: used when files are unchanged, never trusted when corrupt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kling_errors import _rules, load_rules


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("KLING_ERRORS_CACHE_DIR", str(directory))
    return directory


def _fail_if_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("rule files were parsed although the cache was valid")

    monkeypatch.setattr(_rules, "collect", refuse)


def test_second_load_comes_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_rules()
    assert len(list(cache.glob("rules-*.json"))) == 1
    _fail_if_validated(monkeypatch)
    second = load_rules()
    assert [r.id for r in second] == [r.id for r in first]
    assert second.get("kling.concurrency.1303") == first.get("kling.concurrency.1303")


def test_a_changed_rule_file_is_reloaded(cache: Path, write_rules: Callable[..., Path]) -> None:
    path = write_rules(id="team.one", category="server_error")
    assert load_rules([path]).get("team.one").category == "server_error"  # type: ignore[union-attr]
    path.write_text(path.read_text().replace("server_error", "timeout"))
    assert load_rules([path]).get("team.one").category == "timeout"  # type: ignore[union-attr]


@pytest.mark.parametrize("damage", ["garbage{", '{"format": 1}', "tamper"])
def test_a_corrupt_cache_is_rebuilt(cache: Path, damage: str) -> None:
    load_rules()
    (entry,) = cache.glob("rules-*.json")
    if damage == "tamper":  # valid JSON, wrong content: the checksum catches it
        entry.write_text(entry.read_text().replace('"concurrency_limit"', '"rate_limit"', 1))
    else:
        entry.write_text(damage)
    rules = load_rules()
    assert rules.get("kling.concurrency.1303").category == "concurrency_limit"  # type: ignore[union-attr]
    assert '"checksum"' in entry.read_text()  # rewritten whole


def test_no_cache_when_disabled(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_ERRORS_NO_CACHE", "1")
    load_rules()
    assert not cache.exists()


def test_a_bad_rule_file_is_reported_even_after_a_good_load(
    cache: Path, write_rules: Callable[..., Path]
) -> None:
    path = write_rules(id="team.one")
    load_rules([path])
    path.write_text(path.read_text().replace("server_error", "billing"))
    with pytest.raises(_rules.RuleError):
        load_rules([path])
