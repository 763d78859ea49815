"""Jinja rendering of remediation text, always in the sandbox with strict undefined.

Logged text only ever reaches a template as data (a variable), never as template source.
Jinja is imported only when a template must be compiled: a run whose remediation texts
were all rendered before (kept in the store by Engine.save_renders) starts without it.

A remediation is a sentence, so its templates are a bounded dialect: output, `if`,
comparisons and arithmetic, a short list of filters — no loops, macros, `set`, calls or
`**`, and no integer constant above 10,000. At run time, repeating a string or a list is
capped at 10,000 items and a rendered text at 4,000 characters. Together these bound the
time and memory of every render (and of validation's trial renders) by the template's own
size: a rule file cannot hang `rules validate` or write a gigabyte per record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ._models import TEMPLATE_FIELDS

if TYPE_CHECKING:
    from jinja2 import Template, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment


MAX_RENDERED_CHARS = 4_000
MAX_REPEAT = 10_000  # items a `*` may produce, and the largest integer constant
# What a remediation template may contain (jinja2.nodes class names) and which filters.
_ALLOWED_NODES = frozenset(
    [
        "Template", "Output", "TemplateData", "If", "CondExpr", "Name", "Const", "Getattr",
        "Getitem", "Filter", "Test", "Compare", "Operand", "And", "Or", "Not", "Concat",
        "Add", "Sub", "Mul", "Div", "FloorDiv", "Mod", "Neg", "Pos", "Tuple", "List",
        "Keyword",
    ]
)  # fmt: skip
_ALLOWED_FILTERS = frozenset(
    [
        "seconds", "default", "d", "lower", "upper", "title", "capitalize", "trim", "truncate",
        "length", "count", "round", "int", "float", "string", "abs", "first", "last", "join",
        "e", "escape", "wordcount",
    ]
)  # fmt: skip


def _bounded_sandbox() -> ImmutableSandboxedEnvironment:
    """The sandbox, with `*` on strings and lists capped (see the module docstring)."""
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Bounded(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset(["*"])

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            sized = (str, list, tuple)
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, sized)
                    and isinstance(times, int)
                    and len(seq) * max(times, 0) > MAX_REPEAT
                ):
                    raise SecurityError(f"`*` would make more than {MAX_REPEAT} items")
            return super().call_binop(context, operator, left, right)

    return _configure(Bounded)


def sandbox(autoescape: bool = False) -> ImmutableSandboxedEnvironment:
    """Every template (remediation, docs, a user's --template) renders in Jinja's sandbox."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return _configure(ImmutableSandboxedEnvironment, autoescape)


def _configure(
    kind: type[ImmutableSandboxedEnvironment], autoescape: bool = False
) -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined

    env = kind(
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["seconds"] = seconds
    return env


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """Where remediation templates compile and render: the bounded sandbox."""
    return _bounded_sandbox()


def seconds(value: float | None) -> str:
    """`{{ delay | seconds }}` -> "1.5 s", "2 s"; a template needs no float formatting."""
    return "0 s" if value is None else f"{value:g} s"


_FIELDS_HINT = (
    "templates may use: http_status, service_code, message, request_id, task_id, task_status,"
    " retry_after, endpoint, method, gateway, gateway_code, headers, rule, delay"
)
_DIALECT_HINT = (
    "a remediation template is a sentence: {{ field }}, {% if %}, comparisons, arithmetic"
    " and the filters " + ", ".join(sorted(_ALLOWED_FILTERS))
)


def template_problems(source: str) -> list[tuple[int, str, str]]:
    """Problems of a rule's template as (line within the template, message, hint)."""
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [(exc.lineno or 1, f"template syntax error: {exc.message}", "")]
    problems: list[tuple[int, str, str]] = []
    unknown = meta.find_undeclared_variables(tree) - TEMPLATE_FIELDS
    problems.extend(
        (1, f"template uses {name!r}, which is not an event field", _FIELDS_HINT)
        for name in sorted(unknown)
    )
    problems.extend((line, message, _DIALECT_HINT) for line, message in _dialect_problems(tree))
    if not problems:
        problems.extend((line, message, "") for line, message in _trial_render(source))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            attr = node.arg.value if isinstance(node.arg.value, str) else None
        if attr is not None and attr.startswith("_"):
            problems.append(
                (
                    node.lineno,
                    f"template reaches for {attr!r}: private attributes are refused",
                    _FIELDS_HINT,
                )
            )
    return problems


def _dialect_problems(tree: nodes.Template) -> list[tuple[int, str]]:
    """What the bounded dialect refuses: loops, calls, big constants (module docstring)."""
    from jinja2 import nodes

    problems: list[tuple[int, str]] = []
    for node in tree.find_all(nodes.Node):
        kind = type(node).__name__
        if kind not in _ALLOWED_NODES:
            problems.append(
                (node.lineno, f"templates may not use {kind} (a remediation is a sentence:"
                 " output, if, comparisons, arithmetic and simple filters)")
            )  # fmt: skip
        elif isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
            problems.append((node.lineno, f"templates may not use the filter {node.name!r}"))
        elif isinstance(node, nodes.Const) and _too_big(node.value):
            problems.append((node.lineno, f"constant {node.value!r:.40} is above {MAX_REPEAT}"))
    return problems


def _too_big(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) > MAX_REPEAT
    return isinstance(value, str) and re.search(r"\d{6,}", value) is not None


# Values a trial render uses: every field set, then every optional field empty.
_TRIAL_FULL: dict[str, Any] = {
    "http_status": 429, "service_code": 1303, "message": "m", "request_id": "r",
    "task_id": "t", "task_status": "failed", "retry_after": 1.0, "endpoint": "/v1/x",
    "method": "POST", "gateway": "fal", "gateway_code": "c", "headers": {"x": "y"},
    "delay": 1.0, "rule": {"id": "i", "title": "t", "summary": "s", "category": "c",
                           "retryable": True, "strategy": "backoff", "first_fix": "f"},
}  # fmt: skip
_TRIAL_EMPTY = {
    **dict.fromkeys(_TRIAL_FULL),
    "headers": {},
    "rule": _TRIAL_FULL["rule"],
}


def _trial_render(source: str) -> list[tuple[int, str]]:
    """Render once with every field set and once with them empty: errors surface at load."""
    template = environment().from_string(source)
    for context in (_TRIAL_FULL, _TRIAL_EMPTY):
        try:
            template.render(**context)
        except Exception as exc:  # any failure is the author's to fix
            return [(getattr(exc, "lineno", None) or 1, f"template fails to render: {exc}")]
    return []


# Fields that differ on nearly every record. When a template only prints them or tests
# their truth, it is rendered once with a placeholder and the value is put in afterwards,
# so the rendered text can be cached (rendering per record would dominate the run time).
_PER_RECORD = ("message", "request_id", "task_id")
_PLACEHOLDER = {name: f"\x00{i}\x00" for i, name in enumerate(_PER_RECORD)}
_PLACEHOLDERS = re.compile("\x00[0-9]\x00")


def _plain_uses(tree: nodes.Template, name: str) -> bool:
    """True when every use of ``name`` is printed as is or tested for truth."""
    from jinja2 import nodes

    def plain(node: nodes.Node, parent: nodes.Node | None) -> bool:
        if isinstance(node, nodes.Name) and node.name == name:
            return isinstance(
                parent, nodes.Output | nodes.If | nodes.CondExpr | nodes.Or | nodes.And | nodes.Not
            )
        return all(plain(child, node) for child in node.iter_child_nodes())

    return plain(tree, None)


Rendered = tuple[list[str], tuple[str | None, ...]]  # text split at the gaps, what fills them
RenderKey = tuple[Any, ...]


def template_reads(source: str, constants: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(fields printed as they are, other fields read) by a template: its render key."""
    from jinja2 import meta

    tree = environment().parse(source)
    used = meta.find_undeclared_variables(tree) - constants
    placed = tuple(n for n in _PER_RECORD if n in used and _plain_uses(tree, n))
    return placed, tuple(sorted(used - set(placed)))


class Remediation:
    """A remediation template with a cache of rendered texts keyed by the fields it reads.

    ``known`` is what an earlier run saved (``reads`` and ``rendered``): with it, texts
    rendered before come from the cache and the template is compiled only on a miss.
    """

    def __init__(
        self,
        source: str,
        constants: Mapping[str, Any],
        known: tuple[tuple[str, ...], tuple[str, ...], dict[RenderKey, Rendered]] | None = None,
    ) -> None:
        self.source = source
        self._constants = dict(constants)  # the same for every record (the rule)
        self._template: Template | None = None
        if known is None:
            self._placed, self._keyed = template_reads(source, set(constants))
            self._cache: dict[RenderKey, Rendered] = {}
        else:
            self._placed, self._keyed, cache = known
            self._cache = dict(cache)
        self.reads = (*self._placed, *self._keyed)  # the fields render() needs
        self.new_renders = 0  # cache entries added since construction (worth saving)

    def transforms(self, name: str) -> bool:
        """True when the template does more with field ``name`` than print it or test it."""
        return name in self._keyed

    def saved(self, limit: int = 64) -> tuple[tuple[str, ...], tuple[str, ...], list[Any]]:
        """What a later run needs to skip compiling: the reads and some rendered texts."""
        renders = [[list(key), pieces, list(gaps)] for key, (pieces, gaps) in self._cache.items()]
        return self._placed, self._keyed, renders[:limit]

    def render(self, fields: Mapping[str, Any]) -> str:
        """Never raises: a template that fails on odd data falls back to the rule summary."""
        placed = tuple(n for n in self._placed if fields.get(n))
        key = (placed, *(_hashable(fields.get(n)) for n in self._keyed))
        cached = self._cache.get(key)
        if cached is None:
            if self._template is None:
                self._template = environment().from_string(self.source)
            context = {**fields, **self._constants, **{n: _PLACEHOLDER[n] for n in placed}}
            try:
                text = self._template.render(**context).strip()
                if len(text) > MAX_RENDERED_CHARS:
                    text = text[: MAX_RENDERED_CHARS - 1] + "…"
            except Exception:  # a record must never crash a run
                rule = self._constants.get("rule") or {}
                text = str(rule.get("summary") or rule.get("title") or "")
            pieces = _PLACEHOLDERS.split(text)
            # A placeholder-like run in logged text (JSON can spell NUL) fills with nothing.
            gaps = tuple(
                name if name in placed else None
                for name in (_PER_RECORD[int(m[1])] for m in _PLACEHOLDERS.findall(text))
            )
            cached = ([p for piece in pieces for p in (piece, "")][:-1], gaps)
            if len(self._cache) < 4096:
                self._cache[key] = cached
                self.new_renders += 1
        pieces, gaps = cached
        if not gaps:
            return pieces[0]
        out = pieces.copy()
        out[1::2] = [str(fields[name]) if name else "" for name in gaps]
        return "".join(out)


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value
