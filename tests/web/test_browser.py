"""End to end in a real browser: Debian's Chromium driven by Playwright, against `engage serve`.

The server is the real command (`engage serve --port N --db ...`) in a subprocess, with accounts
made by `engage users add --password-stdin`.  Every page visited is saved as a screenshot in
``$ENGAGE_SCREENSHOTS`` (else a temporary folder), to be looked at.

Chromium comes from the Debian package (`/usr/bin/chromium`); Playwright's own browser
downloads are never used.  Without Chromium or Playwright the tests skip, saying why, unless
``ENGAGE_REQUIRE_CHROMIUM=1`` (set by .ci/run), which makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..helpers.logsupport import AS_OF, EXAMPLES
from ..helpers.serving import engage_serve
from ..helpers.support import ROOT

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
PASSWORD = "a long test password"
BAD_ROW = "REQ-E2E-9,2026-11-09,SLE,africa,maybe,no,no,no,programme,adopted,yes,country_office,yes,yes,yes,yes"
HEADER = "id,received,country,region,requester.government_endorsed,mandate.restricts_monitoring,mandate.contrary_to_standards,request.funding_only,request.kind,strategy.status,strategy.request_in_strategy,presence.type,presence.adequately_staffed,presence.long_term_programming,partnership.government_counterpart,partnership.civil_society_involved"  # noqa: E501
GOOD_ROW = "REQ-E2E-{n},2026-11-0{n},SLE,africa,yes,no,no,no,programme,adopted,yes,country_office,yes,yes,yes,yes"


def _missing(reason: str) -> None:
    if os.environ.get("ENGAGE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(reason + "; ENGAGE_REQUIRE_CHROMIUM=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def engage(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from engine.cli import run; run()", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e")
    db = f"sqlite:///{folder / 'log.sqlite3'}"
    for name, role in (("ines", "intake"), ("boris", "board"), ("aline", "author"), ("adam", "admin")):
        done = engage("users", "add", name, "--role", role, "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    recorded = engage("evaluate", str(EXAMPLES), "--as-of", AS_OF, "--record", "--db", db, "--user", "seed", "--quiet")
    assert recorded.returncode == 0, recorded.stderr
    with engage_serve(db) as (address, _):
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        _missing("Chromium is not installed (apt-get install chromium; bash .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install '.[test]')")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("ENGAGE_SCREENSHOTS")
    folder = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshots_folder(tmp_path: Path, kept: str) -> Path:
    """``$ENGAGE_SCREENSHOTS``; else ``kept`` when that folder exists (an older habit); else the test's own folder."""
    given = os.environ.get("ENGAGE_SCREENSHOTS")
    folder = Path(given) if given else Path(kept) if Path(kept).is_dir() else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


class User:
    def __init__(self, browser: Any, server: str, shots: Path, name: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
        self.page = self.context.new_page()
        self.shots = shots
        self.name = name

    def shot(self, label: str, full_page: bool = True) -> None:
        self.page.screenshot(path=str(self.shots / f"{label}.png"), full_page=full_page)

    def sign_in(self, keyboard: bool = False) -> None:
        page = self.page
        page.goto("/login")
        if keyboard:  # keyboard only: the name field has the focus, Tab to the password, Enter submits
            page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
            page.keyboard.type(self.name)
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
        else:
            page.get_by_label("Name").fill(self.name)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Start").wait_for()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def user(browser: Any, server: str, shots: Path) -> Iterator[Any]:
    made: list[User] = []

    def make(name: str, keyboard: bool = False) -> User:
        found = User(browser, server, shots, name)
        made.append(found)
        found.sign_in(keyboard)
        return found

    yield make
    for found in made:
        found.close()


def test_sign_in_with_the_keyboard_and_a_wrong_password(browser: Any, server: str, shots: Path, user: Any) -> None:
    stranger = User(browser, server, shots, "ines")
    page = stranger.page
    page.goto("/queue")
    assert "/login?next=" in page.url
    stranger.shot("01-sign-in")
    page.get_by_label("Name").fill("ines")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("The name or the password is not right")
    stranger.shot("02-sign-in-wrong-password")
    stranger.close()
    ines = user("ines", keyboard=True)
    assert ines.page.get_by_role("heading", name="Start").is_visible()
    ines.shot("03-start-intake")


def test_intake_fills_in_a_request_with_one_unknown_answer_and_sees_the_decision(user: Any) -> None:
    ines = user("ines")
    page = ines.page
    nav(page, "New request")
    page.get_by_label("Reference").fill("REQ-E2E-1")
    page.get_by_label("Country", exact=True).select_option("SLE")
    page.get_by_label("Region", exact=True).select_option("africa")
    page.get_by_label("Kind of request", exact=True).select_option("programme")
    page.get_by_label("Title", exact=True).fill("Support to the human rights commission")
    for group, answer in (
        ("Requested or endorsed by the Government", "Yes"),
        ("Asks only for funding", "No"),
        ("Limits monitoring or public reporting", "No"),
        ("Contrary to human rights standards", "No"),
        ("Adequately staffed", "Yes"),
        ("Fits the strategy", "Yes"),
        ("Government counterpart committed", "Yes"),
        ("Civil society involved", "Yes"),
    ):
        page.get_by_role("group", name=group).get_by_label(answer, exact=True).check()
    page.get_by_label("Kind of presence", exact=True).select_option("country_office")
    page.get_by_label("State of the strategy", exact=True).select_option("adopted")
    assert page.get_by_role("group", name="Long-term programming").get_by_label("Unknown").is_checked()  # left unknown
    page.get_by_label("Duration (months)", exact=True).fill("two years")
    ines.shot("04-new-request-filled")
    page.get_by_role("button", name="Evaluate and record").click()
    assert page.get_by_role("heading", name="There is 1 problem with this request").is_visible()
    assert "must be a whole number" in page.locator(".has-error").first.inner_text()
    ines.shot("05-new-request-inline-error")
    page.get_by_label("Duration (months)", exact=True).fill("24")
    page.get_by_role("button", name="Evaluate and record").click()
    page.wait_for_url("**/decisions/*")
    assert "Ask for missing information" in page.locator(".recommendation").inner_text()
    table = page.locator("table.conditions")
    assert "Unknown" in table.inner_text() and "Met" in table.inner_text()
    assert page.locator("table.conditions a[href='https://undocs.org/E/CN.4/2006/104']").count() >= 3
    assert "Long-term programming" in page.locator("#missing ~ ul").inner_text() or "Long-term programming" in page.inner_text(
        "main"
    )
    assert "Engage if Long-term programming is Yes" in page.locator("ul.changes").inner_text().replace("\n", " ")
    ines.shot("06-decision-request-information")
    page.emulate_media(media="print")
    assert not page.locator("header nav").is_visible() and not page.locator("form.human-form").is_visible()
    ines.shot("07-decision-printed")
    page.emulate_media(media="screen")


def test_a_draft_is_saved_and_resumed(user: Any) -> None:
    ines = user("ines")
    page = ines.page
    page.goto("/requests/new")
    page.get_by_label("Reference").fill("REQ-E2E-DRAFT")
    page.get_by_label("Title", exact=True).fill("Half done")
    page.get_by_role("button", name="Save as draft").click()
    assert "The draft is saved" in page.get_by_role("status").inner_text()
    nav(page, "Drafts")
    assert "REQ-E2E-DRAFT - Half done" in page.inner_text("main")
    ines.shot("08-drafts")
    page.get_by_role("link", name="Resume REQ-E2E-DRAFT - Half done").click()
    assert page.get_by_label("Title", exact=True).input_value() == "Half done"


def test_intake_uploads_a_batch_with_one_bad_row(user: Any, tmp_path: Path) -> None:
    ines = user("ines")
    page = ines.page
    batch = tmp_path / "intake.csv"
    batch.write_text("\n".join([HEADER, GOOD_ROW.format(n=2), BAD_ROW, GOOD_ROW.format(n=3)]) + "\n")
    nav(page, "Batch upload")
    ines.shot("09-batch-form")
    page.get_by_label("File of requests").set_input_files(str(batch))
    page.get_by_role("button", name="Upload and evaluate").click()
    summary = page.locator("p.summary").inner_text()
    assert "2 requests evaluated and recorded." in summary and "1 row could not be evaluated" in summary
    bad = page.locator("tr.invalid")
    assert bad.count() == 1 and "row 3" in bad.inner_text() and "'maybe' is not yes or no" in bad.inner_text()
    assert page.locator("tr.ok a").count() == 2
    ines.shot("10-batch-results")


def test_a_board_member_records_a_human_decision_and_verifies_the_log(user: Any) -> None:
    boris = user("boris")
    page = boris.page
    nav(page, "Queue")
    assert page.get_by_role("heading", name="Engage").first.is_visible()
    boris.shot("11-queue")
    page.get_by_role("link", name="REQ-2026-0101").click()
    boris.shot("12-decision-engage")
    page.get_by_label("Final decision").select_option("consider_in_strategy")
    page.get_by_role("button", name="Record the decision").click()
    assert "write the justification" in page.get_by_role("alert").inner_text()
    page.get_by_label("Justification").fill("The Board asks to wait for the strategy review in March.")
    page.get_by_role("button", name="Record the decision").click()
    assert "The human decision is recorded" in page.get_by_role("status").first.inner_text()
    assert "departs from the recommendation" in page.locator("#human ~ p.human, p.human").first.inner_text()
    boris.shot("13-decision-human-recorded")
    nav(page, "Audit")
    page.get_by_role("button", name="Verify now").click()
    result = page.locator("#verify-result")
    assert "The decision log is intact" in result.inner_text()
    boris.shot("14-audit-verified")
    nav(page, "Rules")
    assert "No problems" in page.locator(".lint").inner_text()
    boris.shot("15-rules")
    boris.shot("15b-rules-top", full_page=False)


def test_a_board_member_cannot_open_the_rules_upload(user: Any) -> None:
    boris = user("boris")
    page = boris.page
    assert page.get_by_role("link", name="Impact of a change").count() == 0  # not offered
    response = page.goto("/rules/impact")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert page.locator("input[type=file]").count() == 0
    boris.shot("16-board-refused-impact")


def test_an_author_measures_the_impact_of_a_changed_rule_file(user: Any, tmp_path: Path) -> None:
    aline = user("aline")
    page = aline.page
    nav(page, "Impact of a change")
    aline.shot("17-impact-form")
    changed = tmp_path / "in_country_presence.yaml"
    changed.write_text((ROOT / "rules" / "in_country_presence.yaml").read_text().replace("status: unmet", "status: partial", 1))
    page.get_by_label("Rule or criteria file (.yaml)").set_input_files(str(changed))
    page.get_by_label("It replaces").select_option("rules/in_country_presence.yaml")
    page.get_by_role("button", name="Compare with the rules in force").click()
    assert page.get_by_role("heading", name="Changes of recommendation").is_visible()
    aline.shot("18-impact-result")


def test_an_administrator_sees_the_accounts_and_the_audit(user: Any) -> None:
    adam = user("adam")
    page = adam.page
    nav(page, "Accounts")
    assert page.get_by_role("row", name="ines").count() >= 1
    adam.shot("19-accounts")
    nav(page, "Audit")
    assert page.get_by_role("heading", name="Exception register").is_visible()
    adam.shot("20-audit")


def in_view(page: Any, selector: str) -> bool:
    """Whether the element is wholly inside the window as it is scrolled now."""
    return bool(
        page.eval_on_selector(
            selector, "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"
        )
    )


def test_the_human_decisions_error_takes_the_focus_and_is_in_view(user: Any) -> None:
    boris = user("boris")
    page = boris.page
    page.goto("/decisions/5")
    options = page.eval_on_selector_all("#outcome option", "os => os.map(o => [o.value, o.textContent])")
    recommended = next(value for value, text in options if "(recommended)" in text)
    other = next(value for value, _ in options if value != recommended)
    page.get_by_label("Final decision").select_option(other)  # a departure needs a justification, left blank
    with page.expect_navigation():
        page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state("load")
    assert "write the justification" in page.locator("#human-error").inner_text()
    assert page.evaluate("document.activeElement.id") == "justification"  # the field the error is about
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')").split() == [
        "justification-hint",
        "human-error",
    ]
    assert in_view(page, "#justification") and in_view(page, "#human-error")
    boris.shot("21-human-decision-error-in-view", full_page=False)
