"""Issue 12's browser editor in real Chromium against `engage serve`: an author opens a rule file, breaks a rule,
fixes it guided by the messages at their lines, and proposes it; a Board member approves it; the next request
entered in the form is decided by it and names it; `engage log verify` finds the log intact.

Screenshots of the editor with its messages (1280 px and 390 px) go to ``$ENGAGE_SCREENSHOTS`` (or ``/tmp/h1-shots``
when that folder exists).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ..helpers import axe
from ..helpers.support import ROOT
from .test_browser import PASSWORD, User, browser, engage, screenshots_folder  # noqa: F401  (browser is a fixture)
from .test_release_browser import NEW, OLD, served  # noqa: F401  (served is a fixture: the examples' log behind engage serve)

pytestmark = pytest.mark.browser
# The new condition with its list left open: the YAML parser stops at the end of the line.
BROKEN = NEW.replace("un_country_team]}", "un_country_team}")
# Each line number at the height of its line of text: the gutter's first line where the text's starts, one line-height apart.
ALIGNED = """() => { const t = document.getElementById('text'); const cs = getComputedStyle(t);
  const first = t.getBoundingClientRect().top + parseFloat(cs.borderTopWidth) + parseFloat(cs.paddingTop);
  const height = parseFloat(cs.lineHeight);
  return [...document.querySelectorAll('.gutter span')].filter((s, i) =>
    Math.abs(s.getBoundingClientRect().top - first - i * height) > 0.5).map(s => s.id); }"""
CARET_LINE = """() => { const t = document.getElementById('text');
  return t.value.slice(0, t.selectionStart).split('\\n').length; }"""


def test_an_author_fixes_a_broken_rule_in_the_editor_guided_by_its_messages_and_the_board_approves_it(
    browser: Any,  # noqa: F811
    served: tuple[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    address, db = served
    shots = screenshots_folder(tmp_path, "/tmp/h1-shots")
    aline, boris, ines = (User(browser, address, shots, n) for n in ("aline", "boris", "ines"))
    for who in (aline, boris, ines):
        who.sign_in()
    shipped = (ROOT / "rules" / "outcome.yaml").read_text("utf-8")
    assert OLD in shipped
    broken_line = shipped[: shipped.index(OLD)].count("\n") + 2  # the new condition is the second line of NEW

    # From the Releases page to the editor, to the outcome table.
    page = aline.page
    page.goto("/releases")
    page.get_by_role("link", name="Open the editor").click()
    page.wait_for_url("**/releases/editor")
    assert axe.summary(axe.violations(page)) == []
    page.get_by_role("link", name="rules/outcome.yaml").click()
    page.wait_for_url("**/releases/editor/rules/outcome.yaml")
    text = page.get_by_label("Contents of rules/outcome.yaml")
    assert text.input_value() == shipped

    # A broken rule: Check names the file, line and column, and marks the line.
    text.fill(shipped.replace(OLD, BROKEN))
    assert page.locator(".gutter span").count() == shipped.replace(OLD, BROKEN).count("\n") + 1  # numbers follow the text
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_url("**/releases/editor/check")
    assert "The files do not load cleanly: 1 error." in page.inner_text("#check-result")
    message = page.locator("ul.messages a").first
    assert message.inner_text().startswith(f"rules/outcome.yaml:{broken_line}:"), message.inner_text()
    mark = page.locator(f".gutter span#L{broken_line}")
    assert mark.get_attribute("class") == "mark error" and "yaml-syntax" in (mark.get_attribute("title") or "")
    assert page.evaluate(ALIGNED) == []
    assert axe.summary(axe.violations(page)) == []
    aline.shot("h1-editor-messages")
    aline.shot("h1-editor-messages-top", full_page=False)
    # The message's link takes the caret to its line, where the message is said under the text box.
    message.click()
    assert page.evaluate("document.activeElement.id") == "text"
    assert page.evaluate(CARET_LINE) == broken_line
    assert "[yaml-syntax]" in page.inner_text("#line-messages")
    under = page.evaluate(f"""() => document.getElementById('line-messages').getBoundingClientRect().top
      - document.getElementById('L{broken_line}').getBoundingClientRect().bottom""")
    assert abs(under) < 1  # just under its line
    aline.shot("h1-editor-at-line", full_page=False)
    # Tab leaves the text box (no keyboard trap): the next stop is Check.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "check"
    # Propose is refused while the rules do not load.
    page.get_by_label("What changes and why").fill("Advice at once only when a Government or the UN country team asks")
    page.get_by_role("button", name="Check and propose").click()
    assert "Nothing is proposed: the rules have 1 error." in page.inner_text("#release-error")
    files = aline.context.new_page()
    files.goto("/releases/editor")
    assert "rules/outcome.yaml changed in your draft" in files.inner_text("main")
    files.screenshot(path=str(shots / "h1-editor-files.png"), full_page=True)
    files.close()

    # The same page on a phone: the draft and its messages are kept on the server for the author.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, base_url=address)
    small = phone.new_page()
    small.goto("/login")
    small.get_by_label("Name").fill("aline")
    small.get_by_label("Password").fill(PASSWORD)
    small.get_by_role("button", name="Sign in").click()
    small.get_by_role("heading", name="Start").wait_for()
    small.goto("/releases/editor/rules/outcome.yaml")
    assert small.locator(f".gutter span#L{broken_line}.mark.error").count() == 1
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    small.screenshot(path=str(shots / "h1-editor-messages-390.png"), full_page=True)
    small.locator("#check-result").scroll_into_view_if_needed()
    small.screenshot(path=str(shots / "h1-editor-messages-390-top.png"))
    phone.close()

    # Without script it is a plain text box: the server's numbers stand beside their lines and mark the broken one.
    plain = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=address, java_script_enabled=False)
    bare = plain.new_page()
    bare.goto("/login")
    bare.get_by_label("Name").fill("aline")
    bare.get_by_label("Password").fill(PASSWORD)
    bare.get_by_role("button", name="Sign in").click()
    bare.get_by_role("heading", name="Start").wait_for()
    bare.goto("/releases/editor/rules/outcome.yaml")
    assert bare.locator(f".gutter span#L{broken_line}.mark.error").count() == 1
    assert bare.evaluate(ALIGNED) == []
    assert "linear-gradient" in (bare.get_by_label("Contents of rules/outcome.yaml").get_attribute("style") or "")
    plain.close()

    # Fixed: Check says the files load cleanly; Propose makes release 2 with its checks.
    text = page.get_by_label("Contents of rules/outcome.yaml")
    text.fill(shipped.replace(OLD, NEW))
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_url("**/releases/editor/check")
    assert "The files load cleanly and lint finds no error" in page.inner_text("#check-result")
    assert page.locator(".gutter span.mark.error").count() == 0
    aline.shot("h1-editor-clean")
    assert page.get_by_label("What changes and why").input_value().startswith("Advice at once only")
    page.get_by_role("button", name="Check and propose").click()
    page.wait_for_url("**/releases/2?notice=release_proposed")
    assert page.get_by_role("heading", level=1).inner_text() == "Release 2: proposed"
    assert "edited in the browser: rules/outcome.yaml" in page.inner_text("main")

    # The Board member sees its impact and approves it.
    page = boris.page
    page.goto("/releases/2")
    assert "Against release 1, in force today: 1 change." in page.inner_text("main")
    assert page.locator("section[aria-labelledby=impact] a[href^='/decisions/']").count() == 1
    boris.shot("h1-release-proposed")
    page.get_by_label("Justification").fill("Ad hoc advice to parliaments goes through the needs assessment")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/releases/2?notice=release_step")
    assert page.get_by_role("heading", level=1).inner_text() == "Release 2: in force"
    boris.shot("h1-release-approved")
    page.goto("/releases")
    boris.shot("h1-releases-list")
    page.goto("/releases/1")
    assert re.search(r"Adopted at first use by\s+seed", page.inner_text("dl.pairs"))
    boris.shot("h1-release-1")

    # A new request is decided by release 2, and its page names it.
    page = ines.page
    page.goto("/requests/new")
    page.get_by_label("Reference").fill("REQ-E2E-EDIT-1")
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
    assert "Decided by release 2 of the rules, approved by boris on " in page.inner_text("main")
    assert "Ask for missing information" in page.locator(".recommendation").inner_text()

    checked = engage("log", "verify", "--db", db)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for who in (aline, boris, ines):
        who.close()
