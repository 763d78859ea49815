"""Safe YAML reading that remembers where every value came from.

PyYAML's SafeLoader never executes anything, but it silently keeps the last of duplicate
keys and happily expands alias bombs. Rule files need neither, so we compose the node
tree first, check it (duplicates, aliases, depth, size), record each value's line and
column, and only then construct plain Python data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._exceptions import Problem

if TYPE_CHECKING:
    import yaml

MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 50
MAX_NODES = 200_000

# A YAML path: mapping keys and sequence indexes from the document root.
YamlPath = tuple[str | int, ...]

_YAML11_BOOLEANS = frozenset(
    ["yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"]
)


@dataclass
class YamlDocument:
    """Loaded data plus the (line, column) of every value, both 1-based."""

    path: str
    data: Any
    positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    # Plain scalars PyYAML read as booleans although they look like words (yes/no/on/off).
    implicit_booleans: list[YamlPath] = field(default_factory=list)
    # Values written as block scalars (| or >): their text starts on the next line.
    block_scalars: set[YamlPath] = field(default_factory=set)

    def where(self, path: YamlPath) -> tuple[int | None, int | None]:
        """Line and column of ``path``, or of its nearest ancestor that has one."""
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (None, None)
            path = path[:-1]

    def problem(self, path: YamlPath, message: str, hint: str = "") -> Problem:
        line, column = self.where(path)
        return Problem(self.path, line, column, message, hint, format_path(path))


def format_path(path: YamlPath) -> str:
    """rules[3].match.http_status — the notation used in every message."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# The tags of JSON's values: anything else (!!binary, !!set, !!timestamp, !!omap, a
# Python tag) is refused before construction.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)


class _Walker:
    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.count = 0

    def walk(self, node: yaml.Node, path: YamlPath, depth: int) -> bool:
        """Record positions; False stops the walk (the file is refused)."""
        import yaml  # loaded only when a file is actually parsed (not from the cache)

        mark = node.start_mark
        self.doc.positions[path] = (mark.line + 1, mark.column + 1)
        if id(node) in self.seen:
            self.problems.append(
                self.doc.problem(
                    path,
                    "YAML aliases (*name) are not allowed in rule files",
                    "write the value out, or use `extends:` to reuse another rule",
                )
            )
            return False
        self.seen.add(id(node))
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            limit = "nodes" if self.count > MAX_NODES else "levels of nesting"
            self.problems.append(
                self.doc.problem(
                    path,
                    f"rule file too large: more than {MAX_NODES if limit == 'nodes' else MAX_DEPTH}"
                    f" {limit}",
                    "split it into several files",
                )
            )
            return False
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key == "<<":
                    self.problems.append(
                        self.doc.problem(path, "YAML merge keys (<<) are not allowed")
                    )
                    return False
                if key in keys:
                    self.doc.positions[(*path, key)] = (
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    )
                    self.problems.append(
                        self.doc.problem(
                            (*path, key),
                            f"duplicate key {key!r} (first at line {keys[key]});"
                            " YAML would silently keep only the last",
                            "remove or rename one of them",
                        )
                    )
                keys.setdefault(key, key_node.start_mark.line + 1)
                if not self.walk(value_node, (*path, key), depth + 1):
                    return False
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                if not self.walk(item, (*path, index), depth + 1):
                    return False
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.problems.append(
                self.doc.problem(
                    path,
                    f"YAML tag {tag} is not allowed in rule files",
                    "rule files hold plain strings, numbers, booleans, lists and mappings;"
                    " quote the value (a bare date such as 2024-01-01 reads as a timestamp)",
                )
            )
            return False
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            self.doc.block_scalars.add(path)
        elif (
            isinstance(node, yaml.ScalarNode)
            and node.tag == "tag:yaml.org,2002:bool"
            and node.style is None
            and node.value in _YAML11_BOOLEANS
        ):
            self.doc.implicit_booleans.append(path)
        return True


def load_yaml(text: str, path: str) -> tuple[YamlDocument, list[Problem]]:
    """Parse one YAML document; problems are returned, never raised.

    A problem that makes the file unsafe or unreadable (a syntax error, an alias, a tag,
    the size limits) leaves ``data`` None. Duplicate keys are reported but the document
    is still built, keeping the later value, so its other problems can be found too.
    """
    import yaml

    doc = YamlDocument(path, None)
    if len(text) > MAX_FILE_BYTES:
        return doc, [
            Problem(path, None, None, f"file larger than {MAX_FILE_BYTES} bytes", "split it")
        ]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return doc, []
        walker = _Walker(doc)
        if not walker.walk(node, (), 0):
            return doc, walker.problems
        # What is left are duplicate keys: reported, but the rest of the file is still
        # read (the later value kept, as YAML would) so one run reports every problem.
        doc.data = loader.construct_document(node)
        return doc, walker.problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        hint = "check indentation and quoting"
        if isinstance(exc, yaml.constructor.ConstructorError):
            hint = "rule files are plain data: YAML tags such as !!python/... are refused"
        return doc, [Problem(path, line, column, f"invalid YAML: {message}", hint)]
    except (yaml.YAMLError, RecursionError) as exc:
        return doc, [Problem(path, None, None, f"invalid YAML: {exc}", "")]
    finally:
        loader.dispose()
