"""The compiled-rule cache: used when files are unchanged, never trusted when corrupt."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
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
    if damage == "tamper":  # valid JSON, wrong content: the MAC catches it
        entry.write_text(entry.read_text().replace('"concurrency_limit"', '"rate_limit"', 1))
    else:
        entry.write_text(damage)
    rules = load_rules()
    assert rules.get("kling.concurrency.1303").category == "concurrency_limit"  # type: ignore[union-attr]
    mac, _, text = entry.read_text().partition("\n")  # rewritten whole, with its MAC
    assert len(mac) == 64 and '"concurrency_limit"' in text


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


RECORD = b'{"status": 429, "body": {"code": 1303, "message": "parallel task over resource pack limit", "request_id": "r-1"}}\n'  # fmt: skip


def _classify(cache: Path, args: list[str], data: bytes) -> tuple[str, bool]:
    """Output of `classify` in a fresh interpreter, and whether it imported Jinja."""
    import os
    import subprocess
    import sys

    script = (
        "import sys; from kling_errors.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('JINJA' if 'jinja2' in sys.modules else 'NO-JINJA', file=sys.stderr)\n"
    )
    env = {**os.environ, "KLING_ERRORS_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", script, "classify", "--no-config", "--format", "jsonl", *args],
        input=data,
        capture_output=True,
        env=env,
        check=True,
    )
    return done.stdout.decode(), b"NO-JINJA" not in done.stderr


def test_a_second_run_renders_without_jinja_and_says_the_same(cache: Path) -> None:
    first, first_jinja = _classify(cache, [], RECORD)
    assert first_jinja and len(list(cache.glob("renders-*.json"))) == 1
    second, second_jinja = _classify(cache, [], RECORD.replace(b"r-1", b"r-2"))
    assert not second_jinja
    assert second == first.replace("r-1", "r-2") and "(request r-2)" in second


@pytest.mark.parametrize("damage", ["garbage{", "tamper"])
def test_a_corrupt_render_cache_is_ignored(cache: Path, damage: str) -> None:
    first, _ = _classify(cache, [], RECORD)
    (entry,) = cache.glob("renders-*.json")
    if damage == "tamper":
        entry.write_text(entry.read_text().replace("resource pack are busy", "all fine", 1))
    else:
        entry.write_text(damage)
    second, jinja = _classify(cache, [], RECORD)
    assert second == first and jinja


def test_an_edited_template_is_rendered_afresh(
    cache: Path, write_rules: Callable[..., Path]
) -> None:
    rules = write_rules(
        match="{http_status: 500}", id="team.rule", category="server_error"
    ).read_text()
    path = write_rules(text=rules + '    remediation: "First wording."\n')
    record = b'{"status": 500, "body": {"message": "boom"}}\n'
    first, _ = _classify(cache, ["--rules", str(path)], record)
    path.write_text(rules + '    remediation: "Second wording."\n')
    second, _ = _classify(cache, ["--rules", str(path)], record)
    assert "First wording." in first and "Second wording." in second


def test_logged_text_is_never_kept_in_the_render_cache(
    cache: Path, write_rules: Callable[..., Path]
) -> None:
    rules = write_rules(match="{http_status: 500}").read_text()
    path = write_rules(
        text=rules
        + '    remediation: "{{ message | upper }} at {{ endpoint }}, wait {{ delay }}"\n'
    )
    record = b'{"status": 500, "url": "/v1/private-endpoint", "body": {"message": "secret-ish words"}}\n'  # fmt: skip
    out, _ = _classify(cache, ["--rules", str(path)], record)
    assert "SECRET-ISH WORDS at /v1/private-endpoint" in out
    kept = "".join(p.read_text() for p in cache.glob("renders-*.json"))
    assert "SECRET-ISH" not in kept and "private-endpoint" not in kept


def test_no_render_cache_when_disabled(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_ERRORS_NO_CACHE", "1")
    _classify(cache, [], RECORD)
    assert not cache.exists() or not list(cache.glob("renders-*.json"))


def test_an_entry_rewritten_without_the_key_is_not_served(cache: Path) -> None:
    """The old attack: edit an entry and recompute a plain checksum anyone can compute."""
    load_rules()
    (entry,) = cache.glob("rules-*.json")
    _, _, text = entry.read_text().partition("\n")
    data = json.loads(text)
    for e in data["payload"]["entries"]:
        if e["raw"]["id"] == "kling.account.1102":
            e["raw"]["retryable"] = True
            e["raw"]["remediation"] = "Paste your SecretKey at https://evil.example to top up."
    forged = json.dumps(data)
    entry.write_text(hashlib.sha256(forged.encode()).hexdigest() + "\n" + forged)
    rule = load_rules().get("kling.account.1102")
    assert rule is not None and rule.retryable is False and "evil" not in (rule.remediation or "")


def test_the_cache_directory_is_private_and_a_shared_one_is_not_used(cache: Path) -> None:
    load_rules()
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache / "hmac.key").st_mode) == 0o600
    for path in cache.glob("rules-*.json"):
        path.unlink()
    os.chmod(cache, 0o777)  # anyone may write here now: nothing is read or written
    load_rules()
    assert not list(cache.glob("rules-*.json"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_a_symlink_to_a_device_at_an_entry_is_never_read(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_rules()
    (entry,) = cache.glob("rules-*.json")
    entry.unlink()
    os.mkfifo(entry)
    done = threading.Event()

    def load() -> None:
        load_rules()
        done.set()

    threading.Thread(target=load, daemon=True).start()
    assert done.wait(20), "loading rules blocked on a FIFO in the cache"
    entry.unlink()
    entry.symlink_to("/dev/zero")
    assert load_rules().get("kling.concurrency.1303") is not None
