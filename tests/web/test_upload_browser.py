"""A background upload in a real Chromium against `engage serve`: the progress page refreshes itself into the summary.

On a 390 px phone and under axe-core: the progress page while the job runs (it reloads itself by
its meta refresh, no script needed), then the summary with its pages of problems.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..helpers import axe
from ..helpers.serving import engage_serve
from .test_browser import PASSWORD, engage
from .test_phone import PHONE, problems_of
from .test_upload_jobs import csv_file

pytestmark = pytest.mark.browser
ROWS = 12_000  # about 1 MB: over the size evaluated in the request, so a background job of some seconds


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("upload-browser")
    db = f"sqlite:///{folder / 'log.sqlite3'}"
    done = engage("users", "add", "ines", "--role", "intake", "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    with engage_serve(db) as (address, _):
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with axe.chromium() as launched:
        yield launched


def test_the_progress_page_refreshes_itself_into_a_summary_on_a_phone(browser: Any, server: str, tmp_path: Path) -> None:
    shots = Path("/tmp/h7-shots") if Path("/tmp/h7-shots").is_dir() else tmp_path
    ids = [f"W-{n:05d}" for n in range(ROWS)]
    path = csv_file(tmp_path / "archive.csv", ids, bad=[7, 2500, ROWS - 1])
    # The officer's browser runs no script: the progress page's refresh is its meta refresh alone.
    context = browser.new_context(viewport=PHONE, base_url=server, java_script_enabled=False)
    page = _signed_in(context)
    # axe-core runs as a script: the checks look with a second browser of the same officer.
    checking = browser.new_context(viewport=PHONE, base_url=server)
    checker = _signed_in(checking)
    page.goto("/batch")
    page.get_by_label("File of requests").set_input_files(str(path))
    page.get_by_role("button", name="Upload and evaluate").click()
    page.wait_for_url(re.compile(r"/batch/jobs/\d+$"))
    problems: list[str] = []
    page.get_by_role("heading", name="Upload of archive.csv").wait_for()
    seen = [_read(page)]
    page.screenshot(path=str(shots / "upload-progress.png"), full_page=True)
    # The layout and axe checks take longer than the refresh: they look at a copy without it, as another officer.
    progress = re.sub(r'<meta http-equiv="refresh" content="\d+">', "", page.content())
    assert 'id="job-counts"' in progress, "the job ended before its progress page was checked"
    checker.goto("/batch")  # the server's address: the copy's stylesheet comes from it
    checker.set_content(progress)
    problems += problems_of(checker, "the progress page")
    problems += [f"the progress page: {line}" for line in axe.summary(axe.violations(checker))]
    # The page reloads itself (meta refresh, without any script) until the job ends and it is the summary.
    deadline = time.monotonic() + 600
    while not page.locator("p.summary").count() and time.monotonic() < deadline:
        try:
            page.wait_for_event("load", timeout=5_000)
            seen.append(_read(page))
        except Exception:  # noqa: BLE001 - Playwright's timeout: the summary came between two looks (or a reload began)
            continue
    assert len({n for n in seen if n >= 0}) >= 2 and seen[-1] <= ROWS, seen  # it counted up as it went
    assert [n for n in seen if n >= 0] == sorted(n for n in seen if n >= 0), seen
    summary = page.locator("p.summary").inner_text()
    assert f"{ROWS - 3:,} requests evaluated and recorded." in summary and "3 rows could not be evaluated" in summary
    checker.goto(page.url)
    problems += problems_of(checker, "the summary")
    problems += [f"the summary: {line}" for line in axe.summary(axe.violations(checker))]
    checker.screenshot(path=str(shots / "upload-summary.png"), full_page=True)
    checker.get_by_role("link", name="Show only the 3 rows with problems").click()
    checker.get_by_text("Show all 12000 rows").wait_for()
    assert checker.locator("tr.invalid").count() == 3 and checker.locator("tr.ok").count() == 0
    checker.screenshot(path=str(shots / "upload-problems.png"), full_page=True)
    checker.goto(page.url)
    checker.get_by_role("link", name="Next rows").click()
    checker.get_by_text("Rows 201 to 400").wait_for()
    problems += problems_of(checker, "the summary's second page")
    problems += [f"the summary's second page: {line}" for line in axe.summary(axe.violations(checker))]
    checker.screenshot(path=str(shots / "upload-summary-page-2.png"), full_page=True)
    checking.close()
    context.close()
    assert not problems, "\n".join(problems)


def _signed_in(context: Any) -> Any:
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Name").fill("ines")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Start").wait_for()
    return page


def _read(page: Any) -> int:
    """The rows read that the progress page shows (-1 once it is the summary)."""
    counter = page.locator("#rows-read")
    return int(counter.inner_text(timeout=5_000)) if counter.count() else -1
