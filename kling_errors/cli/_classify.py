"""``kling-errors classify``: one result per logged record, or a summary of them."""

from __future__ import annotations

import os
import stat
import sys

import click

from .._config import RuleSets
from .._exceptions import EXIT_UNMATCHED
from .._output import FORMATS, ProgressLine
from .._pipeline import RunOptions
from .._read import STDIN, ReadProgress, check_paths
from .._report_file import check_output, report_file
from .._run import default_jobs, run
from ._options import color_default, note_reading_stdin, output_option, rule_set_options


@click.command("classify")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True, readable=False))
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
@output_option
@click.option("--color/--no-color", default=None, help="Colour text output [default: on a tty].")
@click.option("-q", "--quiet", is_flag=True, help="No progress line on stderr.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to classify with [default: the cores, for files of 4 MiB a core or more;"
    " 1 for stdin]. The output is the same whatever the number.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="Also write an HTML report of the run here: totals, failures over time, top rules,"
    " retry advice, unmatched messages (one self-contained page).",
)
@click.option(
    "--report-reference",
    default="errors.html",
    show_default=True,
    metavar="URL",
    help="Where the report links rule ids to: the HTML reference `kling-errors docs` writes.",
)
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
    jobs: int | None,
    report_path: str | None,
    report_reference: str,
    rule_sets: RuleSets,
) -> None:
    """Classify logged Kling errors from FILES (or stdin), one result per record."""
    paths = list(files) or [STDIN]
    check_paths(paths)
    if not quiet:
        note_reading_stdin(paths)
    check_output(output, paths)
    check_output(report_path, paths)
    engine = rule_sets.engine()
    to_terminal = output is None and sys.stdout.isatty()
    fmt = fmt or rule_sets.config.format or ("text" if to_terminal else "jsonl")
    color = (output is None and color_default(sys.stdout)) if color is None else color
    if fail_on_unmatched is None:
        fail_on_unmatched = rule_sets.config.fail_on_unmatched
    # Progress only where a person watches: stderr is a terminal and stdout is not it.
    show = not quiet and sys.stderr.isatty() and not to_terminal
    reading = ReadProgress(paths) if show else None
    progress = ProgressLine(sys.stderr, reading) if reading is not None else None
    options = RunOptions(fmt=fmt, color=color, why=why, summary=summary)
    if output is None and paths == [STDIN] and _piped_in():
        # A coprocess (another program writing records and reading answers) gets each
        # answer as its line is read: no waiting for a buffer to fill.
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with report_file(output) as out:
        tally = run(
            engine,
            paths,
            out,
            options,
            jobs=default_jobs(paths) if jobs is None else jobs,
            progress=reading,
            on_progress=progress.update if progress is not None else None,
            report=report_path is not None,
        )
    if progress is not None:
        progress.close()
    if report_path is not None and tally.report is not None:
        # lazy: the report's renderer (Jinja, the template) only for --report
        from .._report_html import ReportPage, describe, render_report

        page = ReportPage(tuple(paths), report_reference, len(engine.rules))
        with report_file(report_path) as handle:
            handle.write(render_report(tally.summary, tally.report, page))
        click.echo(describe(report_path, tally.report, tally.summary), err=True)
    outcomes = tally.summary.outcomes
    if fail_on_unmatched and (outcomes["unmatched"] or outcomes["unreadable"]):
        sys.exit(EXIT_UNMATCHED)


def _piped_in() -> bool:
    """stdin is a pipe or a socket, not a file: records may come one at a time."""
    try:
        return not stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False
