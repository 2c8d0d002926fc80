"""The Board's report, as `engage report` writes it and as the web application downloads it, under axe-core in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..helpers import axe
from ..helpers.logsupport import ok, record_examples
from ..helpers.websupport import site

pytestmark = pytest.mark.browser


def _log_with_a_departure(tmp_path: Path) -> str:
    # The examples hold exceptions (their register links to decisions) and a departure links to its reasons.
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    record_examples(db)
    ok("log", "decide", "1", "--decision", "decline", "--by", "Jane Doe", "--justification", "The Board waits", "--db", db)
    return db


def _check(page_file: Path) -> None:
    with axe.chromium() as browser:
        page = browser.new_page()
        page.goto(page_file.as_uri())
        assert axe.summary(axe.violations(page)) == []
        # What the fixes are for, checked as well as counted: one main landmark, links underlined.
        assert page.locator("main").count() == 1
        decorations = page.eval_on_selector_all("main a", "links => links.map(a => getComputedStyle(a).textDecorationLine)")
        assert decorations and set(decorations) == {"underline"}, set(decorations)
        page.close()


def test_the_report_written_by_engage_report_has_no_axe_findings(tmp_path: Path) -> None:
    db = _log_with_a_departure(tmp_path)
    out = tmp_path / "report.html"
    ok("report", "--out", str(out), "--db", db)
    assert 'href="#d-' in out.read_text("utf-8")  # links in table text: what axe's link-in-text-block rule looks at
    _check(out)


def test_the_report_downloaded_from_the_audit_page_has_no_axe_findings(tmp_path: Path) -> None:
    db = _log_with_a_departure(tmp_path)
    with site(db) as s:
        response = s.client("board").get("/audit/report.html")
    assert response.status_code == 200, response.text[:300]
    out = tmp_path / "downloaded.html"
    out.write_bytes(response.content)
    _check(out)
