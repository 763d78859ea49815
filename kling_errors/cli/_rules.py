"""``kling-errors rules ...``: author and check rule sets.

validate, test, lint, list, show, new, diff, coverage and eval. The authoring modules
(``_testing``, ``_lint``, ``_scaffold``, ``_corpus``, ``_eval``) and YAML are imported by
the command that needs them, not here: README "What keeps start-up short" promises that
``classify`` never pays for them.
"""

from __future__ import annotations

import json
import sys

import click

from .._config import RuleSets
from .._exceptions import EXIT_BAD_RULES, EXIT_CHECK_FAILED, EXIT_USAGE, InputError
from .._read import check_paths, read_paths
from .._report_file import check_output, report_file
from .._rules import collect
from ._common import report_problems
from ._options import note_reading_stdin, output_option, rule_set_options, text_or_json_format


@click.group("rules")
def rules() -> None:
    """Author and check rule sets: validate, test, lint, list, show, new, diff, coverage."""


def _only(paths: tuple[str, ...]) -> set[str] | None:
    """The rule-set labels PATHS stand for (None: every set)."""
    return {str(p) for p in paths} if paths else None


def _corpus_check(corpus: str) -> list[str]:
    check_paths([corpus])
    note_reading_stdin([corpus])
    return [corpus]


@rules.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, readable=False))
@rule_set_options
def validate(paths: tuple[str, ...], rule_sets: RuleSets) -> None:
    """Schema and semantic checks of PATHS (default: every loaded set); all problems."""
    report = collect(rule_sets.with_paths(*paths).sources())
    for warning in report.warnings:
        click.echo(f"{warning} (warning)", err=True)
        if warning.hint:
            click.echo(f"  hint: {warning.hint}", err=True)
    if report.problems:
        report_problems(report.problems)
        click.echo(
            f"{len(report.problems)} problem(s) in {report.files} file(s); nothing loaded", err=True
        )
        sys.exit(EXIT_BAD_RULES)
    click.echo(f"ok: {len(report.rules)} rules in {report.files} file(s)")


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, readable=False))
@click.option("-v", "--verbose", is_flag=True, help="Print passing examples too.")
@rule_set_options
def test_rules(paths: tuple[str, ...], verbose: bool, rule_sets: RuleSets) -> None:
    """Run rule examples (must match their rule) and counter_examples (must not).

    PATHS are loaded on top of the other sets and only their rules are tested.
    """
    from .._testing import run_examples  # lazy: authoring module (module docstring)

    engine = rule_sets.with_paths(*paths).engine()
    results = run_examples(engine, _only(paths))
    failed = [r for r in results if not r.passed]
    for result in results if verbose else failed:
        click.echo(str(result))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(EXIT_CHECK_FAILED)


@rules.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, readable=False))
@click.option("--strict", is_flag=True, help=f"Exit {EXIT_CHECK_FAILED} if there is any warning.")
@click.option(
    "--disable",
    "disabled",
    multiple=True,
    metavar="ID",
    help="Skip a check (repeatable): no-examples, example-not-matched, never-wins,"
    " ambiguous-overlap, takes-from-builtin, nested-quantifier.",
)
@rule_set_options
def lint_rules(
    paths: tuple[str, ...], strict: bool, disabled: tuple[str, ...], rule_sets: RuleSets
) -> None:
    """Warnings: examples a rule's own conditions do not match, rules that never win,
    same-specificity overlaps, slow regexes, rules without examples. PATHS are loaded on
    top and only their rules are linted. Each warning names its check: --disable ID."""
    from .._lint import lint  # lazy: authoring module (module docstring)

    engine = rule_sets.with_paths(*paths).engine()
    try:
        findings = lint(engine, _only(paths), frozenset(disabled))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--disable") from None
    for finding in findings:
        click.echo(str(finding))
    click.echo(f"{len(findings)} warning(s)")
    if strict and findings:
        sys.exit(EXIT_CHECK_FAILED)


@rules.command("list")
@click.option("--origin", is_flag=True, help="Show the file:line and rule set each came from.")
@rule_set_options
def list_rules(origin: bool, rule_sets: RuleSets) -> None:
    """The loaded rules in load order: id, category, retryable (and origin)."""
    for rule in rule_sets.engine().rules:
        retry = {True: "retry", False: "no-retry", None: "unknown"}[rule.retryable]
        line = f"{rule.id:<40} {rule.category:<18} {retry:<9}"
        if origin:
            extends = f"  extends {rule.extends}" if rule.extends else ""
            line += f" {rule.origin}  [{rule.rule_set}]{extends}"
        click.echo(line.rstrip())


@rules.command("show")
@click.argument("rule_id")
@rule_set_options
def show_rule(rule_id: str, rule_sets: RuleSets) -> None:
    """One loaded rule as YAML (after extends), with its origin."""
    import yaml  # lazy: YAML is a heavy import (module docstring)

    rule = rule_sets.engine().rules.get(rule_id)
    if rule is None:
        click.echo(f"error: no loaded rule has the id {rule_id!r}", err=True)
        click.echo("hint: `kling-errors rules list` shows the loaded ids", err=True)
        sys.exit(EXIT_USAGE)
    extends = f", extends {rule.extends}" if rule.extends else ""
    click.echo(f"# {rule.origin} [{rule.rule_set}{extends}]")
    click.echo(yaml.safe_dump(dict(rule.raw), sort_keys=False, allow_unicode=True, width=100))


@rules.command("new")
@click.option(
    "--from",
    "record_file",
    required=True,
    type=click.Path(allow_dash=True, readable=False),
    help="A logged record (JSON, or a log line) in a file, or - for stdin.",
)
@click.option("--index", default=0, show_default=True, help="Which record of the file.")
@click.option("--id", "rule_id", help="Id for the new rule [default: team.<words of message>].")
@output_option
@rule_set_options
def new_rule(
    record_file: str, index: int, rule_id: str | None, output: str | None, rule_sets: RuleSets
) -> None:
    """Scaffold a rule from a logged record, the record as its first example."""
    check_paths([record_file])
    check_output(output, [record_file])
    note_reading_stdin([record_file])
    raw = next((r for i, r in enumerate(read_paths([record_file])) if i == index), None)
    if raw is None or raw.unreadable is not None:
        why = raw.unreadable if raw is not None else f"it has no record #{index}"
        raise InputError(f"{record_file}: cannot read the record: {why}", "check --index")
    from .._scaffold import scaffold  # lazy: authoring module, imports YAML (module docstring)

    text = scaffold(raw.value, rule_sets.engine(), rule_id)
    with report_file(output) as out:
        out.write(text)


@rules.command("diff")
@click.option(
    "--corpus",
    required=True,
    type=click.Path(allow_dash=True, readable=False),
    help="The stored log to replay.",
)
@click.option(
    "--old",
    "old_paths",
    multiple=True,
    type=click.Path(exists=True, readable=False),
    help="Rule set(s) only the old side loads (e.g. the committed version of your rules).",
)
@text_or_json_format
@rule_set_options
def diff_rules(corpus: str, old_paths: tuple[str, ...], fmt: str, rule_sets: RuleSets) -> None:
    """How a rule change reclassifies a stored log: old → new rule/category, with counts.

    Old: the configured rule sets plus --old. New: the configured rule sets plus --rules.
    """
    from .._corpus import diff  # lazy: authoring module (module docstring)

    old = rule_sets.without_extra().with_paths(*old_paths).engine()
    result = diff(read_paths(_corpus_check(corpus)), old, rule_sets.engine())
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.to_text())


@rules.command("coverage")
@click.argument("log", type=click.Path(allow_dash=True, readable=False))
@text_or_json_format
@rule_set_options
def coverage_rules(log: str, fmt: str, rule_sets: RuleSets) -> None:
    """Which rules LOG exercises (with counts) and which it never reaches."""
    from .._corpus import coverage  # lazy: authoring module (module docstring)

    result = coverage(read_paths(_corpus_check(log)), rule_sets.engine())
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.to_text())


@rules.command("eval")
@click.argument("corpus", nargs=-1, required=True, type=click.Path(readable=False))
@text_or_json_format
@click.option(
    "--min-accuracy",
    type=click.FloatRange(0, 1),
    help=f"Exit {EXIT_CHECK_FAILED} when category or retryable accuracy is below this (0-1).",
)
@rule_set_options
def eval_rules(
    corpus: tuple[str, ...], fmt: str, min_accuracy: float | None, rule_sets: RuleSets
) -> None:
    """Accuracy of the loaded rules on labelled records (JSON lines; directories: *.jsonl).

    Reports category and retryable accuracy, precision and recall per category, the
    confusion table and every miss with the rule that answered and why.
    """
    from .._eval import evaluate, read_corpus  # lazy: authoring module (module docstring)

    try:
        result = evaluate(rule_sets.engine(), read_corpus(corpus))
    except OSError as exc:  # a corpus file that cannot be opened
        where = exc.filename or ", ".join(corpus)
        raise InputError(
            f"{where}: cannot open: {exc.strerror}", "check the path and its permissions"
        ) from None
    click.echo(
        json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
        if fmt == "json"
        else result.to_text()
    )
    lowest = min(result.category_accuracy, result.retryable_accuracy)
    if min_accuracy is not None and lowest < min_accuracy:
        below = f"{lowest * 100:.1f}% is below --min-accuracy {min_accuracy * 100:.1f}%"
        click.echo(f"error: accuracy {below}", err=True)
        click.echo("hint: the misses above say which rule answered each record and why", err=True)
        sys.exit(EXIT_CHECK_FAILED)


@rules.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json"]),
    default="json",
    show_default=True,
    help="The export format (schemas/export.schema.json).",
)
@output_option
@rule_set_options
def export_rules(fmt: str, output: str | None, rule_sets: RuleSets) -> None:
    """The loaded rules as one versioned JSON document, to match errors in another language.

    Match conditions, precedence ranks, categories, retry policies and texts, plus how
    matching works and conformance cases (README "Beyond Python"). Deterministic: the
    same rule files give the same bytes.
    """
    from .._export import export_json  # lazy: only this command needs it (module docstring)

    check_output(output)
    text = export_json(rule_sets.engine())
    with report_file(output) as out:
        out.write(text)


def _register_mine() -> None:
    """`rules mine` lives in its own module (it imports the miner only when it runs)."""
    from ._mine import mine

    rules.add_command(mine)


_register_mine()
