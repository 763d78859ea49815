"""The layout a newcomer relies on: the flow goes one way, modules stay small, and the
vocabulary has one source of truth that the published schemas agree with."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from kling_errors import _vocabulary
from kling_errors._paths import schemas_dir

PACKAGE = Path(__file__).resolve().parent.parent / "kling_errors"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Package modules ``path`` imports, anywhere in it (also inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            found.update(n for n in names if n and n.startswith("kling_errors"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        # Importing a submodule imports its parent packages first, whatever the module:
        # an edge to an ancestor package is no dependency.
        graph[name] = {
            t for t in _imports(path) if t in modules and t != name and not name.startswith(t + ".")
        }
    return graph


def test_no_import_cycle_among_the_package_modules() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_core_never_imports_the_cli_or_the_authoring_tools() -> None:
    """input -> event -> match -> diagnosis -> render -> output: nothing flows back up."""
    graph = _graph()
    core = [
        m
        for m in graph
        if m.startswith(("kling_errors._normalize", "kling_errors._read", "kling_errors._match"))
    ]
    above = ("kling_errors.cli", "kling_errors._lint", "kling_errors._eval", "kling_errors._docs")
    for module in core:
        assert not any(t.startswith(above) for t in graph[module]), module


def test_no_module_is_long_without_saying_why() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_LINES:
            docstring = ast.get_docstring(ast.parse(text)) or ""
            assert "lines" in docstring and "because" in docstring, f"{path.name}: {lines} lines"


def _enums_named(node: object, name: str) -> list[set[str]]:
    """Every ``enum`` a schema gives a property (or a definition) called ``name``."""
    found: list[set[str]] = []
    if isinstance(node, dict):
        for holder in ("properties", "$defs"):
            named = node.get(holder, {}).get(name)
            if isinstance(named, dict) and "enum" in named:
                found.append({v for v in named["enum"] if v is not None})
        for value in node.values():
            found.extend(_enums_named(value, name))
    elif isinstance(node, list):
        for value in node:
            found.extend(_enums_named(value, name))
    return found


@pytest.mark.parametrize(
    ("enum", "name", "schemas"),
    [
        (_vocabulary.Category, "category", ("rules", "diagnosis")),
        (_vocabulary.Outcome, "outcome", ("diagnosis",)),
        (_vocabulary.Severity, "severity", ("rules", "diagnosis")),
        (_vocabulary.Strategy, "strategy", ("rules", "diagnosis")),
        (_vocabulary.SourceKind, "kind", ("rules",)),
    ],
)
def test_the_schemas_list_the_vocabulary_exactly(
    enum: type[_vocabulary.StrEnum], name: str, schemas: tuple[str, ...]
) -> None:
    for schema in schemas:
        data = json.loads((schemas_dir() / f"{schema}.schema.json").read_text(encoding="utf-8"))
        found = _enums_named(data, name)
        assert found, f"{schema}.schema.json has no enum for {name}"
        for values in found:
            assert values == {member.value for member in enum}, (schema, name)
