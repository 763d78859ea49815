"""Options several commands share.

``rule_set_options`` adds --rules / --no-builtin / --config / --no-config to a command and
hands it the resolved ``RuleSets`` (``kling_errors._config``) as ``rule_sets``;
``output_option`` is the -o/--output of the commands that write a report;
``text_or_json_format`` is the --format of the commands that answer as text or JSON.

Also the terminal manners every command shares: ``color_default`` (whether to colour a
stream: NO_COLOR, FORCE_COLOR, then whether it is a terminal) and ``note_reading_stdin``
(a person at a terminal is told that the command waits for records on stdin).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

import click

from .._config import RuleSets
from .._read import STDIN

output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically)."
)

text_or_json_format = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text"
)


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
            type=click.Path(exists=True, readable=False),  # unreadable: the loader says so
            help="Rule file or directory loaded after the built-in and configured ones "
            "(repeatable; later sets override earlier ones by id).",
        ),
        click.option("--no-builtin", is_flag=True, help="Do not load the built-in rules."),
        click.option(
            "--config",
            "config_path",
            type=click.Path(exists=True, dir_okay=False, readable=False),
            help="Project config file [default: kling-errors.yaml or pyproject.toml "
            "[tool.kling-errors], searched upward from the working directory].",
        ),
        click.option("--no-config", is_flag=True, help="Ignore any project config file."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def color_default(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether output to ``stream`` is coloured when no --color/--no-color says so.

    ``NO_COLOR`` set and not empty: never (https://no-color.org); else ``FORCE_COLOR`` set
    and not empty, whatever its value: always (https://force-color.org); else only on a
    terminal that is not ``TERM=dumb``. NO_COLOR wins over FORCE_COLOR, as in Python 3.13.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


STDIN_NOTE = (
    "kling-errors: reading records from stdin (end with {eof}); "
    "give a file name to read a log instead"
)


def note_reading_stdin(
    paths: Sequence[str] = (STDIN,), stdin: TextIO | None = None, err: TextIO | None = None
) -> bool:
    """Tell a person at a terminal that the command now waits for records on stdin.

    Nothing when stdin is not among ``paths`` or is a pipe or a file (the usual case):
    only a command started by hand without input would otherwise wait silently. The note
    goes to stderr, so it never mixes with the results. Returns whether it was shown.
    """
    stdin = sys.stdin if stdin is None else stdin
    if STDIN not in paths:
        return False
    try:
        interactive = stdin.isatty()
    except (OSError, ValueError):  # closed or detached
        return False
    if not interactive:
        return False
    eof = "Ctrl-Z then Enter" if os.name == "nt" else "Ctrl-D"
    click.echo(STDIN_NOTE.format(eof=eof), file=err if err is not None else sys.stderr)
    return True
