"""A background upload in a real Chromium against `engage serve`: the progress page refreshes itself into the summary.

On a 390 px phone and under axe-core: the progress page while the job runs (it reloads itself by
its meta refresh, no script needed), then the summary with its pages of problems.
"""

from __future__ import annotations

import re
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
    context = browser.new_context(viewport=PHONE, base_url=server, java_script_enabled=False)  # meta refresh alone
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Name").fill("ines")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Start").wait_for()
    page.goto("/batch")
    page.get_by_label("File of requests").set_input_files(str(path))
    page.get_by_role("button", name="Upload and evaluate").click()
    page.wait_for_url(re.compile(r"/batch/jobs/\d+$"))
    problems: list[str] = []
    page.get_by_role("heading", name="Upload of archive.csv").wait_for()
    seen = [int(page.locator("#rows-read").inner_text())]
    page.screenshot(path=str(shots / "upload-progress.png"), full_page=True)
    # The layout and axe checks take longer than the refresh: they look at a copy without it, as another officer.
    still = context.new_page()
    still.route(re.compile(r".*/batch/jobs/\d+$"), _without_refresh)
    still.goto(page.url)
    assert still.locator("#job-counts").count() == 1, "the job ended before its progress page was checked"
    problems += problems_of(still, "the progress page")
    problems += [f"the progress page: {line}" for line in axe.summary(axe.violations(still))]
    still.close()
    # The page reloads itself (meta refresh, without any script) until the job ends and it is the summary.
    while not page.locator("p.summary").count():
        page.wait_for_event("load", timeout=60_000)
        if page.locator("#rows-read").count():
            seen.append(int(page.locator("#rows-read").inner_text()))
    assert len(set(seen)) >= 2 and seen == sorted(seen) and seen[-1] <= ROWS, seen  # it counted up as it went
    summary = page.locator("p.summary").inner_text()
    assert f"{ROWS - 3} requests evaluated and recorded." in summary and "3 rows could not be evaluated" in summary
    problems += problems_of(page, "the summary")
    problems += [f"the summary: {line}" for line in axe.summary(axe.violations(page))]
    page.screenshot(path=str(shots / "upload-summary.png"), full_page=True)
    page.get_by_role("link", name="Show only the 3 rows with problems").click()
    assert page.locator("tr.invalid").count() == 3 and page.locator("tr.ok").count() == 0
    page.goto(page.url.split("?")[0])
    page.get_by_role("link", name="Next rows").click()
    assert page.get_by_text("Rows 201 to 400").count() == 1
    problems += problems_of(page, "the summary's second page")
    page.screenshot(path=str(shots / "upload-summary-page-2.png"), full_page=True)
    context.close()
    assert not problems, "\n".join(problems)


def _without_refresh(route: Any) -> None:
    response = route.fetch()
    body = response.text()
    assert '<meta http-equiv="refresh" content="2">' in body or 'p class="summary"' in body
    route.fulfill(response=response, body=body.replace('<meta http-equiv="refresh" content="2">', ""))
