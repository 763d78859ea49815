"""The command line: a thin layer over the library (see README "Command line").

This module holds the ``main`` click group, which turns the tool's own errors into the
documented message and exit code, and ``run``, the console entry point
(``kling-errors = "kling_errors.cli:run"``; ``python -m kling_errors`` calls it too). Each
command lives in its own module and is registered on ``main`` here:

    _classify.py       classify
    _explain.py        explain
    _rules.py          rules validate | test | lint | list | show | new | diff | coverage | eval
                       | export
    _docs.py           docs
    _check_request.py  check-request
    _mine.py           rules mine (registered on the rules group here)
    _serve.py          serve (the HTTP service; needs the serve extra)
    _options.py        options several commands share (--rules/--no-builtin/--config/...)
    _common.py         helpers several modules share

Exit codes (the constants come from ``kling_errors._exceptions``, which the exceptions'
``exit_code`` uses too):

    ====  =================  ==========================================================
    code  constant           meaning
    ====  =================  ==========================================================
    0     EXIT_OK            done — records may still be unmatched (see
                             --fail-on-unmatched); also when the reader of stdout goes
                             away (``| head``)
    1     EXIT_INTERNAL      internal error: a bug (``internal error: ...`` and a hint to
                             report it); click also exits 1 on Ctrl-C ("Aborted!")
    2     EXIT_USAGE         usage error: a bad option or argument (click), an unknown
                             ``explain`` query or ``rules show`` id, an ``-o`` that is
                             an input, a directory or in a missing one (OutputError), or
                             a mistake in the user's ``docs --template`` — ``FILE:LINE:``
                             and what (DocTemplateError): their file, not our bug
    3     EXIT_BAD_RULES     a rule file or the project config is invalid or unreadable
                             (RuleError, ConfigError, ``rules validate``; also a path in
                             KLING_ERRORS_RULES that does not exist); nothing was loaded
    4     EXIT_BAD_INPUT     an input file does not exist, cannot be opened (no
                             permission) or is not what the command reads (InputError);
                             input paths are ``click.Path(readable=False)`` so that
                             click's own check (exit 2) does not answer first
    5     EXIT_UNMATCHED     ``classify --fail-on-unmatched`` (or the config's
                             fail_on_unmatched) and a record was unmatched or unreadable
    6     EXIT_CHECK_FAILED  a check failed: ``rules test`` (an example),
                             ``rules lint --strict`` (a warning), ``rules eval
                             --min-accuracy`` (accuracy below the floor), ``docs --check``
                             (stale or missing files), ``check-request`` (a payload with an error
                             or an unreadable payload)
    ====  =================  ==========================================================
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from .. import __version__
from .._exceptions import (
    EXIT_BAD_INPUT,
    EXIT_BAD_RULES,
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_UNMATCHED,
    EXIT_USAGE,
    KlingErrorsError,
    RuleError,
)
from ._common import report_problems
from ._options import rule_set_options

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BAD_RULES",
    "EXIT_CHECK_FAILED",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_UNMATCHED",
    "EXIT_USAGE",
    "main",
    "rule_set_options",
    "run",
]


# Each command's module is imported when the command runs (or --help lists it): a run of
# `classify` does not pay for the modules of `rules`, `serve` or `docs`.
_COMMANDS = {
    "classify": ("_classify", "classify"),
    "explain": ("_explain", "explain"),
    "rules": ("_rules", "rules"),
    "docs": ("_docs", "docs"),
    "check-request": ("_check_request", "check_request_command"),
    "serve": ("_serve", "serve"),
}


class _Group(click.Group):
    """Turns the tool's own errors into the documented message and exit code, and loads
    each command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS and cmd_name not in self.commands:
            module, attribute = _COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # `kling-errors classify big.log | head`: the reader left; end quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_OK)
        except RuleError as exc:
            report_problems(exc.problems)
            click.echo(
                f"error: {len(exc.problems)} problem(s) in {exc.subject}; no rules were loaded",
                err=True,
            )
            # each problem's own hint is printed with it: end with the general one
            click.echo(f"hint: {exc.default_hint}", err=True)
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
