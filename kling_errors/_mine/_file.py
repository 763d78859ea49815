"""Drafts -> the rule file `rules mine` writes, checked as `rules test` would check it.

``render`` writes each draft with its comments (count, first and last location, the
template, what answers its records today, every TODO); ``verify`` loads the file on top of
the rule sets, runs its examples and counter-examples, and takes out what fails.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from .._engine import Engine
from ._draft import Draft
from ._miner import MineResult, Template


def _flow(value: Any) -> str:
    """A value as one line of YAML (flow style), quoted wherever YAML 1.1 would misread it."""
    text = yaml.safe_dump(
        [value], default_flow_style=True, width=10**9, allow_unicode=True, sort_keys=False
    )
    return text.strip()[1:-1]


def _answered_today(template: Template) -> str:
    parts = [f"{rule} ({count})" for rule, count in template.answered.most_common(3)]
    unmatched = template.count - sum(template.answered.values())
    if unmatched:
        parts.insert(0, f"unmatched ({unmatched})")
    return ", ".join(parts)


def _rule_lines(draft: Draft) -> list[str]:
    t = draft.template
    lines = [
        f"  # {t.count} record{'s' * (t.count != 1)} · first {t.first} · last {t.last}",
        f"  # template: {t.text}",
        f"  # today: {_answered_today(t)}",
        *(f"  # {note}" for note in draft.notes),
    ]
    first = True
    for key, value in draft.rule.items():
        lead = "  - " if first else "    "
        first = False
        comment = f"  # {draft.todo[key]}" if key in draft.todo else ""
        if key == "match":
            lines.append(f"{lead}match:")
            lines.extend(f"      {k}: {_flow(v)}" for k, v in value.items())
        elif isinstance(value, list):
            lines.append(f"{lead}{key}:{comment}")
            lines.extend(f"      - {_flow(item)}" for item in value)
        else:
            lines.append(f"{lead}{key}: {_flow(value)}{comment}")
    return lines


def render(drafts: Sequence[Draft], result: MineResult, sources: Sequence[str]) -> str:
    """The rule file: a header, then each draft with its comments."""
    names = ", ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
    stats = result.stats
    mined = stats.unmatched + stats.wording
    lines = [
        f"# Draft rules mined by `kling-errors rules mine` from {names}:",
        f"# {len(drafts)} draft(s) from {len(result.templates)} template(s) of {mined} record(s)"
        f" the rules do not explain ({stats.records} read).",
        "# Review every rule (title, category, retryable, causes, fixes, the regex), then run",
        "#   kling-errors rules validate FILE && kling-errors rules test FILE"
        " && kling-errors rules lint FILE",
        "version: 1",
    ]
    if not drafts:
        return "\n".join([*lines, "rules: []", ""])
    lines.append("rules:")
    for number, draft in enumerate(drafts):
        if number:
            lines.append("")
        lines.extend(_rule_lines(draft))
    return "\n".join(lines) + "\n"


def verify(
    drafts: list[Draft], text_of: Callable[[list[Draft]], str], load: Callable[[str], Engine]
) -> tuple[str, int, int]:
    """Load the drafts (``load(path)``: the rule sets with that file on top) and run their
    examples and counter-examples as `rules test` does. A draft whose every example
    another draft answers is covered by it and dropped (from ``drafts`` too; the other's
    comment says so); any other failing example or counter-example is taken out, and the
    rule's comment says which rule answered it. Returns the final text and the passed and
    failed counts of the run on it (failed is 0 unless that could not be reached)."""
    from .._testing import run_examples  # lazy: an authoring module

    with tempfile.TemporaryDirectory(prefix="kling-mine-") as directory:
        path = Path(directory) / "drafts.yaml"
        for attempt in range(_VERIFY_ROUNDS):
            text = text_of(drafts)
            path.write_text(text, encoding="utf-8")
            results = run_examples(load(str(path)), {str(path)})
            failed = [r for r in results if not r.passed]
            if not failed or attempt == _VERIFY_ROUNDS - 1:
                return text, len(results) - len(failed), len(failed)
            by_id = {d.id: d for d in drafts}
            for rule_id in dict.fromkeys(r.rule_id for r in failed):
                _fix_examples(by_id[rule_id], [r for r in failed if r.rule_id == rule_id],
                              by_id, drafts)  # fmt: skip
    raise AssertionError("unreachable")  # pragma: no cover


_VERIFY_ROUNDS = 3


def _fix_examples(
    draft: Draft, failed: list[Any], by_id: dict[str, Draft], drafts: list[Draft]
) -> None:
    """Act on one draft's failed examples (see verify)."""
    lost = [r for r in failed if r.kind == "example"]
    winners = {r.got for r in lost}
    if lost and len(lost) == len(draft.rule.get("examples", [])) and len(winners) == 1:
        winner = by_id.get(winners.pop())
        if winner is not None and winner is not draft:
            drafts.remove(draft)
            winner.notes.append(
                f"it also answers the {draft.template.count} records of the template "
                f"{draft.template.text[:80]!r}"
            )
            return
    for result in sorted(failed, key=lambda r: -r.number):  # from the last: numbers hold
        key = "examples" if result.kind == "example" else "counter_examples"
        del draft.rule[key][result.number - 1]
        if not draft.rule[key]:
            del draft.rule[key]
        what = "an example" if key == "examples" else "a counter-example"
        draft.notes.append(f"{what} was taken out: {result.got} answered it (overlapping rules?)")
