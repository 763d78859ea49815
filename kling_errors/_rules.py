"""Loading the knowledge: rule files -> schema check -> semantic checks -> Rule objects.

A rule set loads completely or not at all: every problem in every file is collected,
and if there is any, RuleError is raised carrying all of them with file:line:column.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import _store
from ._exceptions import Problem, RuleError
from ._models import (
    Location,
    Rule,
)
from ._paths import builtin_rules_dir, schemas_dir
from ._rule_build import build_rule
from ._rule_checks import semantic_problems
from ._yaml import YamlDocument, load_yaml

RULE_SUFFIXES = (".yaml", ".yml")


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories (recursively, sorted) into rule files; keep files as given."""
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
            )
        else:
            found.append(path)
    return found


@dataclass(frozen=True)
class RuleSet:
    """Rules in load order (the order that breaks precedence ties), plus lookup by id."""

    rules: tuple[Rule, ...]
    sources: tuple[str, ...] = ()
    cache_key: str | None = None  # the content key of its rule files (see _store)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


@dataclass(frozen=True)
class RuleSource:
    """One rule set: the built-ins, or one user path (a file or a directory)."""

    label: str
    files: tuple[tuple[Path, str], ...]  # (file, name shown in messages and origins)


def builtin_source() -> RuleSource:
    base = builtin_rules_dir()
    return RuleSource(
        "builtin", tuple((p, f"rules/{p.relative_to(base)}") for p in rule_files([base]))
    )


def user_source(path: str | Path) -> RuleSource:
    files = rule_files([path])
    if not files and not Path(path).exists():
        files = [Path(path)]  # reported as "no such rule file" when read
    return RuleSource(str(path), tuple((f, str(f)) for f in files))


@dataclass
class _Entry:
    raw: dict[str, Any]
    doc: YamlDocument
    index: int
    source: str
    extends: str | None


@dataclass
class LoadReport:
    """Everything a load found: the rules (if no problem), problems and warnings."""

    rules: RuleSet
    problems: list[Problem]
    warnings: list[Problem]
    files: int


def load_rules(paths: Iterable[str | Path] = (), *, builtin: bool = True) -> RuleSet:
    """Load the built-in rules (unless ``builtin=False``), then each path as a rule set.

    Later sets override earlier ones: a rule with the id of an earlier rule replaces it,
    a file's ``disable:`` list removes earlier rules, and ``extends: ID`` starts from an
    earlier rule's fields. Any problem anywhere raises RuleError and nothing is loaded.
    """
    sources = ([builtin_source()] if builtin else []) + [user_source(p) for p in paths]
    key = _sources_key(sources)  # reads every rule file once
    cached = _from_store(key)
    if cached is not None:
        return cached
    report = collect(sources)
    if report.problems:
        raise RuleError(report.problems)
    _to_store(key, report.rules)
    return replace(report.rules, cache_key=key)


# A loaded rule set is kept in the store (see _store) keyed by the bytes of every rule file
# and of the rule schema: start-up without re-parsing and re-validating unchanged files.
_STORE_KIND = "rules"


def _sources_key(sources: list[RuleSource]) -> str | None:
    """The store key of exactly these rule files (None: a file is unreadable, or no store)."""
    if not _store.enabled():
        return None
    try:
        parts = [(schemas_dir() / "rules.schema.json").read_bytes()]
        for source in sources:
            parts.append(f"set\0{source.label}".encode())
            for path, display in source.files:
                parts += [f"file\0{display}".encode(), path.read_bytes()]
    except OSError:
        return None  # a missing file: let the normal load report it
    return _store.content_key(parts)


def _from_store(key: str | None) -> RuleSet | None:
    """The stored rule set for exactly these files, or None (absent, stale or corrupt)."""
    data = _store.read(_STORE_KIND, key)
    if data is None:
        return None
    try:
        rules = tuple(
            build_rule(e["raw"], Location(e["path"], e["line"]), e["rule_set"], e["extends"])
            for e in data["entries"]
        )
        return RuleSet(rules, tuple(data["sources"]), key)
    except Exception:  # a verified entry from an older layout: load the files instead
        return None


def _to_store(key: str | None, rules: RuleSet) -> None:
    """Best effort: an unwritable store only costs start-up time."""
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
    _store.write(_STORE_KIND, key, {"sources": list(rules.sources), "entries": entries})


def collect(sources: Iterable[RuleSource]) -> LoadReport:
    """Every problem of every file in one run: the schema's, then, for each rule that
    is readable at all (a mapping), the rule-file checks and the cross-rule ones (ids,
    extends, disable) — a schema error never hides a semantic one."""
    entries: dict[str, _Entry] = {}
    problems: list[Problem] = []
    warnings: list[Problem] = []
    file_count = 0
    labels = []
    for source in sources:
        labels.append(source.label)
        defined_here: dict[str, str] = {}
        for path, display in source.files:
            file_count += 1
            first = len(problems)
            doc, file_problems, file_warnings = parse_rule_file(path, display)
            problems.extend(file_problems)
            warnings.extend(file_warnings)
            if doc is None:
                continue
            for i, rule_id in enumerate(_listed(doc.data, "disable")):
                if not isinstance(rule_id, str):
                    continue  # the schema said so
                if entries.pop(rule_id, None) is None:
                    problems.append(
                        doc.problem(
                            ("disable", i),
                            f"disables {rule_id!r}, which no earlier rule set defines",
                            "`disable` names rules loaded before this file (see `rules list`)",
                        )
                    )
            for index, raw in enumerate(_listed(doc.data, "rules")):
                if not isinstance(raw, dict):
                    continue  # the schema said so; nothing else can be read from it
                if not isinstance(raw.get("id"), str):
                    problems.extend(semantic_problems(doc, index, raw))
                    continue
                entry = _define(doc, index, raw, source.label, entries, defined_here, problems)
                if entry is not None:
                    problems.extend(semantic_problems(entry.doc, entry.index, entry.raw))
                    entries.pop(entry.raw["id"], None)  # an override moves to the end
                    entries[entry.raw["id"]] = entry
            problems[first:] = sorted(problems[first:], key=_position)
    rules = () if problems else tuple(_build_rule(e) for e in entries.values())
    return LoadReport(RuleSet(rules, tuple(labels)), _unique(problems), warnings, file_count)


def _listed(data: Any, key: str) -> list[Any]:
    """``data[key]`` when the file's top level is a mapping and it is a list, else []."""
    value = data.get(key, []) if isinstance(data, dict) else []
    return value if isinstance(value, list) else []


def _position(problem: Problem) -> tuple[int, int]:
    """A file's problems are listed top to bottom."""
    return (problem.line or 0, problem.column or 0)


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each problem once: a schema error and a check can word the same finding alike."""
    return list(dict.fromkeys(problems))


_NOT_INHERITED = ("id", "extends", "examples", "counter_examples")


def _define(
    doc: YamlDocument,
    index: int,
    raw: dict[str, Any],
    source: str,
    entries: dict[str, _Entry],
    defined_here: dict[str, str],
    problems: list[Problem],
) -> _Entry | None:
    rule_id = raw["id"]
    line, _ = doc.where(("rules", index))
    if rule_id in defined_here:
        problems.append(
            doc.problem(
                ("rules", index, "id"),
                f"duplicate rule id {rule_id!r} (also at {defined_here[rule_id]})",
                "ids are unique within a rule set; to replace a rule, override it from a later set",
            )
        )
        return None
    defined_here[rule_id] = f"{doc.path}:{line}"
    base_id = raw.get("extends")
    if not isinstance(base_id, str):  # none, or one the schema already refused
        return _Entry(raw, doc, index, source, None)
    base = entries.get(base_id)
    if base is None:
        problems.append(
            doc.problem(
                ("rules", index, "extends"),
                f"extends {base_id!r}, which is not defined before this rule",
                "a rule can extend only rules loaded before it (built-ins or earlier sets)",
            )
        )
        return None
    merged = {k: v for k, v in base.raw.items() if k not in _NOT_INHERITED}
    merged.update({k: v for k, v in raw.items() if k != "extends"})
    return _Entry(merged, doc, index, source, base_id)


def parse_rule_file(
    path: str | Path, display: str | None = None
) -> tuple[YamlDocument | None, list[Problem], list[Problem]]:
    """YAML and schema checks of one file: (document or None, problems, warnings).

    The document comes back whenever its top level is a mapping, problems or not, so
    the rules in it still get the rule-file checks (see ``collect``).
    """
    name = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(name, None, None, "no such rule file or directory")], []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, None, None, f"cannot read rule file: {exc}")], []
    doc, problems = load_yaml(text, name)
    if doc.data is None:
        if problems:
            return None, problems, []
        return None, [Problem(name, 1, 1, "empty rule file", "add a top-level `rules:` list")], []
    from ._schema import schema_problems  # jsonschema loads only when files are validated

    warnings = [
        doc.problem(
            path,
            "an unquoted yes/no/on/off is read as a boolean (YAML 1.1)",
            "write true/false for a boolean, or quote the word for text",
        )
        for path in doc.implicit_booleans
    ]
    booleans = {doc.problem(b, "").field for b in doc.implicit_booleans}
    problems += [
        p
        if p.field not in booleans
        else Problem(
            p.path,
            p.line,
            p.column,
            p.message,
            "quote it: YAML 1.1 reads yes/no/on/off as booleans",
            p.field,
        )
        for p in schema_problems(doc, "rules.schema.json")
    ]
    if not isinstance(doc.data, dict):
        return None, problems, warnings  # no rules to read in it
    return doc, problems, warnings


def read_rule_file(
    path: str | Path, display: str | None = None
) -> tuple[list[Rule], list[Problem]]:
    """Rules of one file on its own (no extends/disable across files); problems if any."""
    report = collect([RuleSource(str(path), ((Path(path), display or str(path)),))])
    return list(report.rules), report.problems


def _build_rule(entry: _Entry) -> Rule:
    line, _ = entry.doc.where(("rules", entry.index))
    return build_rule(entry.raw, Location(entry.doc.path, line), entry.source, entry.extends)
