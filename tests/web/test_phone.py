"""Every page of the web application on a 390 px phone, in a real Chromium against `engage serve`.

The pages are enumerated from the application's own route declarations, so a new page that is
not listed here fails the test until it is visited.  The log holds what makes pages long and
wide: the examples' decisions (two with exceptions), a human decision departing from the
recommendation, a correction, a draft and a batch upload.  On every page: nothing wider than
the window (tables scroll inside their own labelled box), charts whose labels stay legible,
and in the queue no header cell's text running into another's.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter

from engine.web.pages import PAGE_MODULES
from engine.web.routing import Declared, Pages

from ..helpers import axe
from ..helpers.logsupport import AS_OF, EXAMPLES
from ..helpers.serving import engage_serve
from ..helpers.support import ROOT
from .test_browser import GOOD_ROW, HEADER, PASSWORD, engage

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
USERS = {"intake": "ines", "board": "boris", "author": "aline", "admin": "adam"}
# Routes that answer with a file to save, not a page to read on the screen.
DOWNLOADS = {"/batch/template.xlsx", "/audit/decisions.csv", "/audit/report.html"}
# The addresses visited for a route with a parameter or with states of its own.
VISITS = {
    "/": ["/"],
    "/login": ["/login"],
    "/requests/new": ["/requests/new", "/requests/new?draft=1", "/requests/new?correct=3"],
    "/drafts": ["/drafts"],
    "/batch": ["/batch"],
    # 1: the summary of the batch uploaded below (its running state: tests/web/test_upload_browser.py)
    "/batch/jobs/{job_id}": ["/batch/jobs/1"],
    "/queue": ["/queue"],
    # 1: a departing human decision; 2: corrected; 5 and 6: exceptions; 7: missing information
    "/decisions/{seq}": ["/decisions/1", "/decisions/5", "/decisions/6", "/decisions/7", "/decisions/10"],
    # 7 asks the requester about civil society: its letter
    "/decisions/{seq}/letter": ["/decisions/7/letter"],
    "/audit": ["/audit"],
    "/rules": ["/rules"],
    "/rules/impact": ["/rules/impact"],
    "/accounts": ["/accounts"],
    "/releases": ["/releases"],
    # 1: adopted at first use; 2: proposed, with its diff and impact and the Board's forms
    "/releases/{number}": ["/releases/1", "/releases/2"],
    "/releases/editor": ["/releases/editor"],
    # after the author's check of a broken outcome table (below): its messages and their marks
    "/releases/editor/{kind}/{path:path}": ["/releases/editor/rules/outcome.yaml", "/releases/editor/criteria/fields.yaml"],
}
# Release 2 of the phone's log: one rule changed (a long diff line and an outcome change for the impact table).
RELEASE_OLD = "        - {field: expertise_available, equals: true}\n    outcome: respond_ad_hoc"
RELEASE_NEW = (
    "        - {field: expertise_available, equals: true}\n"
    "        - {field: requester.type, in: [government, un_country_team]}\n"
    "    outcome: respond_ad_hoc"
)
MIN_CHART_TEXT_PX = 10  # the charts are drawn with 11-unit text: at scale 1 it reads as 11 px

# What is too wide on the page: elements sticking out of the window that no scrolling box of their own holds.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const held = e => { for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > width + 0.5 && !held(e) && getComputedStyle(e).position !== 'absolute') {
      out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string'
        ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' right=' + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: out.slice(0, 6)};
}"""
# Each chart's text as drawn: its font size times the scale its svg is shown at.
CHART_TEXT = """() => [...document.querySelectorAll('svg[viewBox] text')].map(t => {
  const svg = t.ownerSVGElement; const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * scale; })"""
# The text of each header cell of each queue table, as a box: none may run into another or out of its cell.
HEADER_TEXT = """() => [...document.querySelectorAll('table.queue')].map(table =>
  [...table.querySelectorAll('thead th')].map(th => {
  const range = document.createRange(); range.selectNodeContents(th);
  const t = range.getBoundingClientRect(), c = th.getBoundingClientRect();
  return {text: th.innerText, left: t.left, right: t.right, top: t.top, bottom: t.bottom, cellLeft: c.left, cellRight: c.right};
}))"""


def declared_routes() -> Declared:
    """The application's routes and their roles, as its page modules declare them."""
    pages = Pages(APIRouter())
    for module in PAGE_MODULES:
        module.register(pages)
    return pages.declared


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("phone")
    db = f"sqlite:///{folder / 'log.sqlite3'}"
    for role, name in USERS.items():
        done = engage("users", "add", name, "--role", role, "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    recorded = engage("evaluate", str(EXAMPLES), "--as-of", AS_OF, "--record", "--db", db, "--user", "seed", "--quiet")
    assert recorded.returncode == 0, recorded.stderr
    departs = ("log", "decide", "1", "--decision", "decline", "--by", "boris", "--justification", "The Board waits for March")
    assert engage(*departs, "--db", db).returncode == 0
    rules, criteria = folder / "rules", folder / "criteria"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    shutil.copytree(ROOT / "criteria", criteria)
    outcome = rules / "outcome.yaml"
    outcome.write_text(outcome.read_text("utf-8").replace(RELEASE_OLD, RELEASE_NEW), "utf-8")
    offer = ("rules", "propose", "--rules", str(rules), "--criteria", str(criteria), "--effective", "2026-12-01")
    proposed = engage(*offer, "--by", "aline", "--note", "Advice at once only when a Government asks", "--db", db)
    assert proposed.returncode == 0 and proposed.stdout == "2\n", proposed.stderr
    with engage_serve(db) as (address, _):
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with axe.chromium() as launched:
        yield launched


def signed_in(browser: Any, server: str, role: str) -> Any:
    # Not is_mobile: a mobile Chromium widens its layout to fit a page too wide, which would hide the fault.
    context = browser.new_context(viewport=PHONE, base_url=server)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Name").fill(USERS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Start").wait_for()
    return page


def problems_of(page: Any, where: str) -> list[str]:
    found: list[str] = []
    shown = page.evaluate(OVERFLOW)
    assert shown["innerWidth"] == PHONE["width"]
    if shown["scrollWidth"] > shown["innerWidth"]:
        found.append(f"{where}: {shown['scrollWidth']} px wide in a {shown['innerWidth']} px window; {shown['wide']}")
    small = [round(px, 1) for px in page.evaluate(CHART_TEXT) if px < MIN_CHART_TEXT_PX]
    if small:
        found.append(f"{where}: {len(small)} chart labels under {MIN_CHART_TEXT_PX} px (smallest {min(small)} px)")
    for table in page.evaluate(HEADER_TEXT):
        for i, a in enumerate(table):
            if a["left"] < a["cellLeft"] - 0.5 or a["right"] > a["cellRight"] + 0.5:
                found.append(f"{where}: the queue header {a['text']!r} runs out of its cell")
            for b in table[i + 1 :]:
                apart = a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
                if not apart:
                    found.append(f"{where}: the queue headers {a['text']!r} and {b['text']!r} overlap")
    return list(dict.fromkeys(found))  # each queue table has the same header: say it once


def test_every_page_fits_a_390_px_phone(browser: Any, phone_server: str, tmp_path: Path) -> None:
    shots = Path("/tmp/h2-shots") if Path("/tmp/h2-shots").is_dir() else tmp_path
    routes = {path: roles for (method, path), roles in declared_routes().items() if method == "GET"}
    assert set(routes) - DOWNLOADS == set(VISITS), "a page was added or removed: list the addresses to visit in VISITS"
    pages = {role: signed_in(browser, phone_server, role) for role in USERS}
    problems: list[str] = []

    # What only a submitted form shows: a correction, a draft, a batch's results, an impact, a form with errors.
    intake = pages["intake"]
    intake.goto("/requests/new?correct=2")
    intake.get_by_label("Why is it updated?").fill("The requester confirmed the budget")
    intake.get_by_role("button", name="Evaluate again and record the update").click()
    intake.wait_for_url("**/decisions/*")
    intake.goto("/requests/new")
    intake.get_by_label("Reference").fill("REQ-PHONE-DRAFT")
    intake.get_by_role("button", name="Save as draft").click()
    intake.goto("/requests/new")
    intake.get_by_label("Reference").fill("REQ-PHONE-1")
    intake.get_by_label("Duration (months)", exact=True).fill("two years")
    intake.get_by_role("button", name="Evaluate and record").click()
    problems += problems_of(intake, "the request form with a problem")
    batch = tmp_path / "phone.csv"
    batch.write_text("\n".join([HEADER, GOOD_ROW.format(n=2), GOOD_ROW.format(n=3).replace(",yes,", ",maybe,", 1)]) + "\n")
    intake.goto("/batch")
    intake.get_by_label("File of requests").set_input_files(str(batch))
    intake.get_by_role("button", name="Upload and evaluate").click()
    intake.locator("p.summary").wait_for()
    problems += problems_of(intake, "the batch results")
    intake.screenshot(path=str(shots / "phone-batch-results.png"), full_page=True)
    author = pages["author"]
    author.goto("/rules/impact")
    changed = tmp_path / "in_country_presence.yaml"
    changed.write_text((ROOT / "rules" / "in_country_presence.yaml").read_text().replace("status: unmet", "status: partial", 1))
    author.get_by_label("Rule or criteria file (.yaml)").set_input_files(str(changed))
    author.get_by_label("It replaces").select_option("rules/in_country_presence.yaml")
    author.get_by_role("button", name="Compare with the rules in force").click()
    author.get_by_role("heading", name="Changes of recommendation").wait_for()
    problems += problems_of(author, "the impact of a change")
    author.goto("/releases/editor/rules/outcome.yaml")
    text = author.get_by_label("Contents of rules/outcome.yaml")
    text.fill(text.input_value().replace("outcome: respond_ad_hoc", "outcome: [respond_ad_hoc", 1))
    author.get_by_role("button", name="Check", exact=True).click()
    author.locator("ul.messages").wait_for()
    problems += problems_of(author, "the editor's check")
    board = pages["board"]
    board.goto("/audit")
    board.get_by_role("button", name="Verify now").click()
    board.locator("#verify-result").wait_for()
    problems += problems_of(board, "the audit after verifying")

    visited = 0
    for path, addresses in VISITS.items():
        roles = routes[path]
        role = next((r for r in USERS if r in roles), "intake")
        for address in addresses:
            page = pages[role]
            response = page.goto(address)
            assert response is not None and response.status == 200, (address, role)
            problems += problems_of(page, f"{address} ({USERS[role]}, {role})")
            visited += 1
    signed_out = browser.new_context(viewport=PHONE, base_url=phone_server).new_page()
    signed_out.goto("/login")
    problems += problems_of(signed_out, "/login (signed out)")
    assert visited >= len(VISITS)
    board.goto("/queue")
    board.screenshot(path=str(shots / "phone-queue.png"), full_page=True)
    board.goto("/decisions/1")
    board.screenshot(path=str(shots / "phone-decision.png"), full_page=True)
    board.goto("/audit")
    board.screenshot(path=str(shots / "phone-audit.png"), full_page=True)
    board.goto("/releases/2")
    board.screenshot(path=str(shots / "phone-release.png"), full_page=True)
    assert not problems, "\n".join(problems)
