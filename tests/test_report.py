"""`classify --report`: one self-contained page that tells the truth about the run, in a
real browser at desktop and phone widths, light and dark."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kling_errors import Engine, _parallel
from kling_errors._pipeline import RunOptions
from kling_errors._report import ReportData, record_time
from kling_errors._report_html import ReportPage, render_report
from kling_errors._run import run

BENCH = Path(__file__).resolve().parent.parent / "bench"
CLI = str(Path(sys.executable).parent / "kling-errors")
SECRET = "sk-live-0123456789abcdefghijklmnop"
# Unmatched, and frequent enough to be among the top unmatched messages the page lists.
HOSTILE = [
    json.dumps({"ts": "2026-11-29T03:00:00Z", "status": 418, "body": {"message": "<script>alert(1)</script> teapot"}}),
    json.dumps({"ts": "2026-11-29T03:05:00Z", "status": 418, "body": {"message": f"teapot says api_key={SECRET}"}}),
] * 60  # fmt: skip


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "mixed.jsonl"
    subprocess.run(
        [sys.executable, str(BENCH / "make_realistic.py"), "3000", str(path), "--seed", "5"],
        check=True,
    )
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n".join(HOSTILE) + "\n")
    return path


@pytest.fixture(scope="module")
def report(log: Path) -> str:
    target = log.with_name("report.html")
    done = subprocess.run(
        [CLI, "classify", "--no-config", "-o", os.devnull, "--report", str(target), str(log)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"report: {target}" in done.stderr
    return target.read_text(encoding="utf-8")


def _summary(log: Path) -> dict[str, object]:
    done = subprocess.run(
        [CLI, "classify", "--no-config", "--summary", "--format", "json", str(log)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_the_report_counts_what_the_summary_counts(log: Path, report: str) -> None:
    summary = _summary(log)
    outcomes = summary["outcomes"]
    assert isinstance(outcomes, dict)
    errors = outcomes.get("matched", 0) + outcomes.get("unmatched", 0)
    assert f"{summary['total']:,} records from" in report
    assert f"<b>{errors:,}</b><span>errors" in report
    rules = summary["rules"]
    assert isinstance(rules, dict)
    top_rule, top_count = next(iter(rules.items()))
    assert f'href="errors.html#{top_rule}"' in report
    assert re.search(
        rf"#{re.escape(top_rule)}\"><code>{re.escape(top_rule)}</code></a>.*?>{top_count:,}<",
        report,
        re.S,
    )
    retryable = summary["retryable"]
    assert isinstance(retryable, dict)
    share = f"{retryable.get('true', 0) / errors:.0%}"
    assert f'<b class="yes">{share}</b>' in report


def test_the_report_is_self_contained_escaped_and_redacted(report: str) -> None:
    assert not re.search(r"<(?:script|link|img|iframe)\b", report, re.I)
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", report)
    assert "@import" not in report and "url(" not in report
    assert "&lt;script&gt;alert(#)&lt;/script&gt; teapot" in report  # numbers blanked
    assert SECRET not in report and "teapot says api_key=[secure]" in report
    assert "<svg" in report and "Failures over time" in report


def test_times_are_read_from_keys_and_text_lines() -> None:
    ten = datetime(2026, 11, 29, 10, tzinfo=UTC).timestamp()
    assert record_time({"ts": "2026-11-29T10:00:00Z"}) == ten
    assert record_time({"timestamp": "2026-11-29 10:00:00,500"}) == ten + 0.5
    assert record_time({"time": int(ten * 1000)}) == ten  # milliseconds
    assert record_time({"ts": int(ten)}) == ten
    assert record_time("2026-11-29 10:00:00,000 ERROR kling: 429") == ten
    assert record_time("[2026-11-29T10:00:00.000Z] error: 1102") == ten
    assert record_time({"ts": "yesterday"}) is None and record_time({"ts": 42}) is None
    assert record_time("ERROR kling: 429 at 2026-11-29") is None


def test_a_report_without_times_says_so_instead_of_a_chart(tmp_path: Path) -> None:
    data, out = io.StringIO(), tmp_path / "log.jsonl"
    out.write_text('{"status": 429, "body": {"code": 1303}}\n' * 3)
    tally = run(Engine(), [str(out)], data, RunOptions(summary=True), report=True)
    assert tally.report is not None
    page = render_report(tally.summary, tally.report, ReportPage((str(out),)))
    assert "No record carries a time" in page and "<svg" not in page


def test_jobs_give_the_same_report(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parallel, "PART_BYTES", 64 * 1024)
    engine, page = Engine(), ReportPage((str(log),))
    pages = []
    for jobs in (1, 2):
        tally = run(engine, [str(log)], io.StringIO(), RunOptions(), jobs=jobs, report=True)
        assert tally.report is not None
        pages.append(render_report(tally.summary, tally.report, page))
    assert pages[0] == pages[1]


def test_time_buckets_stay_bounded_over_a_long_log() -> None:
    from kling_errors._models import Diagnosis, Location
    from kling_errors._read import RawRecord
    from kling_errors._vocabulary import Category, Outcome

    data = ReportData()
    diagnosis = Diagnosis(index=0, outcome=Outcome.MATCHED, category=Category.TIMEOUT)
    for minute in range(90 * 24 * 60):  # a quarter of a year, one error a minute
        data.add(RawRecord(Location("x"), {"ts": 1_790_000_000 + minute * 60}), diagnosis)
    assert len(data.buckets) <= 2_000 and data.resolution == 86_400
    assert sum(sum(c.values()) for c in data.buckets.values()) == data.timed == 90 * 24 * 60


# ---- in a real browser ------------------------------------------------------------------

# Measures, after layout, whether the page is wider than the window; written into the DOM
# that --dump-dom prints. Only the test's copy of the page carries it.
PROBE = """<script>
addEventListener('load', () => {
  const wide = document.documentElement.scrollWidth > innerWidth + 1;
  document.body.setAttribute('data-overflow', String(wide));
  document.body.setAttribute('data-dark', String(matchMedia('(prefers-color-scheme: dark)').matches));
  document.body.setAttribute('data-bg', getComputedStyle(document.body).backgroundColor);
});
</script>"""


def _browser() -> str:
    found = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if found is None:
        if os.environ.get("KLING_ERRORS_BROWSER_TESTS") == "required":
            pytest.fail("no chromium found, and browser tests are required")
        pytest.skip("no chromium on this machine (CI installs it: .ci/run)")
    return found


def _chromium(tmp_path: Path, page: Path, width: int, *extra: str) -> str:
    done = subprocess.run(
        [
            _browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={width},900", *extra, page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (390, False), (390, True)])
def test_the_report_fits_the_screen_in_a_real_browser(
    report: str, tmp_path: Path, width: int, dark: bool
) -> None:
    page = tmp_path / "report.html"
    page.write_text(report.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    theme = ["--force-dark-mode"] if dark else []
    dom = _chromium(tmp_path, page, width, *theme, "--dump-dom")
    assert 'data-overflow="false"' in dom, f"the page is wider than {width} px"
    assert f'data-dark="{str(dark).lower()}"' in dom
    background = re.search(r'data-bg="rgb\((\d+), (\d+), (\d+)\)"', dom)
    assert background is not None
    assert (sum(map(int, background.groups())) < 100) == dark  # dark page, light page
    shot = tmp_path / f"report-{width}.png"
    _chromium(tmp_path, page, width, *theme, f"--screenshot={shot}")
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(header[16:20], "big") == width
