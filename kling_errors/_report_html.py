"""`classify --report FILE`: the run as one self-contained HTML page an on-call engineer can
look at — totals and the share a retry would fix, failures over time by category (a
stacked bar chart drawn here as inline SVG: no library, no script, works offline), the top
rules with what to do, retry advice, the top unmatched messages. Light and dark follow the
reader's system; narrow screens get stacked rows instead of wide tables.

The template renders in the same Jinja sandbox as every template, with autoescape on: every
logged string on the page (already redacted where it entered) is escaped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._output import Summary, plural
from ._paths import templates_dir
from ._render import sandbox
from ._report import ReportData, RuleCount
from ._version import __version__
from ._vocabulary import CATEGORIES, CATEGORY_INFO

TOP = 20
NONE = "\u2013"  # an en dash: nothing to show
MAX_BARS = 72
# Display steps for the chart's bars, smallest first: the first that keeps <= MAX_BARS.
STEPS = (
    (60, "minute"), (300, "5 minutes"), (900, "15 minutes"), (3_600, "hour"),
    (6 * 3_600, "6 hours"), (86_400, "day"), (7 * 86_400, "week"),
)  # fmt: skip
# One colour per category, readable on white and on near-black.
COLORS = {
    "auth": "#8e44ad", "quota_billing": "#c0392b", "permission": "#a0522d",
    "invalid_request": "#d35400", "not_found": "#7f8c8d", "content_policy": "#e84393",
    "rate_limit": "#f1c40f", "concurrency_limit": "#e67e22", "server_error": "#2980b9",
    "timeout": "#16a085", "network": "#27ae60", "generation_failed": "#6c5ce7",
    "unmatched": "#95a5a6",
}  # fmt: skip
_RETRY_WORDS = {True: "yes", False: "no", None: "unknown"}
_WIDTH, _HEIGHT, _LEFT, _BOTTOM, _TOP = 960, 260, 44, 18, 8


@dataclass(frozen=True)
class ReportPage:
    """What the page is about: its title, the inputs, where the error reference lives."""

    inputs: tuple[str, ...]
    reference: str = "errors.html"  # `kling-errors docs` writes it; rule ids are its anchors
    rule_count: int = 0


def render_report(summary: Summary, data: ReportData, page: ReportPage) -> str:
    template = (templates_dir() / "report" / "report.html.j2").read_text(encoding="utf-8")
    env = sandbox(autoescape=True)
    env.filters["n"] = _number
    html: str = env.from_string(template).render(**_context(summary, data, page))
    return html


def _number(value: object) -> object:
    """Counts with thousands separators (12,345)."""
    return f"{value:,}" if isinstance(value, int) else value


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else NONE


def _context(summary: Summary, data: ReportData, page: ReportPage) -> dict[str, Any]:
    outcomes = summary.outcomes
    matched, unmatched = outcomes["matched"], outcomes["unmatched"]
    errors = matched + unmatched
    yes, no = summary.retryable["true"], summary.retryable["false"]
    unknown = errors - yes - no
    return {
        "title": "Kling failures: " + ", ".join(page.inputs),
        "version": __version__,
        "inputs": page.inputs,
        "rule_count": page.rule_count,
        "reference": page.reference,
        "total": summary.total,
        "span": _span(data),
        "errors": errors,
        "matched": matched,
        "unmatched": unmatched,
        "not_errors": outcomes["not_an_error"],
        "unreadable": outcomes["unreadable"],
        "retry_yes": yes,
        "retry_no": no,
        "retry_unknown": unknown,
        "retry_share": _share(yes, errors),
        "no_retry_share": _share(no, errors),
        "unknown_share": _share(unknown, errors),
        "chart": _chart(data, errors),
        "categories": _categories(summary, errors),
        "rules": [_rule_row(rule_id, c) for rule_id, c in _top_rules(data)],
        "retry_rows": [
            _retry_row(rule_id, c)
            for rule_id, c in _top_rules(data)
            if c.strategy not in ("", "none")
        ],
        "unmatched_rows": [
            {"message": _printable(m), "count": n} for m, n in summary.unmatched.most_common(TOP)
        ],
        "unreadable_rows": [
            {"reason": r, "count": n} for r, n in summary.unreadable.most_common(TOP)
        ],
    }


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Control characters (a binary line read as text) have no place in HTML."""
    return _CONTROL.sub("\ufffd", text)


def _top_rules(data: ReportData) -> list[tuple[str, RuleCount]]:
    return sorted(data.rules.items(), key=lambda item: (-item[1].count, item[0]))[:TOP]


def _span(data: ReportData) -> str:
    if data.first is None or data.last is None:
        return ""
    return f"{_stamp(data.first)} to {_stamp(data.last)} UTC"


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")


def _categories(summary: Summary, errors: int) -> list[dict[str, Any]]:
    rows = [
        {
            "name": name,
            "count": summary.categories[name],
            "share": _share(summary.categories[name], errors),
            "retry": CATEGORY_INFO[name][1],
            "color": COLORS[name],
        }
        for name in CATEGORIES
        if summary.categories[name]
    ]
    if summary.outcomes["unmatched"]:
        count = summary.outcomes["unmatched"]
        rows.append(
            {"name": "unmatched", "count": count, "share": _share(count, errors),
             "retry": "Unknown: no rule explains these.", "color": COLORS["unmatched"]}
        )  # fmt: skip
    return sorted(rows, key=lambda row: -int(row["count"]))


def _rule_row(rule_id: str, counted: RuleCount) -> dict[str, Any]:
    text = _RETRY_WORDS[counted.retryable]  # also the cell's class (.yes .no .unknown)
    return {
        "id": rule_id,
        "title": counted.title,
        "category": counted.category,
        "count": counted.count,
        "retry": text,
        "retry_class": text,
        "fix": counted.fix,
    }


def _retry_row(rule_id: str, counted: RuleCount) -> dict[str, Any]:
    wait = counted.first_delay
    return {
        "id": rule_id,
        "count": counted.count,
        "strategy": counted.strategy.replace("_", " "),
        "first_wait": NONE if wait is None else f"{wait:g} s",
        "attempts": counted.max_attempts or NONE,
    }


def _chart(data: ReportData, errors: int) -> dict[str, Any] | None:
    """Stacked bars of errors per time step, by category; None without timed records."""
    if not data.buckets or data.first is None or data.last is None:
        return None
    span = max(data.last - data.first, 1.0)
    step, step_name = next(
        ((s, n) for s, n in STEPS if s >= data.resolution and span / s <= MAX_BARS), STEPS[-1]
    )
    bars: dict[int, Counter[str]] = {}
    for start, counts in data.buckets.items():
        bars.setdefault(start // step * step, Counter()).update(counts)
    first = int(data.first) // step * step
    slots = int(data.last) // step * step // step - first // step + 1
    peak = max(sum(c.values()) for c in bars.values())
    plot_w, plot_h = _WIDTH - _LEFT, _HEIGHT - _BOTTOM - _TOP
    slot_w = plot_w / max(slots, 1)
    order = [*CATEGORIES, "unmatched"]
    totals: Counter[str] = Counter()
    drawn = []
    for start, counts in sorted(bars.items()):
        x = _LEFT + (start - first) // step * slot_w
        y = float(_TOP + plot_h)
        parts = []
        for category in order:
            count = counts.get(category, 0)
            if not count:
                continue
            totals[category] += count
            height = count / peak * plot_h
            y -= height
            parts.append(
                {"y": round(y, 1), "height": round(height, 1), "color": COLORS[category],
                 "count": count, "category": category}
            )  # fmt: skip
        drawn.append(
            {"x": round(x + slot_w * 0.1, 1), "width": round(max(slot_w * 0.8, 1), 1),
             "label": _stamp(start), "parts": parts}
        )  # fmt: skip
    return {
        "width": _WIDTH,
        "height": _HEIGHT,
        "left": _LEFT,
        "step": step_name,
        "timed": data.timed,
        "bars": drawn,
        "legend": [
            {"label": c, "color": COLORS[c], "count": totals[c]} for c in order if totals[c]
        ],
        "ticks": [
            {"y": round(_TOP + plot_h - f * plot_h, 1), "label": f"{round(peak * f):,}"}
            for f in (0.0, 0.5, 1.0)
        ],
        "labels": [
            {"x": _LEFT, "anchor": "start", "text": _stamp(first)},
            {"x": _WIDTH, "anchor": "end", "text": _stamp(first + (slots - 1) * step)},
        ],
    }


def describe(path: str, data: ReportData, summary: Summary) -> str:
    """The line `classify` prints on stderr after writing the report."""
    return f"report: {path} ({plural(summary.total, 'record')}, {plural(len(data.rules), 'rule')})"
