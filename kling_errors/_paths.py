"""Where the package's data lives: built-in rules, schemas, templates, and the user's cache.

Inside an installed wheel the data sits in ``kling_errors/_data/``; in a source checkout, at
the top of the repository. (importlib.resources would cost 5 ms of start-up.)
"""

from __future__ import annotations

import os
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
    """$KLING_ERRORS_CACHE_DIR, else $XDG_CACHE_HOME/kling-errors, else
    ~/.cache/kling-errors; None when KLING_ERRORS_NO_CACHE is set."""
    if os.environ.get("KLING_ERRORS_NO_CACHE"):
        return None
    explicit = os.environ.get("KLING_ERRORS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kling-errors"
