"""Where the package's data lives: built-in rules, schemas, templates, and the user's cache.

Inside an installed wheel the data sits in ``kling_errors/_data/``; in a source checkout, at
the top of the repository. (importlib.resources would cost 5 ms of start-up.)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    packaged = _HERE / "_data" / name
    return packaged if packaged.is_dir() else _HERE.parent / name


def builtin_rules_dir() -> Path:
    return _data_dir("rules")


def schemas_dir() -> Path:
    return _data_dir("schemas")


def templates_dir() -> Path:
    """Jinja templates of the generated documentation (shipped inside the package)."""
    return _HERE / "templates"


def cache_dir() -> Path | None:
    """Where the rule store and saved remediation texts live: $KLING_ERRORS_CACHE_DIR,
    else the platform's (``user_cache_dir``); None when KLING_ERRORS_NO_CACHE is set."""
    if os.environ.get("KLING_ERRORS_NO_CACHE"):
        return None
    explicit = os.environ.get("KLING_ERRORS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return user_cache_dir(sys.platform, os.environ, Path.home)


APP_NAME = "kling-errors"


def user_cache_dir(platform: str, environ: Mapping[str, str], home: Callable[[], Path]) -> Path:
    """The user's cache directory for kling-errors by the platform's convention, as
    platformdirs' ``user_cache_dir(APP_NAME, appauthor=False)`` gives it — three rules
    are not worth a dependency and its import at every start:

    - $XDG_CACHE_HOME/kling-errors when it is set to an absolute path (the user chose it);
    - macOS: ~/Library/Caches/kling-errors;
    - Windows: %LOCALAPPDATA%\\kling-errors\\Cache;
    - anything else (Linux, the BSDs): ~/.cache/kling-errors (the XDG default).
    """
    xdg = environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / APP_NAME
    if platform == "darwin":
        return home() / "Library" / "Caches" / APP_NAME
    if platform == "win32":
        local = environ.get("LOCALAPPDATA") or str(home() / "AppData" / "Local")
        return Path(local) / APP_NAME / "Cache"
    return home() / ".cache" / APP_NAME
