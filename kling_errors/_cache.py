"""The compiled-rule cache: start-up without re-parsing and re-validating unchanged files.

Keyed by the content of every rule file (and the package version and schema), so a
changed file is a different key. Location: $KLING_ERRORS_CACHE_DIR, else
$XDG_CACHE_HOME/kling-errors, else ~/.cache/kling-errors; KLING_ERRORS_NO_CACHE=1 turns it
off.

Nothing in it is trusted on its say-so. The directory is used only when it belongs to the
user and nobody else may write to it (it is created 0700); entries are read only from
regular files (never a FIFO, a device or a symlink) of bounded size; and each carries an
HMAC-SHA256 under a random per-user key kept in the directory (0600). An entry that was
edited, or written by anyone without that key, fails verification and is rebuilt — a
tampered cache cannot change an answer.

Next to each rule set, the remediation texts rendered for it (renders-*.json): a run whose
texts were all rendered before starts without compiling a template or importing Jinja.
Only texts that hold no logged data are kept (see DiagnosisBuilder.renders_to_save).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._rules import RuleSet, RuleSource

FORMAT = 3
KEEP = 16  # cache files kept (the newest); each is one combination of rule files
MAX_ENTRY_BYTES = 64 * 1024 * 1024
_KEY_FILE = "hmac.key"


def cache_dir() -> Path | None:
    if os.environ.get("KLING_ERRORS_NO_CACHE"):
        return None
    explicit = os.environ.get("KLING_ERRORS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kling-errors"


def key(sources: list[RuleSource]) -> str | None:
    """The cache key of exactly these rule files (None: a file is unreadable, or no cache)."""
    if cache_dir() is None:
        return None
    from . import __version__
    from ._rules import schemas_dir

    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    try:
        digest.update((schemas_dir() / "rules.schema.json").read_bytes())
        for source in sources:
            digest.update(f"\0set\0{source.label}\0".encode())
            for path, display in source.files:
                digest.update(f"\0file\0{display}\0".encode())
                digest.update(path.read_bytes())
    except OSError:
        return None  # a missing file: let the normal load report it
    return digest.hexdigest()


def _mine(info: os.stat_result) -> bool:
    """Owned by this user (where the platform knows users)."""
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _trusted_dir() -> Path | None:
    """The cache directory, created 0700; None unless it is ours and only we can write it."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or not _mine(info) or info.st_mode & 0o022:
        return None
    return directory


def _read_regular(path: Path, limit: int) -> bytes | None:
    """A regular file's bytes, opened without following a symlink or blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _mine(info) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)[:limit]
    except OSError:
        return None
    finally:
        os.close(fd)


def _mac_key(directory: Path) -> bytes | None:
    """The per-user MAC key: made once (0600), then read back; None if it is not ours."""
    path = directory / _KEY_FILE
    key = _read_regular(path, 64)
    if key is None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = _read_regular(path, 64)  # another process made it first
        except OSError:
            return None
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            key = _read_regular(path, 64)
    if key is None or len(key) != 32 or os.stat(path).st_mode & 0o077:
        return None
    return key


def _mac(key: bytes, text: bytes) -> str:
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def load(key: str | None) -> RuleSet | None:
    """The cached rule set for exactly these files, or None (absent, stale or corrupt)."""
    from ._models import Location
    from ._rules import RuleSet, build_rule

    data = _read("rules", key)
    if data is None:
        return None
    try:
        rules = tuple(
            build_rule(e["raw"], Location(e["path"], e["line"]), e["rule_set"], e["extends"])
            for e in data["entries"]
        )
        return RuleSet(rules, tuple(data["sources"]), key)
    except Exception:
        return None


def store(key: str | None, rules: RuleSet) -> None:
    """Best effort: an unwritable cache only costs start-up time."""
    entries = [
        {
            "raw": dict(rule.raw),
            "path": rule.origin.path,
            "line": rule.origin.line,
            "rule_set": rule.rule_set,
            "extends": rule.extends,
        }
        for rule in rules
    ]
    _write("rules", key, {"sources": list(rules.sources), "entries": entries})


def _read(kind: str, key: str | None) -> dict[str, Any] | None:
    """The payload of ``kind-key.json`` if it exists and its MAC verifies, else None."""
    directory = _trusted_dir() if key is not None else None
    mac_key = _mac_key(directory) if directory is not None else None
    if directory is None or mac_key is None:
        return None
    raw = _read_regular(directory / f"{kind}-{key}.json", MAX_ENTRY_BYTES)
    if raw is None:
        return None
    mac, _, text = raw.partition(b"\n")
    if not hmac.compare_digest(mac.decode("ascii", "replace"), _mac(mac_key, text)):
        return None  # edited, or written without the key: not trusted
    try:
        data = json.loads(text)
        if data["format"] != FORMAT or data["key"] != key:
            return None
    except Exception:  # not JSON, not a dict: not trusted
        return None
    return data if isinstance(data, dict) else None


def _write(kind: str, key: str | None, payload: dict[str, Any]) -> None:
    """Atomically write ``kind-key.json`` (with a checksum); keep the newest KEEP of a kind.

    Best effort: an unwritable directory, or data that is not JSON (a YAML date in a rule's
    example), only means no cache.
    """
    import tempfile

    directory = _trusted_dir() if key is not None else None
    mac_key = _mac_key(directory) if directory is not None else None
    if directory is None or mac_key is None:
        return
    payload = {"format": FORMAT, "key": key} | payload
    try:
        text = json.dumps(payload).encode()
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_mac(mac_key, text).encode() + b"\n" + text)
        os.replace(tmp, directory / f"{kind}-{key}.json")
        old = sorted(directory.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP]
        for path in old:
            path.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        return


def renders_key(rules_key: str | None) -> str | None:
    """The rule set's key, plus what shapes rendered text: Jinja and our render code."""
    if rules_key is None or cache_dir() is None:
        return None
    from importlib.util import find_spec

    from . import _diagnosis, _render

    digest = hashlib.sha256(rules_key.encode())
    try:
        spec = find_spec("jinja2")
        files = [spec.origin if spec and spec.origin else "", _render.__file__, _diagnosis.__file__]
        for name in files:
            stat = os.stat(name)
            digest.update(f"\0{name}\0{stat.st_mtime_ns}\0{stat.st_size}".encode())
    except (OSError, ValueError, ImportError):
        return None
    return digest.hexdigest()


def load_renders(key: str | None) -> dict[str, Any] | None:
    """Saved remediation texts for this rule set and render code, or None."""
    data = _read("renders", key)
    templates = None if data is None else data.get("templates")
    return templates if isinstance(templates, dict) else None


def store_renders(key: str | None, templates: dict[str, Any]) -> None:
    """Best effort, like store()."""
    _write("renders", key, {"templates": templates})
