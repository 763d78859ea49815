"""A trusted on-disk store of JSON payloads, keyed by content (what the rule and render
caches keep between runs). It knows nothing of what it stores.

Location: _paths.cache_dir(); KLING_ERRORS_NO_CACHE=1 turns it off.

Nothing in it is trusted on its say-so. The directory is used only when it belongs to the
user and nobody else may write to it (it is created 0700); entries are read only from
regular files (never a FIFO, a device or a symlink) of bounded size; and each carries an
HMAC-SHA256 under a random per-user key kept in the directory (0600). An entry that was
edited, or written by anyone without that key, fails verification and is read as absent:
a tampered store cannot change an answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._paths import cache_dir
from ._version import __version__

FORMAT = 4
KEEP = 16  # entries kept per kind (the newest); each is one combination of inputs
MAX_ENTRY_BYTES = 64 * 1024 * 1024
_KEY_FILE = "hmac.key"


def enabled() -> bool:
    return cache_dir() is not None


def content_key(parts: Iterable[bytes]) -> str | None:
    """The key of exactly these inputs (and this package version), or None when the store
    is off. The caller passes every byte its payload depends on."""
    if not enabled():
        return None
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def read(kind: str, key: str | None) -> dict[str, Any] | None:
    """The payload stored as ``kind-key.json`` if it exists and its MAC verifies, else None."""
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
        payload = data["payload"]
    except Exception:  # not JSON, not the envelope we write: not trusted
        return None
    return payload if isinstance(payload, dict) else None


def write(kind: str, key: str | None, payload: dict[str, Any]) -> None:
    """Atomically write ``kind-key.json`` (with its MAC); keep the newest KEEP of a kind.

    Best effort: an unwritable directory, or data that is not JSON (a YAML date in a rule's
    example), only means nothing is stored.
    """
    directory = _trusted_dir() if key is not None else None
    mac_key = _mac_key(directory) if directory is not None else None
    if directory is None or mac_key is None:
        return
    try:
        text = json.dumps({"format": FORMAT, "key": key, "payload": payload}).encode()
        import tempfile  # only when writing: 5 ms of every start-up otherwise

        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_mac(mac_key, text).encode() + b"\n" + text)
        os.replace(tmp, directory / f"{kind}-{key}.json")
        old = sorted(directory.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP]
        for path in old:
            path.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        return


def _mine(info: os.stat_result) -> bool:
    """Owned by this user (where the platform knows users)."""
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _trusted_dir() -> Path | None:
    """The store's directory, created 0700; None unless it is ours and only we can write it."""
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
                handle.write(os.urandom(32))  # a random MAC key, made once per user
            key = _read_regular(path, 64)
    if key is None or len(key) != 32 or os.stat(path).st_mode & 0o077:
        return None
    return key


def _mac(key: bytes, text: bytes) -> str:
    return hmac.new(key, text, hashlib.sha256).hexdigest()
