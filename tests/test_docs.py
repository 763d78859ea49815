"""The error reference generated from the rules: complete, deterministic, self-contained,
and its HTML search works in a real browser."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kling_errors import load_rules
from kling_errors._docs import builtin_template, render
from kling_errors.cli import main

from .conftest import REPO

RULES = load_rules()
DOCS = {fmt: render(RULES, builtin_template(fmt)) for fmt in ("markdown", "html", "skill")}
VOID = {"meta", "input", "br", "hr", "img", "link"}


@pytest.mark.parametrize("rule", list(RULES), ids=lambda r: r.id)
def test_every_rule_appears_in_every_format(rule) -> None:  # type: ignore[no-untyped-def]
    assert f'<a id="{rule.id}"></a>' in DOCS["markdown"]
    assert f'<article class="rule" id="{rule.id}"' in DOCS["html"]
    title = rule.title.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")
    assert title in DOCS["html"]
    assert rule.title in DOCS["skill"] and rule.title in DOCS["markdown"]


def _table(markdown: str, heading: str) -> list[list[str]]:
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [
        [cell.strip() for cell in line.strip("|").split(" | ")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| HTTP") and not line.startswith("| code")
    ]


def test_the_indexes_are_complete() -> None:
    by_code = _table(DOCS["markdown"], "Index by service code")
    listed = {(int(row[0]), re.search(r"\(#([^)]+)\)", row[2]).group(1)) for row in by_code}  # type: ignore[union-attr]
    expected = {(code, r.id) for r in RULES for c in r.match for code in (c.service_code or ())}
    assert listed == expected
    official = {
        *range(1000, 1005),
        *range(1100, 1104),
        *range(1200, 1204),
        *range(1300, 1305),
        *range(5000, 5003),
    }
    assert official <= {code for code, _ in listed}
    by_status = _table(DOCS["markdown"], "Index by HTTP status")
    assert {row[0] for row in by_status} >= {"400", "401", "403", "404", "429", "500", "503", "504"}
    in_status = {re.search(r"\(#([^)]+)\)", row[2]).group(1) for row in by_status}  # type: ignore[union-attr]
    assert {r.id for r in RULES if r.expected_status} <= in_status
    # the official HTTP status of each code is the one shown
    rows = {(row[0], row[1]) for row in by_status}
    assert ("429", "1102") in rows and ("404", "1202") in rows and ("400", "1301") in rows


def test_output_is_deterministic() -> None:
    for fmt, text in DOCS.items():
        assert render(load_rules(), builtin_template(fmt)) == text


def test_committed_docs_are_up_to_date() -> None:
    result = CliRunner().invoke(
        main, ["docs", "--check", "--docs-dir", str(REPO / "docs"), "--no-config"]
    )
    assert result.exit_code == 0, result.stderr


def test_check_fails_when_a_file_is_stale(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["docs", "--update", "--docs-dir", str(tmp_path)]).exit_code == 0
    (tmp_path / "errors.md").write_text("hand-edited\n")
    result = runner.invoke(main, ["docs", "--check", "--docs-dir", str(tmp_path)])
    assert result.exit_code == 6
    assert (
        "errors.md" in result.stderr
        and "errors.html" not in result.stderr
        and "hint:" in result.stderr
    )


class _Checker(HTMLParser):
    """Well-formedness: every element closed in order, ids unique, no external assets."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "id" in values:
            self.ids.append(values["id"] or "")
        if tag in ("link", "img", "iframe") or (tag == "script" and "src" in values):
            self.errors.append(f"external asset <{tag}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def test_html_is_well_formed_and_self_contained() -> None:
    html = DOCS["html"]
    assert html.startswith("<!DOCTYPE html>")
    checker = _Checker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert len(checker.ids) == len(set(checker.ids))
    assert {r.id for r in RULES} <= set(checker.ids)


def test_user_rule_sets_are_marked_with_their_origin() -> None:
    team = REPO / "examples" / "team-rules"
    text = render(load_rules([team]), builtin_template("markdown"))
    assert f"from `{team / 'acme-gateway.yaml'}:6` (rule set `{team}`)" in text
    assert "from `rules/" not in text  # built-ins are not marked


def test_custom_template_renders_the_same_data(tmp_path: Path) -> None:
    template = tmp_path / "ids.txt.j2"
    template.write_text("{% for r in rules %}{{ r.id }} {{ r.codes | join(',') }}\n{% endfor %}")
    result = CliRunner().invoke(main, ["docs", "--template", str(template)])
    lines = result.stdout.splitlines()
    assert len(lines) == len(RULES) and "kling.concurrency.1303 1303" in lines


def test_docs_never_show_secrets_from_examples(write_rules: Callable[..., Path]) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJBS0lEIn0.c2lnbmF0dXJlMTIz"
    path = write_rules(id="team.teapot", match="{http_status: 418}")
    path.write_text(path.read_text() + f'    examples: [\'{{"status": 418, "token": "{jwt}"}}\']\n')
    for fmt in ("markdown", "html", "skill"):
        assert jwt not in render(load_rules([path]), builtin_template(fmt))


def test_skill_guide_has_the_seed_shape() -> None:
    text = DOCS["skill"]
    front = text.split("---\n")[1]
    assert "name: kling-errors" in front and "description:" in front
    for heading in ("## Overview", "## Error reference", "## Best practices"):
        assert heading in text
    assert not re.search(r"#### HTTP 402 · code", text)  # no Kling code comes with 402...
    assert "#### HTTP 400 · code 1301" in text  # ...and content policy is 400/1301


def _browser() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def _dom_after_search(query: str, tmp_path: Path) -> str:
    browser = _browser()
    if browser is None:
        if os.environ.get("KLING_ERRORS_BROWSER_TESTS") == "required":
            pytest.fail("no chromium found, and browser tests are required")
        pytest.skip("no chromium on this machine (CI installs it: .ci/run)")
    page = tmp_path / "errors.html"
    page.write_text(DOCS["html"], encoding="utf-8")
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            f"{page.as_uri()}#q={query}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def _visible_rules(dom: str) -> set[str]:
    return {
        m.group(1)
        for m in re.finditer(r'<article class="rule" id="([^"]+)"([^>]*)>', dom)
        if "hidden" not in m.group(2)
    }


def test_html_search_filters_by_code_in_a_real_browser(tmp_path: Path) -> None:
    dom = _dom_after_search("1303", tmp_path)
    visible = _visible_rules(dom)
    assert "kling.concurrency.1303" in visible
    assert "transport.dns" not in visible and "kling.auth.1000" not in visible
    assert f"{len(visible)} of {len(RULES)} errors match" in dom
    # index rows of hidden rules are hidden too
    assert re.search(r'<tr data-rule="kling.auth.1000" hidden', dom)


def test_html_search_filters_by_text_in_a_real_browser(tmp_path: Path) -> None:
    visible = _visible_rules(_dom_after_search("risk%20control", tmp_path))
    assert visible == {"kling.task.risk_control"}


class _Text(HTMLParser):
    """The text a reader sees: outside <pre>, <script>, <style> and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("pre", "script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("pre", "script", "style")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def test_html_shows_markdown_code_spans_as_code() -> None:
    text = _Text()
    text.feed(DOCS["html"])
    shown = "".join(text.parts)
    assert "`" not in shown, [p for p in text.parts if "`" in p][:3]
    assert "<code>iss</code>" in DOCS["html"]  # kling.auth.1000: its `iss` ...
    # escaping still happens first: a code span never becomes markup
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in DOCS["html"]


def test_skill_headings_name_the_status_once() -> None:
    headings = [line for line in DOCS["skill"].splitlines() if line.startswith("#### ")]
    assert not [h for h in headings if re.search(r"HTTP \d+ — HTTP", h)]
    assert "#### HTTP 400 without a service code from Kling's table" in headings
    assert "#### HTTP 402 — a gateway's out-of-credit answer" in headings


def test_check_says_missing_rather_than_out_of_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["docs", "--check", "--docs-dir", str(tmp_path / "docs")])
    assert result.exit_code == 6
    assert "missing:" in result.stderr and "out of date" not in result.stderr
    assert "docs --update --docs-dir" in result.stderr


@pytest.mark.parametrize(
    ("source", "line", "what"),
    [
        ("{% for r in rules %}\n{{ r.id }\n{% endfor %}", 2, "template syntax error"),
        ("{{ title }}\n{{ rules[0].nope.deeper }}\n", 2, "UndefinedError"),
        ("\n\n{{ rules.__class__ }}\n", 3, "SecurityError"),
        ("{{ 1 / 0 }}", 1, "ZeroDivisionError"),
    ],
)
def test_a_mistake_in_a_users_template_is_theirs(
    tmp_path: Path, source: str, line: int, what: str
) -> None:
    template = tmp_path / "mine.md.j2"
    template.write_text(source)
    result = CliRunner().invoke(main, ["docs", "--template", str(template), "--no-config"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {template}:{line}: {what}")
    assert "this is a bug" not in result.stderr and "hint:" in result.stderr


def _layout(tmp_path: Path, width: int) -> dict[str, Any]:
    """The reference in a frame ``width`` px wide, in a real browser: the viewport, the
    page's scroll width, and the elements that stick out on the right."""
    browser = _browser()
    if browser is None:
        if os.environ.get("KLING_ERRORS_BROWSER_TESTS") == "required":
            pytest.fail("no chromium found, and browser tests are required")
        pytest.skip("no chromium on this machine (CI installs it: .ci/run)")
    measure = """<script>
(function () {
  var width = document.documentElement.clientWidth, over = [];
  Array.prototype.forEach.call(document.querySelectorAll("body *"), function (el) {
    var box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      over.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + el.textContent.slice(0, 40));
    }
  });
  parent.postMessage(JSON.stringify({viewport: width,
    scroll: document.documentElement.scrollWidth, over: over.slice(0, 10)}), "*");
})();
</script>"""
    (tmp_path / "errors.html").write_text(
        DOCS["html"].replace("</body>", measure + "</body>"), encoding="utf-8"
    )
    frame = tmp_path / "frame.html"
    frame.write_text(
        '<!DOCTYPE html><html><body><div id="out"></div><script>'
        "window.addEventListener('message', function (e) {"
        " document.getElementById('out').setAttribute('data-layout', e.data); });"
        f'</script><iframe src="errors.html" style="width:{width}px;height:800px;border:0">'
        "</iframe></body></html>",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            frame.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = re.search(r'data-layout="([^"]*)"', result.stdout)
    assert found, "the page reported no layout"
    layout: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return layout


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_html_never_scrolls_sideways_in_a_real_browser(tmp_path: Path, width: int) -> None:
    layout = _layout(tmp_path, width)
    assert layout["viewport"] <= width  # the frame's width, less any scroll bar
    assert layout["scroll"] <= layout["viewport"], layout["over"]
    assert layout["over"] == []


def test_html_filter_without_a_hit_hides_the_indexes_in_a_real_browser(tmp_path: Path) -> None:
    dom = _dom_after_search("no-such-error-anywhere", tmp_path)
    assert _visible_rules(dom) == set()
    assert re.search(r'<section class="index" id="by-status" hidden', dom)
    assert re.search(r'<section class="index" id="by-code" hidden', dom)
    assert re.search(r'<p id="no-match">', dom)  # says so instead of bare headers
    (tmp_path / "again").mkdir()
    dom = _dom_after_search("1303", tmp_path / "again")
    assert re.search(r'<section class="index" id="by-code">', dom)
    assert re.search(r'<p id="no-match" hidden', dom)
