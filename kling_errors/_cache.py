"""The compiled-rule cache: start-up without re-parsing and re-validating unchanged files.

Keyed by the content of every rule file (and the package version and schema), so a
changed file is a different key. The entry carries a checksum of itself; one that does
not parse or check out is ignored and rebuilt — never trusted. Location:
$KLING_ERRORS_CACHE_DIR, else $XDG_CACHE_HOME/kling-errors, else ~/.cache/kling-errors;
KLING_ERRORS_NO_CACHE=1 turns it off.

Next to each rule set, the remediation texts rendered for it (renders-*.json): a run whose
texts were all rendered before starts without compiling a template or importing Jinja.
Only texts that hold no logged data are kept (see DiagnosisBuilder.renders_to_save).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._rules import RuleSet, RuleSource

FORMAT = 2
KEEP = 16  # cache files kept (the newest); each is one combination of rule files


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


def _checksum(entries: Any) -> str:
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()


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
    """The payload of ``kind-key.json`` if it exists and checks out, else None."""
    directory = cache_dir()
    if directory is None or key is None:
        return None
    try:
        data = json.loads((directory / f"{kind}-{key}.json").read_text(encoding="utf-8"))
        checksum = data.pop("checksum")
        if data["format"] != FORMAT or data["key"] != key or checksum != _checksum(data):
            return None
    except Exception:  # absent, unreadable, not JSON, not a dict: not trusted
        return None
    return data if isinstance(data, dict) else None


def _write(kind: str, key: str | None, payload: dict[str, Any]) -> None:
    """Atomically write ``kind-key.json`` (with a checksum); keep the newest KEEP of a kind.

    Best effort: an unwritable directory, or data that is not JSON (a YAML date in a rule's
    example), only means no cache.
    """
    import tempfile

    directory = cache_dir()
    if directory is None or key is None:
        return
    payload = {"format": FORMAT, "key": key} | payload
    try:
        text = json.dumps(payload | {"checksum": _checksum(payload)})
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
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
