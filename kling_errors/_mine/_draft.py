"""Templates -> a rule file of drafts (`rules mine -o drafts.yaml`).

One draft per template of at least ``min_count`` records:

- ``match.message``: an anchored RE2 regex from the template's constant tokens, each
  variable a bounded wildcard — or the value itself where every record had the same one
  (_pattern); a template too long for its regex to spell it whole is not drafted;
- the ``http_status``, ``service_code``, ``gateway``, ``gateway_code`` and ``task_status``
  every record shares;
- category, severity, retryable, retry, causes and fixes from the wording tier when it
  recognised the messages (the rule that answered them, or the wording rules run on their
  messages), else a placeholder category and ``retryable: null`` marked ``# TODO``;
- up to three of its redacted records as ``examples`` and, when a neighbouring template
  shares most of its constant words, one of that template's records as a counter-example;
- a comment with the count, the first and last location and what answers the records today.

The regex is _pattern's; the rule file and its check are _file's.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._engine import Engine
from .._models import Rule
from .._regex import regex_error
from ._miner import MineResult, Template, wording_tier
from ._pattern import MAX_FILE_PROGRAM, compiled, message_regex, program_size, whole

NEIGHBOUR_SHARE = 0.5  # share of constant words a neighbouring template has in common
PLACEHOLDER_CATEGORY = "generation_failed"


def draftable(template: Template) -> bool:
    """A draft needs something to match on: a constant word, or a code. Records without
    a message give a rule of their conditions alone, which is precise only when no rule
    answers them today (failed tasks without a reason have theirs)."""
    if template.tokens:
        return bool(template.words) or "service_code" in template.conditions
    return bool(template.conditions) and not template.answered


def _rule_id(template: Template, prefix: str, taken: set[str]) -> str:
    words = [w for w in template.words if w.isascii() and w.isalpha()][:5]
    if not template.tokens:
        words = ["no_message", *(f"{k}_{v}" for k, v in sorted(template.conditions.items()))]
    name = re.sub(r"[^a-z0-9_]+", "_", "_".join(words).lower()).strip("_")[:60]
    if not name:
        name = "t" + hashlib.sha1(template.text.encode()).hexdigest()[:8]
    rule_id, n = f"{prefix}.{name}", 2
    while rule_id in taken:
        rule_id, n = f"{prefix}.{name}_{n}", n + 1
    taken.add(rule_id)
    return rule_id


def suggestion(template: Template, engine: Engine) -> tuple[Rule | None, str]:
    """The rule whose knowledge a draft starts from, and why: the wording-tier rule that
    answered most of the template's records, else the one that reads most of its example
    messages (run through the engine as they are), else none."""
    answered = Counter(
        {rule_id: n for rule_id, n in template.answered.items() if engine.rules.get(rule_id)}
    )
    if answered:
        rule_id, count = answered.most_common(1)[0]
        return engine.rules.get(rule_id), f"it answers {count} of the {template.count} today"
    read: Counter[str] = Counter()
    for message in template.messages:
        for candidate in engine.candidates(message):
            if wording_tier(candidate.rule):
                read[candidate.rule.id] += 1
                break
    if read:
        rule_id, count = read.most_common(1)[0]
        why = f"it reads {count} of the {len(template.messages)} example messages so"
        return engine.rules.get(rule_id), why
    return None, ""


def _retry(rule: Rule) -> dict[str, Any]:
    policy = rule.retry
    if policy.strategy == "none":
        return {"strategy": "none"}
    found: dict[str, Any] = {"strategy": str(policy.strategy)}
    found |= {"initial_delay": policy.initial_delay, "max_delay": policy.max_delay}
    found |= {"max_attempts": policy.max_attempts, "multiplier": policy.multiplier}
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in found.items()}


def _fix(step: Any) -> Any:
    found = {"step": step.step, "code": step.code, "language": step.language}
    return step.step if step.code is None else {k: v for k, v in found.items() if v is not None}


@dataclass
class Draft:
    """One draft rule: its fields, and the comments written above and beside them."""

    template: Template
    rule: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # comment lines above the rule
    todo: dict[str, str] = field(default_factory=dict)  # field -> comment beside it
    also: int = 0  # records of other templates whose regex came out the same

    @property
    def id(self) -> str:
        return str(self.rule["id"])


def _neighbour(template: Template, others: Sequence[Template], pattern: Any) -> Template | None:
    """The template sharing most of this one's constant words (at least NEIGHBOUR_SHARE
    of the larger set), whose first example this draft's regex does not match."""
    mine = template.words
    best: tuple[float, int, Template] | None = None
    for other in others:
        if other is template or not other.examples or mine.keys().isdisjoint(other.words):
            continue
        theirs = other.words
        shared = sum((mine & theirs).values()) / max(sum(mine.values()), sum(theirs.values()), 1)
        if shared < NEIGHBOUR_SHARE or (best is not None and (shared, other.count) <= best[:2]):
            continue
        if pattern is not None and pattern.search(other.messages[0]):
            continue
        best = (shared, other.count, other)
    return best[2] if best is not None else None


def make_draft(
    template: Template,
    engine: Engine,
    templates: Sequence[Template],
    rule_id: str,
    regex: str | None = None,
) -> Draft:
    """The draft rule of one template (see the module docstring); ``regex``: its
    message_regex, when already made."""
    match: dict[str, Any] = {}
    pattern = None
    if template.tokens:
        match["message"] = regex or message_regex(template)
        problem = regex_error(match["message"])
        if problem is not None:  # cannot happen for escaped text; never write a bad rule
            raise ValueError(f"draft regex {match['message']!r}: {problem}")
        pattern = compiled(match["message"])
    match.update(template.conditions)
    base, why = suggestion(template, engine)
    title = template.text if len(template.text) <= 100 else template.text[:99] + "…"
    if len(title) < 3:  # the schema's shortest title
        title = f"Message {title!r}"
    if not template.tokens:
        shown = ", ".join(f"{k} {v}" for k, v in template.conditions.items())
        title = f"{shown}, no message"
    rule: dict[str, Any] = {"id": rule_id, "title": title}
    draft = Draft(template, rule)
    if base is not None:
        rule |= {"category": str(base.category), "severity": str(base.severity)}
        draft.notes.append(
            f"category, retryable, causes and fixes from {base.id} ({why}): make them specific"
        )
    else:
        rule |= {"category": PLACEHOLDER_CATEGORY, "severity": "error"}
        draft.todo["category"] = "TODO: a placeholder: no rule recognised these words"
    if "http_status" in template.conditions:
        rule["expected_status"] = template.conditions["http_status"]
    rule["match"] = match
    if base is not None:
        rule["causes"] = list(base.causes)
        rule["fixes"] = [_fix(f) for f in base.fixes]
        rule["retryable"] = base.retryable
        rule["retry"] = _retry(base)
    else:
        rule["causes"] = ["TODO: why does this happen?"]
        rule["fixes"] = ["TODO: what should the caller do?"]
        rule["retryable"] = None
        rule["retry"] = {"strategy": "backoff", "initial_delay": 10, "max_attempts": 1}
    if rule["retryable"] is None:
        draft.todo["retryable"] = "TODO: true or false once known (null: unknown)"
    rule["source"] = {
        "kind": "observed_log",
        "ref": f"rules mine: {template.count} records, {template.first} to {template.last}",
    }
    rule["examples"] = list(template.examples)
    neighbour = _neighbour(template, templates, pattern)
    if neighbour is not None:
        rule["counter_examples"] = [neighbour.examples[0]]
        draft.notes.append(f"counter-example from a neighbouring template: {neighbour.text}")
    return draft


@dataclass
class Drafts:
    """The drafts of a mining run, and the templates left out: too long to spell whole, or
    past the regex budget of one file."""

    drafts: list[Draft]
    over_budget: list[Template] = field(default_factory=list)
    too_long: list[Template] = field(default_factory=list)  # see ``whole``


def drafts_for(
    result: MineResult, engine: Engine, *, min_count: int = 3, prefix: str = "team.mined"
) -> Drafts:
    """A draft per template of at least ``min_count`` records, most frequent first, while
    their regexes fit in MAX_FILE_PROGRAM.

    Templates whose regexes come out the same (long ones cut to the same prefix) make one
    draft: the first, whose comment counts the others' records.
    """
    taken = {rule.id for rule in engine.rules}
    found = Drafts([])
    by_match: dict[str, Draft] = {}
    budget = MAX_FILE_PROGRAM
    for template in result.templates:
        if template.count < min_count or not draftable(template):
            continue
        regex = message_regex(template) if template.tokens else None
        match = {"message": regex} if regex else {}
        same = by_match.get(repr(sorted((match | template.conditions).items())))
        if same is not None:
            same.also += template.count
            continue
        if regex is not None and not whole(template, regex):
            found.too_long.append(template)
            continue
        size = program_size(regex) if regex else 0
        if size > budget:
            found.over_budget.append(template)
            continue
        budget -= size
        draft = make_draft(template, engine, result.templates, "", regex)
        draft.rule["id"] = _rule_id(template, prefix, taken)
        by_match[repr(sorted(draft.rule["match"].items()))] = draft
        found.drafts.append(draft)
    for draft in found.drafts:
        if draft.also:
            draft.notes.append(
                f"its regex also matches {draft.also} records of templates cut to the same prefix"
            )
    return found
