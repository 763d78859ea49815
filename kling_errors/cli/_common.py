"""Helpers shared by the group (``__init__``) and the command modules."""

from __future__ import annotations

import click

from .._exceptions import Problem


def report_problems(problems: list[Problem]) -> None:
    """Every problem on stderr, each followed by its hint when it has one."""
    for problem in problems:
        click.echo(str(problem), err=True)
        if problem.hint:
            click.echo(f"  hint: {problem.hint}", err=True)
