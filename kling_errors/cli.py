"""The command line: a thin layer over the library (see README "Command line").

Exit codes: 0 ok · 1 internal error · 2 usage error · 3 invalid rule file ·
4 input file cannot be opened · 5 unmatched/unreadable records with --fail-on-unmatched ·
6 rule examples failing in `rules test`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from . import __version__
from ._engine import Engine
from ._exceptions import (
    EXIT_BAD_RULES,
    EXIT_INTERNAL,
    EXIT_TESTS_FAILED,
    EXIT_UNMATCHED,
    EXIT_USAGE,
    KlingErrorsError,
    Problem,
    RuleError,
)
from ._input import STDIN, check_paths, read_paths
from ._models import Rule
from ._output import FORMATS, Summary, Writer
from ._rules import builtin_rules_dir, read_rule_file, rule_files
from ._testing import run_examples

rules_option = click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(exists=True),
    help="Extra rule file or directory, loaded after the built-in rules (repeatable).",
)
no_builtin_option = click.option(
    "--no-builtin", is_flag=True, help="Use only the rule sets given with --rules."
)


def _engine(rule_paths: tuple[str, ...], no_builtin: bool) -> Engine:
    return Engine(rule_paths=rule_paths, builtin=not no_builtin)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    """stdout, or a file written atomically (a crash never leaves half a report)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _Group(click.Group):
    """Turns the tool's own errors into the documented message and exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RuleError as exc:
            _report(exc.problems)
            click.echo(
                f"error: {len(exc.problems)} problem(s) in rule files; no rules were loaded",
                err=True,
            )
            click.echo(f"hint: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)
        except KlingErrorsError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kling-errors")
def main() -> None:
    """Explain failed Kling AI API calls: cause, fix, and whether to retry."""


@main.command()
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format [default: text on a terminal, jsonl otherwise].",
)
@click.option("--summary", is_flag=True, help="Print counts by category and rule instead.")
@click.option(
    "--fail-on-unmatched",
    is_flag=True,
    help=f"Exit {EXIT_UNMATCHED} when any record is unmatched or unreadable.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically).")
@click.option("--color/--no-color", default=None, help="Colour text output [default: on a tty].")
@rules_option
@no_builtin_option
def classify(
    files: tuple[str, ...],
    fmt: str | None,
    summary: bool,
    fail_on_unmatched: bool,
    output: str | None,
    color: bool | None,
    rule_paths: tuple[str, ...],
    no_builtin: bool,
) -> None:
    """Classify logged Kling errors from FILES (or stdin), one result per record."""
    paths = list(files) or [STDIN]
    check_paths(paths)
    engine = _engine(rule_paths, no_builtin)
    to_terminal = output is None and sys.stdout.isatty()
    fmt = fmt or ("text" if to_terminal else "jsonl")
    color = to_terminal if color is None else color
    tally = Summary()
    with _output(output) as out:
        writer = Writer(out, fmt, color)
        for diagnosis in engine.classify_records(read_paths(paths)):
            tally.add(diagnosis)
            if not summary:
                writer.write(diagnosis)
        if summary:
            text = tally.to_text() if fmt == "text" else json.dumps(tally.to_dict(), indent=2)
            out.write(text + "\n")
        else:
            writer.close()
    if fail_on_unmatched and (tally.outcomes["unmatched"] or tally.outcomes["unreadable"]):
        sys.exit(EXIT_UNMATCHED)


def _rule_text(rule: Rule) -> str:
    codes = sorted({code for c in rule.match for code in (c.service_code or ())})
    lines = [click.style(rule.id, bold=True) + f"  ({rule.origin})", f"  {rule.title}"]
    if rule.summary:
        lines.append(f"  {rule.summary}")
    lines.append(f"  category: {rule.category} · severity: {rule.severity}")
    if codes:
        lines.append(f"  service code: {', '.join(map(str, codes))}")
    retry = rule.retry
    retry_text = {True: "yes", False: "no", None: "unknown"}[rule.retryable]
    if retry.strategy != "none":
        retry_text += f" — {retry.strategy}, first wait {retry.initial_delay:g} s"
        if retry.max_attempts:
            retry_text += f", at most {retry.max_attempts} attempts"
    lines.append(f"  retryable: {retry_text}")
    lines.append("  causes:")
    lines.extend(f"    - {c}" for c in rule.causes)
    lines.append("  fixes:")
    for number, fix in enumerate(rule.fixes, start=1):
        lines.append(f"    {number}. {fix.step}")
        if fix.code:
            lines.extend(f"         {line}" for line in fix.code.rstrip().splitlines())
    lines.append(f"  source: {rule.source.kind} — {rule.source.ref}")
    lines.extend(f"  docs: {d.title} <{d.url}>" for d in rule.docs)
    return "\n".join(lines)


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "summary": rule.summary,
        "category": rule.category,
        "severity": rule.severity,
        "retryable": rule.retryable,
        "retry": rule.retry.__dict__,
        "service_codes": sorted({code for c in rule.match for code in (c.service_code or ())}),
        "causes": list(rule.causes),
        "fixes": [fix.__dict__ for fix in rule.fixes],
        "source": rule.source.__dict__,
        "origin": str(rule.origin),
    }


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@rules_option
@no_builtin_option
def explain(query: str, fmt: str, rule_paths: tuple[str, ...], no_builtin: bool) -> None:
    """What is known about a service code (1303), an HTTP status (429) or a rule id."""
    found = _engine(rule_paths, no_builtin).explain(query)
    if not found:
        click.echo(f"error: nothing known about {query!r}", err=True)
        click.echo(
            "hint: try a service code such as 1303, a status such as 429, or "
            "`kling-errors rules list` for rule ids",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    if fmt == "json":
        click.echo(json.dumps([_rule_json(r) for r in found], indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(_rule_text(r) for r in found))


@main.group()
def rules() -> None:
    """Author and check rule sets."""


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
        if problem.hint:
            click.echo(f"  hint: {problem.hint}", err=True)


@rules.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def validate(paths: tuple[str, ...]) -> None:
    """Check rule files against the schema and for semantic errors (all problems)."""
    files = rule_files(paths or [builtin_rules_dir()])
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    count = 0
    for path in files:
        loaded, found = read_rule_file(path)
        problems.extend(found)
        for rule in loaded:
            count += 1
            if rule.id in seen:
                problems.append(
                    Problem(
                        str(path),
                        rule.origin.line,
                        None,
                        f"duplicate rule id {rule.id!r} (also at {seen[rule.id]})",
                    )
                )
            seen.setdefault(rule.id, str(rule.origin))
    if problems:
        _report(problems)
        click.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        sys.exit(EXIT_BAD_RULES)
    click.echo(f"ok: {count} rules in {len(files)} file(s)")


@rules.command("test")
@rules_option
@no_builtin_option
@click.option("-v", "--verbose", is_flag=True, help="Print passing examples too.")
def test_rules(rule_paths: tuple[str, ...], no_builtin: bool, verbose: bool) -> None:
    """Run every rule's examples (must match it) and counter_examples (must not)."""
    engine = _engine(rule_paths, no_builtin)
    results = run_examples(engine)
    failed = [r for r in results if not r.passed]
    for result in results if verbose else failed:
        click.echo(str(result))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(EXIT_TESTS_FAILED)


@rules.command("list")
@rules_option
@no_builtin_option
def list_rules(rule_paths: tuple[str, ...], no_builtin: bool) -> None:
    """The loaded rules: id, category, retryable, origin."""
    for rule in _engine(rule_paths, no_builtin).rules:
        retry = {True: "retry", False: "no-retry", None: "unknown"}[rule.retryable]
        click.echo(f"{rule.id:<48} {rule.category:<18} {retry:<9} {rule.origin}")


def run() -> None:
    """Console entry point: a closed pipe ends quietly, a bug never shows a bare traceback."""
    try:
        main.main(prog_name="kling-errors")
    except BrokenPipeError:
        # `kling-errors classify big.log | head`: the reader left; end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("hint: this is a bug in kling-errors; please report it with the input", err=True)
        sys.exit(EXIT_INTERNAL)
