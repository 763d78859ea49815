"""``kling-errors rules mine LOG...``: draft rules from the failures no rule explains.

Registered on the ``rules`` group in ``cli/__init__``. The mining modules (and YAML) are
imported when the command runs, not here: `classify` never pays for them.
"""

from __future__ import annotations

import re
import sys

import click

from .._config import RuleSets
from .._output import ProgressLine
from .._read import ReadProgress, check_paths
from .._report_file import check_output, report_file
from ._options import output_option, rule_set_options

_ID_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
SHOWN_TEMPLATES = 20


def _prefix(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not _ID_PREFIX.match(value):
        raise click.BadParameter("lowercase letters, digits, '.', '_' and '-' (e.g. acme.mined)")
    return value.rstrip(".")


@click.command("mine")
@click.argument("logs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@output_option
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Draft a rule for templates of at least this many records.",
)
@click.option(
    "--include-wording",
    is_flag=True,
    help="Also mine records only the wording tier answered (a rule of priority < 0 that "
    "reads the words; a bare status rule does not count).",
)
@click.option(
    "--prefix",
    default="team.mined",
    show_default=True,
    callback=_prefix,
    help="Id prefix of the drafts: PREFIX.<words of the template>.",
)
@click.option(
    "--max-templates",
    type=click.IntRange(min=10),
    default=10_000,
    show_default=True,
    help="Templates held while reading; past it alike ones merge and the rarest are dropped.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress line and no template table.")
@rule_set_options
def mine(
    logs: tuple[str, ...],
    output: str | None,
    min_count: int,
    include_wording: bool,
    prefix: str,
    max_templates: int,
    quiet: bool,
    rule_sets: RuleSets,
) -> None:
    """Cluster the messages of the records in LOGS that no rule explains into templates,
    and write one draft rule per template (stdout, or -o FILE) to review and edit.

    Each draft matches its template's messages with an anchored regex (variables as
    bounded wildcards) and the status, code and gateway its records share; it carries up
    to 3 redacted records as examples and, where a neighbouring template exists, a
    counter-example. Category and retryable come from the wording tier when it
    recognises the words, else they are marked TODO.
    """
    from .._mine._draft import draftable, drafts_for  # lazy (module docstring)
    from .._mine._file import render, verify
    from .._mine._miner import mine_paths

    paths = list(logs)
    check_paths(paths)
    check_output(output, paths)
    engine = rule_sets.engine()
    show = not quiet and sys.stderr.isatty()
    reading = ReadProgress(paths) if show else None
    progress = ProgressLine(sys.stderr, reading) if reading is not None else None
    result = mine_paths(
        paths,
        engine,
        include_wording=include_wording,
        max_templates=max_templates,
        progress=reading,
        on_record=progress.update if progress is not None else None,
    )
    if progress is not None:
        progress.close()
    found = drafts_for(result, engine, min_count=min_count, prefix=prefix)
    drafts = found.drafts
    text, passed, failed = verify(
        drafts,
        lambda chosen: render(chosen, result, paths),
        lambda path: rule_sets.with_paths(path).engine(),
    )
    with report_file(output) as out:
        out.write(text)
    stats = result.stats
    mined = stats.unmatched + stats.wording
    low = f", {stats.wording:,} answered only by the wording tier"
    click.echo(
        f"{stats.records:,} records read; {stats.unmatched:,} unmatched"
        + (low if include_wording else "")
        + f" -> {len(result.templates):,} template(s) of {mined:,} record(s)",
        err=True,
    )
    if stats.dropped_templates:
        click.echo(
            f"note: {stats.dropped_templates:,} rare template(s) ({stats.dropped_records:,}"
            f" records) dropped to stay within --max-templates {max_templates:,}",
            err=True,
        )
    if found.too_long:
        records = sum(t.count for t in found.too_long)
        click.echo(
            f"note: {len(found.too_long)} template(s) ({records:,} records) are too long to"
            " draft whole; a regex of their start would also take other records: write"
            " their rules by hand (rules new --from)",
            err=True,
        )
    if found.over_budget:
        records = sum(t.count for t in found.over_budget)
        click.echo(
            f"note: {len(found.over_budget)} more template(s) ({records:,} records) were not"
            " drafted: their regexes would pass the RE2 budget of one rule file; review"
            " these drafts, then mine again with --rules on them",
            err=True,
        )
    if not quiet and result.templates:
        ids = {id(d.template): d.id for d in drafts}
        click.echo(f"{'records':>9}  {'draft':<44} template", err=True)
        for template in result.templates[:SHOWN_TEMPLATES]:
            if template.count < min_count:
                why = "(below --min-count)"
            elif not draftable(template):
                why = "(nothing to match on)"
            elif any(t is template for t in found.too_long):
                why = "(too long to draft)"
            elif any(t is template for t in found.over_budget):
                why = "(over the regex budget)"
            else:
                why = "(covered by another draft)"
            name = ids.get(id(template), why)
            click.echo(f"{template.count:>9,}  {name:<44} {template.text[:100]}", err=True)
        if len(result.templates) > SHOWN_TEMPLATES:
            click.echo(f"{'':>9}  ... {len(result.templates) - SHOWN_TEMPLATES:,} more", err=True)
    where = output or "stdout"
    click.echo(
        f"{len(drafts)} draft(s) written to {where}; their examples: {passed} passed, "
        f"{failed} failed",
        err=True,
    )
    if drafts:
        target = output or "FILE"
        click.echo(
            f"next: edit the drafts, then kling-errors rules test {target} && "
            f"kling-errors rules diff --corpus {paths[0]} --rules {target}",
            err=True,
        )
