"""The command line: a thin layer over the library (see README "Command line").

Exit codes: 0 ok · 1 internal error · 2 usage error · 3 invalid rule file or config ·
4 input file cannot be opened · 5 unmatched/unreadable records with --fail-on-unmatched ·
6 a check failed (`rules test`, `rules lint --strict`, `rules eval --min-accuracy`,
`docs --check`, `check-request`).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from ._config import RuleSets
from ._exceptions import (
    EXIT_BAD_RULES,
    EXIT_INTERNAL,
    EXIT_TESTS_FAILED,
    EXIT_UNMATCHED,
    EXIT_USAGE,
    InputError,
    KlingErrorsError,
    Problem,
    RuleError,
)
from ._input import STDIN, ReadProgress, check_paths, read_paths
from ._match import explain_candidates
from ._models import Diagnosis, Rule, fix_dict, retry_text
from ._output import FORMATS, ProgressLine, Summary, Writer, knowledge_lines
from ._repeat import Repeats, repeats_enabled
from ._report_file import check_output, report_file
from ._rules import collect


def rule_set_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--rules / --no-builtin / --config / --no-config, resolved into a RuleSets argument."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        rule_paths: tuple[str, ...],
        no_builtin: bool,
        config_path: str | None,
        no_config: bool,
        **kwargs: Any,
    ) -> Any:
        kwargs["rule_sets"] = RuleSets.resolve(rule_paths, no_builtin, config_path, not no_config)
        return command(*args, **kwargs)

    options = [
        click.option(
            "--rules",
            "rule_paths",
            multiple=True,
            type=click.Path(exists=True),
            help="Rule file or directory loaded after the built-in and configured ones "
            "(repeatable; later sets override earlier ones by id).",
        ),
        click.option("--no-builtin", is_flag=True, help="Do not load the built-in rules."),
        click.option(
            "--config",
            "config_path",
            type=click.Path(exists=True, dir_okay=False),
            help="Project config file [default: kling-errors.yaml or pyproject.toml "
            "[tool.kling-errors], searched upward from the working directory].",
        ),
        click.option("--no-config", is_flag=True, help="Ignore any project config file."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


class _Group(click.Group):
    """Turns the tool's own errors into the documented message and exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # `kling-errors classify big.log | head`: the reader left; end quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except RuleError as exc:
            _report(exc.problems)
            click.echo(
                f"error: {len(exc.problems)} problem(s) in {exc.subject}; no rules were loaded",
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
    help="Output format [default: the config's, else text on a terminal and jsonl otherwise].",
)
@click.option("--summary", is_flag=True, help="Print counts by category and rule instead.")
@click.option(
    "--fail-on-unmatched",
    is_flag=True,
    default=None,
    help=f"Exit {EXIT_UNMATCHED} when any record is unmatched or unreadable.",
)
@click.option("--why", is_flag=True, help="Show every matching rule and why the winner won.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically).")
@click.option("--color/--no-color", default=None, help="Colour text output [default: on a tty].")
@click.option("-q", "--quiet", is_flag=True, help="No progress line on stderr.")
@rule_set_options
def classify(
    files: tuple[str, ...],
    fmt: str | None,
    summary: bool,
    fail_on_unmatched: bool | None,
    why: bool,
    output: str | None,
    color: bool | None,
    quiet: bool,
    rule_sets: RuleSets,
) -> None:
    """Classify logged Kling errors from FILES (or stdin), one result per record."""
    paths = list(files) or [STDIN]
    check_paths(paths)
    check_output(output, paths)
    engine = rule_sets.engine()
    to_terminal = output is None and sys.stdout.isatty()
    fmt = fmt or rule_sets.config.format or ("text" if to_terminal else "jsonl")
    color = to_terminal if color is None else color
    if fail_on_unmatched is None:
        fail_on_unmatched = rule_sets.config.fail_on_unmatched
    tally = Summary()
    reading = ReadProgress(paths)
    # Progress only where a person watches: stderr is a terminal and stdout is not it.
    show = not quiet and sys.stderr.isatty() and not to_terminal
    progress = ProgressLine(sys.stderr, reading) if show else None
    with report_file(output) as out:
        writer = Writer(out, fmt, color)

        def render(diagnosis: Diagnosis, reasons: list[dict[str, Any]] | None = None) -> str:
            return "" if summary else writer.format(diagnosis, reasons)

        # `--why` needs every record's candidates, so every record takes the full path.
        repeats = Repeats(engine, render, writer.escape) if repeats_enabled() and not why else None
        records = read_paths(
            paths, reading if progress else None, repeats.sketch if repeats else None
        )
        for index, raw in enumerate(records):
            if progress is not None and index % 1000 == 0:
                progress.update(index)
            if repeats is not None and raw.sketch is not None:
                counted, text = repeats.answer(raw, index)
            else:
                counted = engine.classify_raw(raw, index)
                reasons = None
                if why and raw.unreadable is None:
                    reasons = explain_candidates(engine.candidates(raw.value))
                text = render(counted, reasons)
            tally.add(counted)
            if not summary:
                writer.write_formatted(text)
        if summary:
            text = tally.to_text() if fmt == "text" else json.dumps(tally.to_dict(), indent=2)
            out.write(text + "\n")
        else:
            writer.close()
    engine.save_renders()
    if progress is not None:
        progress.close()
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
    lines.append(f"  retry: {retry_text(rule)}")
    lines.extend(knowledge_lines(rule.causes, rule.fixes))
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
        "fixes": [fix_dict(fix) for fix in rule.fixes],
        "source": rule.source.__dict__,
        "origin": str(rule.origin),
    }


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@rule_set_options
def explain(query: str, fmt: str, rule_sets: RuleSets) -> None:
    """What is known about a service code (1303), an HTTP status (429) or a rule id."""
    found = rule_sets.engine().explain(query)
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
    """Author and check rule sets: validate, test, lint, list, show, new, diff, coverage."""


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
        if problem.hint:
            click.echo(f"  hint: {problem.hint}", err=True)


@rules.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@rule_set_options
def validate(paths: tuple[str, ...], rule_sets: RuleSets) -> None:
    """Schema and semantic checks of PATHS (default: every loaded set); all problems."""
    report = collect(rule_sets.with_paths(*paths).sources())
    for warning in report.warnings:
        click.echo(f"{warning} (warning)", err=True)
        if warning.hint:
            click.echo(f"  hint: {warning.hint}", err=True)
    if report.problems:
        _report(report.problems)
        click.echo(
            f"{len(report.problems)} problem(s) in {report.files} file(s); nothing loaded", err=True
        )
        sys.exit(EXIT_BAD_RULES)
    click.echo(f"ok: {len(report.rules)} rules in {report.files} file(s)")


def _only(paths: tuple[str, ...]) -> set[str] | None:
    """The rule-set labels PATHS stand for (None: every set)."""
    return {str(p) for p in paths} if paths else None


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("-v", "--verbose", is_flag=True, help="Print passing examples too.")
@rule_set_options
def test_rules(paths: tuple[str, ...], verbose: bool, rule_sets: RuleSets) -> None:
    """Run rule examples (must match their rule) and counter_examples (must not).

    PATHS are loaded on top of the other sets and only their rules are tested.
    """
    from ._testing import run_examples

    engine = rule_sets.with_paths(*paths).engine()
    results = run_examples(engine, _only(paths))
    failed = [r for r in results if not r.passed]
    for result in results if verbose else failed:
        click.echo(str(result))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        sys.exit(EXIT_TESTS_FAILED)


@rules.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--strict", is_flag=True, help=f"Exit {EXIT_TESTS_FAILED} if there is any warning.")
@rule_set_options
def lint_rules(paths: tuple[str, ...], strict: bool, rule_sets: RuleSets) -> None:
    """Warnings: rules that can never win, same-specificity overlaps, slow regexes,
    rules without examples. PATHS are loaded on top and only their rules are linted."""
    from ._lint import lint

    engine = rule_sets.with_paths(*paths).engine()
    findings = lint(engine, _only(paths))
    for finding in findings:
        click.echo(str(finding))
    click.echo(f"{len(findings)} warning(s)")
    if strict and findings:
        sys.exit(EXIT_TESTS_FAILED)


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
    import yaml

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
    type=click.Path(allow_dash=True),
    help="A logged record (JSON, or a log line) in a file, or - for stdin.",
)
@click.option("--index", default=0, show_default=True, help="Which record of the file.")
@click.option("--id", "rule_id", help="Id for the new rule [default: team.<words of message>].")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically).")
@rule_set_options
def new_rule(
    record_file: str, index: int, rule_id: str | None, output: str | None, rule_sets: RuleSets
) -> None:
    """Scaffold a rule from a logged record, the record as its first example."""
    check_paths([record_file])
    check_output(output, [record_file])
    raw = next((r for i, r in enumerate(read_paths([record_file])) if i == index), None)
    if raw is None or raw.unreadable is not None:
        why = raw.unreadable if raw is not None else f"it has no record #{index}"
        raise InputError(f"{record_file}: cannot read the record: {why}", "check --index")
    from ._scaffold import scaffold

    text = scaffold(raw.value, rule_sets.engine(), rule_id)
    with report_file(output) as out:
        out.write(text)


def _corpus_check(corpus: str) -> list[str]:
    check_paths([corpus])
    return [corpus]


@rules.command("diff")
@click.option(
    "--corpus", required=True, type=click.Path(allow_dash=True), help="The stored log to replay."
)
@click.option(
    "--old",
    "old_paths",
    multiple=True,
    type=click.Path(exists=True),
    help="Rule set(s) only the old side loads (e.g. the committed version of your rules).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@rule_set_options
def diff_rules(corpus: str, old_paths: tuple[str, ...], fmt: str, rule_sets: RuleSets) -> None:
    """How a rule change reclassifies a stored log: old → new rule/category, with counts.

    Old: the configured rule sets plus --old. New: the configured rule sets plus --rules.
    """
    from ._corpus import diff

    old = rule_sets.without_extra().with_paths(*old_paths).engine()
    result = diff(read_paths(_corpus_check(corpus)), old, rule_sets.engine())
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.to_text())


@rules.command("coverage")
@click.argument("log", type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@rule_set_options
def coverage_rules(log: str, fmt: str, rule_sets: RuleSets) -> None:
    """Which rules LOG exercises (with counts) and which it never reaches."""
    from ._corpus import coverage

    result = coverage(read_paths(_corpus_check(log)), rule_sets.engine())
    click.echo(json.dumps(result.to_dict(), indent=2) if fmt == "json" else result.to_text())


@rules.command("eval")
@click.argument("corpus", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--min-accuracy",
    type=click.FloatRange(0, 1),
    help=f"Exit {EXIT_TESTS_FAILED} when category or retryable accuracy is below this (0-1).",
)
@rule_set_options
def eval_rules(
    corpus: tuple[str, ...], fmt: str, min_accuracy: float | None, rule_sets: RuleSets
) -> None:
    """Accuracy of the loaded rules on labelled records (JSON lines; directories: *.jsonl).

    Reports category and retryable accuracy, precision and recall per category, the
    confusion table and every miss with the rule that answered and why.
    """
    from ._eval import evaluate, read_corpus

    result = evaluate(rule_sets.engine(), read_corpus(corpus))
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
        sys.exit(EXIT_TESTS_FAILED)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown", "skill"]),
    default="markdown",
    show_default=True,
    help="Markdown reference, one self-contained HTML page, or a skill-style guide.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically).")
@click.option(
    "--template",
    "template_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Render your own Jinja template with the same data instead.",
)
@click.option(
    "--update", is_flag=True, help="Regenerate every format into --docs-dir (docs/errors.md, ...)."
)
@click.option(
    "--check",
    is_flag=True,
    help=f"Exit {EXIT_TESTS_FAILED} if the files in --docs-dir (or -o) differ from the rules.",
)
@click.option("--docs-dir", default="docs", show_default=True, type=click.Path(file_okay=False))
@rule_set_options
def docs(
    fmt: str,
    output: str | None,
    template_file: str | None,
    update: bool,
    check: bool,
    docs_dir: str,
    rule_sets: RuleSets,
) -> None:
    """Generate the error reference from the loaded rules (deterministic output)."""
    from ._docs import DEFAULT_FILES as DOC_FILES
    from ._docs import builtin_template, file_template
    from ._docs import render as render_docs

    loaded = rule_sets.engine().rules
    if update or (check and output is None):
        targets = {f: Path(docs_dir) / name for f, name in DOC_FILES.items()}
    else:
        targets = {fmt: Path(output)} if output else {}
    if not targets:  # plain `docs`: one format to stdout
        template = file_template(template_file) if template_file else builtin_template(fmt)
        sys.stdout.write(render_docs(loaded, template))
        return
    stale = []
    for target_fmt, target in targets.items():
        template = (
            file_template(template_file)
            if template_file and not update
            else builtin_template(target_fmt)
        )
        text = render_docs(loaded, template)
        if check:
            current = target.read_bytes().decode("utf-8") if target.is_file() else None
            if current != text:
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with report_file(str(target)) as out:
            out.write(text)
        click.echo(f"wrote {target}", err=True)
    if stale:
        click.echo(f"error: out of date with the rules: {', '.join(stale)}", err=True)
        click.echo("hint: run `kling-errors docs --update` and commit the result", err=True)
        sys.exit(EXIT_TESTS_FAILED)
    if check:
        click.echo(f"ok: {', '.join(str(t) for t in targets.values())} up to date")


@main.command("check-request")
@click.argument("payloads", nargs=-1, type=click.Path(allow_dash=True))
@click.option(
    "--endpoint", type=click.Choice(["text2video", "image2video"]), default="text2video",
    show_default=True,
)  # fmt: skip
@click.option(
    "--terms", multiple=True, type=click.Path(exists=True, dir_okay=False),
    help="Extra content watch-list file (JSON or YAML: {terms: [{pattern, note}]}).",
)  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text")
def check_request_command(
    payloads: tuple[str, ...], endpoint: str, terms: tuple[str, ...], fmt: str
) -> None:
    """Check request bodies (a JSON file, JSON lines, or stdin) before sending them.

    Every violation with its JSON path, the fix, and what Kling would answer. Exits
    6 if any payload has an error (warnings do not fail).
    """
    from ._preflight import check_request, load_terms

    paths = list(payloads) or [STDIN]
    check_paths(paths)
    watch = load_terms(terms)
    failed = 0
    for index, raw in enumerate(read_paths(paths)):
        where = str(raw.location)
        if raw.unreadable is not None:
            click.echo(f"{where}: error: {raw.unreadable}")
            failed += 1
            continue
        base = Path(raw.location.path).parent if raw.location.path != "<stdin>" else None
        found = check_request(raw.value, endpoint, terms=watch, base_dir=base)
        failed += any(v.severity == "error" for v in found)
        if fmt == "jsonl":
            row = {"index": index, "location": where, "violations": [v.to_dict() for v in found]}
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{where}: " + ("ok" if not found else f"{len(found)} finding(s)"))
            for violation in found:
                click.echo(f"  {violation}")
    if failed:
        sys.exit(EXIT_TESTS_FAILED)


def run() -> None:
    """Console entry point: a bug never shows a bare traceback."""
    for stream in (sys.stdout, sys.stderr):  # a file name can hold what UTF-8 cannot
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        main.main(prog_name="kling-errors")
    except Exception as exc:
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("hint: this is a bug in kling-errors; please report it with the input", err=True)
        sys.exit(EXIT_INTERNAL)
