"""Options several commands share.

``rule_set_options`` adds --rules / --no-builtin / --config / --no-config to a command and
hands it the resolved ``RuleSets`` (``kling_errors._config``) as ``rule_sets``;
``output_option`` is the -o/--output of the commands that write a report;
``text_or_json_format`` is the --format of the commands that answer as text or JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from .._config import RuleSets

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
