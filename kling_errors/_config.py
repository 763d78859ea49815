"""Which rule sets to load: project config, environment and command line, in that order.

Load order (later overrides earlier, by rule id):

1. the built-in rules (unless ``builtin: false`` in the config or ``--no-builtin``);
2. ``rules:`` of the project config — ``kling-errors.yaml`` / ``.kling-errors.yaml``, or
   ``[tool.kling-errors]`` in ``pyproject.toml``, the first found from the working
   directory upward, no further than the repository root (a directory with ``.git``) or
   the home directory; a file another user owns, or that others may write, is skipped
   (one in /tmp would otherwise apply to every user working under it); paths are
   relative to the config file;
3. ``KLING_ERRORS_RULES`` — paths separated by ``os.pathsep``;
4. each ``--rules PATH``, in the order given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._engine import Engine
from ._exceptions import ConfigError, Problem, RuleError
from ._rules import RuleSource, builtin_source, user_source
from ._yaml import YamlDocument, load_yaml

CONFIG_NAMES = ("kling-errors.yaml", ".kling-errors.yaml")
ENV_RULES = "KLING_ERRORS_RULES"


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    rules: tuple[Path, ...] = ()
    builtin: bool = True
    format: str | None = None
    fail_on_unmatched: bool = False


def find_config(start: Path, skipped: list[str] | None = None) -> Path | None:
    """The project config that applies in ``start`` (see the module docstring); files
    passed over because they are not safe to trust are added to ``skipped``."""
    home = Path.home().resolve() if "HOME" in os.environ or os.name != "posix" else None
    for directory in (start, *start.parents):
        candidates = [directory / name for name in CONFIG_NAMES]
        candidates.append(directory / "pyproject.toml")
        for path in candidates:
            if not path.is_file():
                continue
            if not _trusted(path):
                if skipped is not None:
                    skipped.append(str(path))
                continue
            if path.name != "pyproject.toml" or _pyproject_section(path) is not None:
                return path
        if (directory / ".git").exists() or directory == home:
            return None
    return None


def _trusted(path: Path) -> bool:
    """Owned by this user (or root) and not writable by anyone else."""
    try:
        info = path.stat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or info.st_uid in (os.getuid(), 0)
    return owner_ok and not info.st_mode & 0o022


def _pyproject_section(path: Path) -> dict[str, Any] | None:
    import tomllib  # only when a pyproject.toml is on the way up

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = data.get("tool", {}).get("kling-errors")
    return section if isinstance(section, dict) else None


def load_config(path: Path) -> Config:
    name = str(path)
    doc = YamlDocument(name, None)  # TOML gives no positions; YAML does
    problems: list[Problem] = []
    if path.name == "pyproject.toml":
        data: Any = _pyproject_section(path) or {}
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = Problem(name, None, None, f"cannot read the config: {exc}")
            raise ConfigError([problem]) from None
        doc, problems = load_yaml(text, name)
        if doc.data is None and problems:
            raise ConfigError(problems)  # not readable as YAML at all
        data = doc.data or {}
    from ._schema import schema_problems  # jsonschema loads only when a config exists

    doc.data = data
    problems += schema_problems(doc, "config.schema.json")
    if problems:
        raise ConfigError(problems)
    missing = [
        doc.problem(
            ("rules", i),
            f"rule path {entry!r} does not exist (relative to the config: {path.parent / entry})",
            f"fix the path in {path.name}, or run with --no-config",
        )
        for i, entry in enumerate(data.get("rules", []))
        if not (path.parent / entry).exists()
    ]
    if missing:
        raise ConfigError(missing)
    return Config(
        path=path,
        rules=tuple(path.parent / p for p in data.get("rules", [])),
        builtin=data.get("builtin", True),
        format=data.get("format"),
        fail_on_unmatched=data.get("fail_on_unmatched", False),
    )


def _note(text: str) -> None:
    """Which config applies is said on stderr, so a config found up the tree is no surprise."""
    import sys

    print(f"kling-errors: {text}", file=sys.stderr)


def env_rule_paths() -> tuple[str, ...]:
    """The paths of KLING_ERRORS_RULES; one that does not exist raises RuleError naming
    the variable (the path alone would leave a user looking for where it came from)."""
    paths = tuple(p for p in os.environ.get(ENV_RULES, "").split(os.pathsep) if p.strip())
    missing = [
        Problem(
            ENV_RULES,
            None,
            None,
            f"rule path {p!r} does not exist",
            f"fix the path in {ENV_RULES} ({os.pathsep!r}-separated), or unset it",
        )
        for p in paths
        if not Path(p).exists()
    ]
    if missing:
        raise RuleError(missing)
    return paths


@dataclass(frozen=True)
class RuleSets:
    """The resolved list of rule sets a command loads."""

    configured: tuple[str, ...] = ()  # from the config file and KLING_ERRORS_RULES
    extra: tuple[str, ...] = ()  # from --rules (and command arguments)
    builtin: bool = True
    config: Config = field(default_factory=Config)

    @property
    def paths(self) -> tuple[str, ...]:
        return (*self.configured, *self.extra)

    @classmethod
    def resolve(
        cls,
        cli_paths: tuple[str, ...] = (),
        no_builtin: bool = False,
        config_path: str | None = None,
        use_config: bool = True,
    ) -> RuleSets:
        config = Config()
        if config_path is not None:
            config = load_config(Path(config_path))
        elif use_config:
            skipped: list[str] = []
            found = find_config(Path.cwd(), skipped)
            for path in skipped:
                _note(f"ignored config {path}: another user owns it or others may write it")
            if found is not None:
                config = load_config(found)
                _note(f"using config {found}")
        configured = (*(str(p) for p in config.rules), *env_rule_paths())
        return cls(configured, cli_paths, config.builtin and not no_builtin, config)

    def with_paths(self, *extra: str) -> RuleSets:
        return RuleSets(self.configured, (*self.extra, *extra), self.builtin, self.config)

    def without_extra(self) -> RuleSets:
        return RuleSets(self.configured, (), self.builtin, self.config)

    def sources(self) -> list[RuleSource]:
        return ([builtin_source()] if self.builtin else []) + [user_source(p) for p in self.paths]

    def engine(self) -> Engine:
        return Engine(rule_paths=self.paths, builtin=self.builtin)
