"""The "Done when" of issue 12 in real Chromium against `engage serve`: an author proposes a changed rule by
upload, a Board member sees it with its impact on the log and approves it, the next request entered in the form
is decided by it and its decision page names it, and `engage log verify` finds the log intact.

Screenshots of the list, the release's page, the decision it made and the audit's verification go to
``$ENGAGE_SCREENSHOTS`` (or ``/tmp/m2-shots`` when that folder exists).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..helpers.logsupport import AS_OF, EXAMPLES
from ..helpers.serving import engage_serve
from ..helpers.support import ROOT
from .test_browser import PASSWORD, User, browser, engage, screenshots_folder  # noqa: F401  (browser is a fixture)

pytestmark = pytest.mark.browser
OLD = "        - {field: expertise_available, equals: true}\n    outcome: respond_ad_hoc"
# Advice at once only for a Government or the UN country team (the authors' cases, all from a Government, still pass).
NEW = (
    "        - {field: expertise_available, equals: true}\n"
    "        - {field: requester.type, in: [government, un_country_team]}\n"
    "    outcome: respond_ad_hoc"
)


def changed_outcome(folder: Path) -> Path:
    text = (ROOT / "rules" / "outcome.yaml").read_text("utf-8")
    assert OLD in text
    path = folder / "outcome.yaml"
    path.write_text(text.replace(OLD, NEW), "utf-8")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("release-e2e")
    db = f"sqlite:///{folder / 'log.sqlite3'}"
    for name, role in (("ines", "intake"), ("boris", "board"), ("aline", "author")):
        done = engage("users", "add", name, "--role", role, "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    recorded = engage("evaluate", str(EXAMPLES), "--as-of", AS_OF, "--record", "--db", db, "--user", "seed", "--quiet")
    assert recorded.returncode == 0, recorded.stderr
    with engage_serve(db) as (address, _):
        yield address, db


def test_the_board_approves_a_proposed_change_in_the_browser_and_the_next_request_is_decided_by_it(
    browser: Any,  # noqa: F811
    served: tuple[str, str],
    tmp_path: Path,
) -> None:
    address, db = served
    shots = screenshots_folder(tmp_path, "/tmp/m2-shots")
    aline, boris, ines = (User(browser, address, shots, n) for n in ("aline", "boris", "ines"))
    for who in (aline, boris, ines):
        who.sign_in()

    # The author proposes by upload; the checks run and the release's page opens.
    page = aline.page
    page.goto("/releases")
    page.get_by_label("Changed files").set_input_files(str(changed_outcome(tmp_path)))
    page.get_by_label("What changes and why").fill("Advice at once only when a Government or the UN country team asks")
    page.get_by_role("button", name="Check and propose").click()
    page.wait_for_url("**/releases/2?notice=release_proposed")
    assert page.get_by_role("heading", level=1).inner_text() == "Release 2: proposed"
    assert page.get_by_role("button", name="Approve").count() == 0  # the author does not approve

    # The Board member sees it in the list and on its page, with its impact on the recorded requests.
    page = boris.page
    page.goto("/releases")
    row = page.locator("table.releases tbody tr").first
    assert row.inner_text().split("\t")[:3] == ["Release 2", "proposed", "aline"]
    boris.shot("m2-releases-list")
    row.get_by_role("link", name="Release 2").click()
    page.wait_for_url("**/releases/2")
    assert "Against release 1, in force today: 1 change." in page.inner_text("main")
    assert "Respond as one-off advice → Assess needs first" in page.inner_text("#impact ~ table, section[aria-labelledby=impact]")
    affected = page.locator("section[aria-labelledby=impact] a[href^='/decisions/']")
    assert affected.count() == 1 and "REQ-2026-0102" in affected.inner_text()
    boris.shot("m2-release-proposed")
    page.get_by_label("Justification").fill("Ad hoc advice to parliaments goes through the needs assessment from now on")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/releases/2?notice=release_step")
    assert page.get_by_role("heading", level=1).inner_text() == "Release 2: in force"
    boris.shot("m2-release-approved")

    # The next request, entered in the form, is decided by release 2 and its page says so.
    page = ines.page
    page.goto("/requests/new")
    page.get_by_label("Reference").fill("REQ-E2E-REL-1")
    page.locator("select[name='country']").select_option("MNG")
    page.locator("select[name='region']").select_option("asia_pacific")
    page.locator("select[name='requester.type']").select_option("parliament")
    page.locator("select[name='request.kind']").select_option("advisory")
    page.get_by_label("Title", exact=True).fill("Comments on a draft law")
    for name, value in (
        ("requester.government_endorsed", "yes"),
        ("request.funding_only", "no"),
        ("mandate.restricts_monitoring", "no"),
        ("mandate.contrary_to_standards", "no"),
        ("partnership.government_counterpart", "yes"),
        ("expertise_available", "yes"),
    ):
        page.locator(f"input[name='{name}'][value='{value}']").check()
    page.get_by_role("button", name="Evaluate and record").click()
    page.wait_for_url("**/decisions/*")
    text = page.inner_text("main")
    assert "Decided by release 2 of the rules, approved by boris on " in text
    # Release 1 answered advice with the expertise at hand ad hoc (line 3); release 2 does so only for a Government,
    # so this parliament's request falls to line 4, and the page says a Government requester would get advice.
    assert "Ask for missing information" in page.locator(".recommendation").inner_text()
    assert "Respond as one-off advice\nif Kind of requester changes" in page.inner_text("ul.changes")
    ines.shot("m2-decision-by-release-2")

    checked = engage("log", "verify", "--db", db)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The Board member verifies the log on the audit page too: the same answer, with the anchor to keep.
    page = boris.page
    page.goto("/audit")
    page.get_by_role("button", name="Verify now").click()
    page.locator("#verify-result").wait_for()
    result = page.inner_text("#verify-result")
    assert "The decision log is intact" in result and "Verification started by boris" in result, result
    boris.shot("m2-audit-verified")
    for who in (aline, boris, ines):
        who.close()
