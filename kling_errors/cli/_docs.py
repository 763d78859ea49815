"""``kling-errors docs``: the error reference generated from the loaded rules.

``kling_errors._docs`` (and with it Jinja, the heaviest import of all) is imported by the
command, not here: README "What keeps start-up short" promises that ``classify`` never
pays for it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .._config import RuleSets
from .._exceptions import EXIT_CHECK_FAILED
from .._report_file import report_file
from ._options import output_option, rule_set_options


@click.command("docs")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown", "skill"]),
    default="markdown",
    show_default=True,
    help="Markdown reference, one self-contained HTML page, or a skill-style guide.",
)
@output_option
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
    help=f"Exit {EXIT_CHECK_FAILED} if the files in --docs-dir (or -o) differ from the rules.",
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
    # lazy: the docs module and Jinja (module docstring)
    from .._docs import DEFAULT_FILES as DOC_FILES
    from .._docs import builtin_template, file_template
    from .._docs import render as render_docs

    loaded = rule_sets.engine().rules
    if update or (check and output is None):
        targets = {f: Path(docs_dir) / name for f, name in DOC_FILES.items()}
    else:
        targets = {fmt: Path(output)} if output else {}
    if not targets:  # plain `docs`: one format to stdout
        template = file_template(template_file) if template_file else builtin_template(fmt)
        sys.stdout.write(render_docs(loaded, template))
        return
    stale, missing = [], []
    for target_fmt, target in targets.items():
        template = (
            file_template(template_file)
            if template_file and not update
            else builtin_template(target_fmt)
        )
        text = render_docs(loaded, template)
        if check:
            if not target.is_file():
                missing.append(str(target))
            elif target.read_bytes().decode("utf-8", errors="replace") != text:
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with report_file(str(target)) as out:
            out.write(text)
        click.echo(f"wrote {target}", err=True)
    if missing:
        click.echo(f"error: missing: {', '.join(missing)}", err=True)
    if stale:
        click.echo(f"error: out of date with the rules: {', '.join(stale)}", err=True)
    if missing or stale:
        if output:
            how = f"kling-errors docs --format {fmt} -o {output}"
            how += f" --template {template_file}" if template_file else ""
        else:
            how = "kling-errors docs --update"
            how += f" --docs-dir {docs_dir}" if docs_dir != "docs" else ""
        click.echo(f"hint: run `{how}` and commit the result", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    if check:
        click.echo(f"ok: {', '.join(str(t) for t in targets.values())} up to date")
