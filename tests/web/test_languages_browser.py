"""Every page in French and in Spanish, in a real Chromium against `engage serve`, at 1280 and 390 px.

The pages are those the phone test visits (enumerated from the route declarations there).  On
each: no catalogue key shown instead of its text, no English string of the catalogue left where
the language has its own, and no text running out of its box.  French comes from the browser's
language (Chromium's ``--lang``, sent as Accept-Language); Spanish is chosen with the switcher in
the frame, with the keyboard, which stores it in each account.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from engine.web import catalogues

from ..helpers import axe
from ..helpers.support import ROOT, shipped_engine
from .test_browser import GOOD_ROW, HEADER, PASSWORD

# browser and phone_server are the phone test's fixtures: the same server, log and accounts.
from .test_phone import DOWNLOADS, OVERFLOW, USERS, VISITS, browser, declared_routes, phone_server  # noqa: F401

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)
RULE_IDS = {r.id for r in shipped_engine().policy.all_rules()}
PREFIXES = sorted({key.split(".", 1)[0] for key in catalogues.read("en")})
# Strings that read the same in the language as in English (names, codes, shared words).
SHARED = {"Engage", "Total", "Points", "Actions", "Audit", "Condition", "Justification", "Note", "Token", "Version", "Facteur"}

# Every visible text node and the names a screen reader reads (aria-label, title, placeholder), with where it is;
# and each box whose text is wider than it (scrollWidth > clientWidth) where nothing scrolls it on purpose.
SCAN = """() => {
  const texts = [];
  const skip = e => e.closest('script, style, pre, code, textarea, .visually-hidden, [hidden]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.replace(/\\s+/g, ' ').trim();
    if (t && n.parentElement && !skip(n.parentElement)) texts.push(t);
  }
  for (const e of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    for (const a of ['aria-label', 'title', 'placeholder']) { const v = e.getAttribute(a); if (v) texts.push(v.trim()); }
  }
  const wide = [];
  const boxes = 'h1, h2, h3, h4, p, label, legend, button, a, th, td, li, dt, dd, summary, caption, '
    + '.button, .status, .flag, .card';
  for (const e of document.querySelectorAll(boxes)) {
    const s = getComputedStyle(e);
    if (s.display === 'inline' || s.display === 'none' || !e.clientWidth || s.overflowX !== 'visible') continue;
    if (e.closest('.visually-hidden')) continue;
    if (e.scrollWidth > e.clientWidth + 1) {
      const cls = typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
      wide.push(e.tagName.toLowerCase() + cls + ' "' + e.innerText.slice(0, 40) + '" ' + e.scrollWidth + '>' + e.clientWidth);
    }
  }
  const root = document.documentElement;
  return {lang: root.lang, texts, wide, pageWidth: root.scrollWidth, window: window.innerWidth};
}"""


def untranslated_policy_words(lang: str) -> set[str]:
    """The policy's texts not yet written in ``lang`` (``engage lint`` lists them): shown in English, as written."""
    return {str(text).strip() for text in shipped_engine().policy.texts if not text.translations.get(lang)}


def english_left(lang: str) -> set[str]:
    """The English of every catalogue string the language says otherwise (without values to fill in).

    Less the policy's own words the policy has not yet written in the language: where the catalogue's
    "Requested by" and a field's label "Requested by" meet, the field's label is the policy's to translate.
    """
    english, theirs = catalogues.read("en"), catalogues.read(lang)
    policy_gaps = untranslated_policy_words(lang)
    out = set()
    for key, m in english.items():
        for text in m.forms:
            other = theirs[key].forms
            shared = text.strip() in SHARED or text.strip() in policy_gaps
            if "{" not in text and not shared and text not in other and len(text.strip()) > 2:
                out.add(text.strip())
    return out


def is_key(text: str) -> bool:
    """A catalogue key shown as itself (``queue.title``), not a field's path (``requester.type``) nor a rule's id."""
    head, dot, rest = text.partition(".")
    return (
        bool(dot)
        and head in PREFIXES
        and text not in RULE_IDS
        and all(part.replace("_", "").replace("-", "").isalnum() for part in rest.split("."))
    )


def problems_of(page: Any, lang: str, where: str, english: set[str]) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scan = page.evaluate(SCAN)
        if scan["lang"] != lang:
            found.append(f"{where}: <html lang={scan['lang']!r}>")
        keys = sorted({t for t in scan["texts"] if is_key(t)})
        if keys:
            found.append(f"{where}: keys shown as text: {keys[:6]}")
        left = sorted({t for t in scan["texts"] if t in english})
        if left:
            found.append(f"{where}: English left: {left[:6]}")
        if scan["wide"]:
            found.append(f"{where} at {width} px: text wider than its box: {scan['wide'][:4]}")
        if scan["pageWidth"] > scan["window"]:
            sticking_out = page.evaluate(OVERFLOW)["wide"]
            found.append(f"{where} at {width} px: the page is {scan['pageWidth']} px wide: {sticking_out}")
    return list(dict.fromkeys(found))


def sign_in(chromium: Any, server: str, role: str, locale: str) -> Any:
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900}, base_url=server, locale=locale)
    page = context.new_page()
    page.goto("/login")
    page.locator("#name").fill(USERS[role])
    page.locator("#password").fill(PASSWORD)
    page.locator('form[action="/login"] button[type="submit"]').click()
    page.locator("main h1").wait_for()
    return page


def save_a_draft(page: Any, reference: str) -> None:
    """A draft, for /requests/new?draft=1 (whichever of the tests runs first, or alone)."""
    page.goto("/requests/new")
    page.locator('[name="id"]').fill(reference)
    page.locator('button[value="draft"]').click()
    page.wait_for_url("**/requests/new?draft=*")


def shots_folder(tmp_path: Path) -> Path:
    given = os.environ.get("ENGAGE_SCREENSHOTS")
    folder = Path(given) if given else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_a_batch(intake: Any) -> None:
    """A two-row upload through the batch page, found by its parts rather than its words (any language)."""
    with tempfile.TemporaryDirectory() as folder:
        batch = Path(folder) / "lang.csv"
        batch.write_text("\n".join([HEADER, GOOD_ROW.format(n=2), GOOD_ROW.format(n=3)]) + "\n")
        intake.goto("/batch")
        intake.locator("input[type=file]").set_input_files(str(batch))
        intake.locator("form:has(input[type=file]) button[type=submit]").click()
        intake.locator("p.summary").wait_for()


def keep(page: Any, lang: str, name: str) -> None:
    """With ``$ENGAGE_SCREENSHOTS``, the page as it is, whole, at 1280 px, in ``DIR/<lang>/<name>.png``: to be looked at."""
    given = os.environ.get("ENGAGE_SCREENSHOTS")
    if not given:
        return
    folder = Path(given) / lang
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def shot_name(role: str, address: str) -> str:
    """``intake-decisions-7-letter`` for /decisions/7/letter seen by the intake officer."""
    return role + "-" + ("".join(c if c.isalnum() else "-" for c in address.strip("/")) or "start")


def what_forms_show(pages: dict[str, Any], lang: str, english: set[str]) -> list[str]:
    """The pages only a sent form shows, found by their parts rather than their words: each checked, each kept.

    A request with a problem, the impact of a changed file, the editor's check of a broken file, the audit
    after verifying.  The engine's own messages on them (the problem, lint's lines) are not the catalogue's.
    """
    problems: list[str] = []
    intake = pages["intake"]
    intake.goto("/requests/new")
    intake.locator('[name="id"]').fill(f"REQ-{lang.upper()}-PROBLEM")
    intake.locator('[name="request.duration_months"]').fill("two years")
    intake.locator('button[value="submit"]').click()
    intake.locator(".error-box").first.wait_for()
    problems += problems_of(intake, lang, f"{lang} the request form with a problem", english)
    keep(intake, lang, "intake-request-with-a-problem")
    author = pages["author"]
    with tempfile.TemporaryDirectory() as folder:
        changed = Path(folder) / "in_country_presence.yaml"
        shipped = (ROOT / "rules" / "in_country_presence.yaml").read_text("utf-8")
        changed.write_text(shipped.replace("status: unmet", "status: partial", 1), "utf-8")
        author.goto("/rules/impact")
        author.locator("#file").set_input_files(str(changed))
        author.locator("#replaces").select_option("rules/in_country_presence.yaml")
        author.locator('form:has(#file) button[type="submit"]').click()
        author.locator("#transitions").wait_for()
    problems += problems_of(author, lang, f"{lang} the impact of a change", english)
    keep(author, lang, "author-impact-result")
    author.goto("/releases/editor/rules/outcome.yaml")
    text = author.locator("#text")
    text.fill(text.input_value().replace("outcome: respond_ad_hoc", "outcome: [respond_ad_hoc", 1))
    author.locator("#check").click()
    author.locator("ul.messages").wait_for()
    problems += problems_of(author, lang, f"{lang} the editor's check", english)
    keep(author, lang, "author-editor-check")
    board = pages["board"]
    board.goto("/audit")
    board.locator('form[action^="/audit/verify"] button').click()
    board.locator("#verify-result").wait_for()
    problems += problems_of(board, lang, f"{lang} the audit after verifying", english)
    keep(board, lang, "board-audit-verified")
    return problems


def visit_every_page(pages: dict[str, Any], lang: str) -> tuple[list[str], int]:
    routes = {path: roles for (method, path), roles in declared_routes().items() if method == "GET"}
    assert set(routes) - DOWNLOADS == set(VISITS), "a page was added: list it in test_phone.VISITS"
    english = english_left(lang)
    problems: list[str] = []
    upload_a_batch(pages["intake"])  # so that the summary page VISITS names exists on this server too
    keep(pages["intake"], lang, "intake-batch-result")
    problems += what_forms_show(pages, lang, english)
    visited = 0
    for path, addresses in VISITS.items():
        role = next((r for r in USERS if r in routes[path]), "intake")
        for address in addresses:
            page = pages[role]
            response = page.goto(address)
            assert response is not None and response.status == 200, (address, role, lang)
            problems += problems_of(page, lang, f"{lang} {address} ({role})", english)
            keep(page, lang, shot_name(role, address))
            visited += 1
    return problems, visited


def test_every_page_in_french_from_the_browsers_language(browser: Any, phone_server: str, tmp_path: Path) -> None:  # noqa: F811
    pages = {role: sign_in(browser, phone_server, role, "fr-FR") for role in USERS}
    intake = pages["intake"]
    assert intake.evaluate("document.documentElement.lang") == "fr"
    save_a_draft(intake, "REQ-FR-BROUILLON")
    intake.get_by_text("Le brouillon est enregistré.").wait_for()
    problems, visited = visit_every_page(pages, "fr")
    signed_out = browser.new_context(base_url=phone_server, locale="fr-FR").new_page()
    signed_out.goto("/login")
    problems += problems_of(signed_out, "fr", "fr /login (signed out)", english_left("fr"))
    assert signed_out.get_by_role("heading", name="Connexion").is_visible()

    # axe-core on the pages with the most to say, in French: the switcher, lang attributes, labels.
    for page, address in ((signed_out, "/login"), (intake, "/queue"), (intake, "/decisions/5"), (pages["admin"], "/accounts")):
        page.goto(address)
        found = axe.violations(page)
        assert axe.summary(found) == [], address

    shots = shots_folder(tmp_path)
    intake.set_viewport_size({"width": 1280, "height": 900})
    for name, address, page in (
        ("fr-queue", "/queue", intake),
        ("fr-decision", "/decisions/7", intake),
        ("fr-request-form", "/requests/new", intake),
    ):
        page.goto(address)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    assert visited >= len(VISITS) and not problems, "\n".join(problems)


def test_every_page_in_spanish_chosen_with_the_switcher_and_the_keyboard(
    browser: Any,  # noqa: F811
    phone_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    pages = {role: sign_in(browser, phone_server, role, "en-GB") for role in USERS}
    for page in pages.values():
        page.goto("/queue?human=awaiting" if page is pages["intake"] else "/")
        assert page.evaluate("document.documentElement.lang") == "en"
        switch = page.get_by_role("button", name="Español")
        switch.focus()
        page.keyboard.press("Enter")
        page.locator('html[lang="es"]').wait_for(state="attached")  # no string to evaluate: the pages' CSP forbids eval
    assert pages["intake"].url.endswith("/queue?human=awaiting")  # the switcher keeps the page it was on
    assert pages["intake"].get_by_role("heading", name="Cola", exact=True).is_visible()
    save_a_draft(pages["intake"], "REQ-ES-BORRADOR")
    problems, visited = visit_every_page(pages, "es")
    shots = shots_folder(tmp_path)
    board = pages["board"]
    board.set_viewport_size({"width": 390, "height": 844})
    for name, address in (("es-audit-390", "/audit"), ("es-decision-390", "/decisions/5")):
        board.goto(address)
        board.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        board.screenshot(path=str(shots / f"{name}-top.png"))
    assert visited >= len(VISITS) and not problems, "\n".join(problems)


def test_the_checks_see_a_key_english_left_and_text_wider_than_its_box(browser: Any) -> None:  # noqa: F811
    page = browser.new_page()
    page.set_content(
        '<html lang="fr"><body><p style="width:60px;white-space:nowrap">Enregistrer la décision</p>'
        "<button>queue.title</button><label>Record the decision</label><p>requester.type</p></body></html>"
    )
    found = problems_of(page, "fr", "probe", english_left("fr"))
    assert any("keys shown as text: ['queue.title']" in p for p in found), found  # not requester.type: a field's path
    assert any("English left: ['Record the decision']" in p for p in found), found
    assert any("at 1280 px: text wider than its box" in p and "Enregistrer" in p for p in found), found
    page.close()
