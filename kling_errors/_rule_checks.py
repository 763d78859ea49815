"""Rule-file checks: what the JSON schema cannot say about one rule.

Each check is a small class with a kebab-case ``id`` (after pySigma's validators) so it
can be read, tested and documented on its own. Unlike `rules lint` warnings these are
errors: a rule file with any such problem does not load (see `_rules.collect`), so none
of them can be disabled. They also run on rules the schema refused (so one run of
`rules validate` reports everything), so each reads only what has the expected shape and
leaves the rest to the schema's messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from ._exceptions import Problem
from ._regex import regex_error
from ._render import template_problems
from ._vocabulary import Strategy
from ._yaml import YamlDocument, YamlPath

STRATEGIES = frozenset(s.value for s in Strategy)


@dataclass(frozen=True)
class RuleText:
    """One rule as written: its file, its position in `rules:`, its mapping (which the
    schema may have refused: read it defensively).

    Checks need the document (not just the value) to point problems at file:line:column.
    """

    doc: YamlDocument
    index: int
    raw: dict[str, Any]

    @property
    def path(self) -> YamlPath:
        """Where the rule sits in its file: ("rules", 3)."""
        return ("rules", self.index)

    @property
    def name(self) -> str:
        """How messages name the rule: its id, or its place when it has none."""
        rule_id = self.raw.get("id")
        return repr(rule_id) if isinstance(rule_id, str) else f"rules[{self.index}]"

    def retry(self) -> dict[str, Any]:
        """The `retry` mapping ({} when missing or not a mapping)."""
        retry = self.raw.get("retry")
        return retry if isinstance(retry, dict) else {}

    def condition_sets(self) -> list[tuple[YamlPath, dict[str, Any]]]:
        """Each `match` condition set with its path: a mapping is one set, a list many
        (entries that are no mapping are left to the schema)."""
        match = self.raw.get("match")
        if isinstance(match, dict):
            return [((*self.path, "match"), match)]
        if not isinstance(match, list):
            return []
        return [
            ((*self.path, "match", i), alt) for i, alt in enumerate(match) if isinstance(alt, dict)
        ]


class RuleFileCheck:
    """One thing a loadable rule must satisfy beyond its schema.

    Subclasses set ``id`` and ``description`` and implement ``problems``; they hold no
    state, so one instance serves every rule.
    """

    id: ClassVar[str]
    description: ClassVar[str]
    severity: ClassVar[str] = "error"  # a problem stops the rule set from loading

    def problems(self, rule: RuleText) -> list[Problem]:
        raise NotImplementedError


class RegexCompiles(RuleFileCheck):
    """A regex RE2 refuses would only fail at match time, on some user's record: refuse
    it at load, where the author sees file:line and the reason."""

    id = "regex-compiles"
    description = "message, text and header regexes compile on RE2"

    def problems(self, rule: RuleText) -> list[Problem]:
        problems: list[Problem] = []
        for alt_path, conditions in rule.condition_sets():
            for key in ("message", "text"):
                wordings: Any = conditions.get(key)
                listed = isinstance(wordings, list)
                for position, wording in enumerate(wordings if listed else [wordings]):
                    error = regex_error(wording) if isinstance(wording, str) else None
                    if error:
                        problems.append(
                            rule.doc.problem(
                                (*alt_path, key, position) if listed else (*alt_path, key),
                                f"invalid regular expression: {error}",
                                "RE2 syntax (Python-like, no lookarounds or backreferences),"
                                " case-insensitive",
                            )
                        )
            headers = conditions.get("headers")
            for header, value in (headers if isinstance(headers, dict) else {}).items():
                error = regex_error(value) if isinstance(value, str) else None
                if error:
                    problems.append(
                        rule.doc.problem(
                            (*alt_path, "headers", header), f"invalid regular expression: {error}"
                        )
                    )
        return problems


class TemplateSafe(RuleFileCheck):
    """A remediation template is rendered for every matched record: one that names an
    unknown field, does not parse, or reaches for private attributes must never load."""

    id = "template-safe"
    description = "the remediation template parses, names only event fields, stays sandboxed"

    def problems(self, rule: RuleText) -> list[Problem]:
        raw = rule.raw
        if not isinstance(raw.get("remediation"), str):
            return []  # absent, or the schema's business
        path = (*rule.path, "remediation")
        line, _ = rule.doc.where(path)
        # a block scalar (`|`) starts on the line after its key
        first_line = (line or 0) + (1 if path in rule.doc.block_scalars else 0)
        return [
            Problem(
                rule.doc.path,
                first_line + offset - 1 if line is not None else None,
                None,
                f"rule {rule.name}: {message}",
                hint,
                "remediation",
            )
            for offset, message, hint in template_problems(raw["remediation"])
        ]


class RetryFinite(RuleFileCheck):
    """YAML spells infinity and not-a-number (.inf, .nan) as floats the schema accepts
    as numbers; as a delay or an attempt count they would advise nonsense."""

    id = "retry-finite"
    description = "retry delays, multiplier and attempts are finite numbers"

    def problems(self, rule: RuleText) -> list[Problem]:
        return [
            rule.doc.problem(
                (*rule.path, "retry", key),
                f"{value} is not a number of seconds or attempts",
                "use a finite number (.nan and .inf are YAML spellings, not durations)",
            )
            for key, value in rule.retry().items()
            if isinstance(value, float) and not math.isfinite(value)
        ]


class RetryCoherent(RuleFileCheck):
    """`retryable` is what a caller reads first and `retry.strategy` what a retry loop
    follows: if they disagree, one of the two answers is wrong."""

    id = "retry-coherent"
    description = "retryable and retry.strategy agree (false <-> none, true <-> a strategy)"

    def problems(self, rule: RuleText) -> list[Problem]:
        raw = rule.raw
        strategy = rule.retry().get("strategy")
        if not isinstance(strategy, str) or strategy not in STRATEGIES or "retryable" not in raw:
            return []  # missing or misspelt: the schema says so
        where = (*rule.path, "retry", "strategy")
        if raw["retryable"] is False and strategy != "none":
            return [
                rule.doc.problem(
                    where,
                    f"retryable is false but the retry strategy is {strategy!r}",
                    "use `strategy: none`, or set `retryable: true` (or null when unsure)",
                )
            ]
        if raw["retryable"] is True and strategy == "none":
            return [
                rule.doc.problem(
                    where,
                    "retryable is true but the retry strategy is 'none'",
                    "name how to retry (backoff, resign_token, wait_for_capacity)",
                )
            ]
        return []


# In the order their problems are reported for a rule.
RULE_FILE_CHECKS: tuple[RuleFileCheck, ...] = (
    RegexCompiles(),
    TemplateSafe(),
    RetryFinite(),
    RetryCoherent(),
)


def semantic_problems(doc: YamlDocument, index: int, raw: dict[str, Any]) -> list[Problem]:
    """What the schema cannot say: every rule-file check on one rule, problems in order."""
    rule = RuleText(doc, index, raw)
    return [problem for check in RULE_FILE_CHECKS for problem in check.problems(rule)]
