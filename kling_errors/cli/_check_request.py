"""``kling-errors check-request``: request bodies checked before they are sent.

``kling_errors._preflight`` is imported by the command, not here: README "What keeps
start-up short" promises that ``classify`` never pays for it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .._exceptions import EXIT_CHECK_FAILED, InputError
from .._read import STDIN, check_paths, read_paths
from ._options import note_reading_stdin


@click.command("check-request")
@click.argument("payloads", nargs=-1, type=click.Path(allow_dash=True, readable=False))
@click.option(
    "--endpoint", type=click.Choice(["text2video", "image2video"]), default="text2video",
    show_default=True,
)  # fmt: skip
@click.option(
    "--terms", multiple=True, type=click.Path(exists=True, dir_okay=False, readable=False),
    help="Extra content watch-list file (JSON or YAML: {terms: [{pattern, note}]}).",
)  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text")
def check_request_command(
    payloads: tuple[str, ...], endpoint: str, terms: tuple[str, ...], fmt: str
) -> None:
    """Check request bodies (a JSON file, JSON lines, or stdin) before sending them.

    Every violation with its JSON path, the fix, and what Kling would answer. Exits
    6 if any payload has an error (warnings do not fail), 4 if a file cannot be read.
    It loads no rule set, so it takes no --rules or --config.
    """
    from .._preflight import check_request, load_terms  # lazy: pre-flight (module docstring)

    paths = list(payloads) or [STDIN]
    check_paths([*paths, *terms])
    unreadable: tuple[type[Exception], ...] = (OSError, ValueError)  # JSON's errors too
    if any(str(t).endswith((".yaml", ".yml")) for t in terms):
        import yaml  # lazy: only for a YAML watch-list

        unreadable += (yaml.YAMLError,)
    try:
        watch = load_terms(terms)
    except unreadable as exc:
        raise InputError(
            f"cannot read the watch-list {', '.join(terms)}: {' '.join(str(exc).split())}",
            "--terms takes JSON or YAML: {terms: [{pattern, note}]}",
        ) from None
    note_reading_stdin(paths)
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
        sys.exit(EXIT_CHECK_FAILED)
