"""The request for information in real Chromium: prepared from the decision page, printed, copied.

Against `engage serve` with the shipped examples recorded (the same fixtures as test_browser.py).
Screenshots: ``letter-screen.png`` (the page), ``letter-print.png`` (the page as printed),
``letter-decision.png`` (the decision page's section, after) and ``letter-queue.png`` (the queue's
waiting column), in ``$ENGAGE_SCREENSHOTS`` or a temporary folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .test_browser import browser, server, shots, user  # noqa: F401 - the fixtures, shared

pytestmark = pytest.mark.browser


def test_an_officer_prepares_a_spanish_letter_prints_it_and_copies_the_email(user: Any, shots: Path) -> None:  # noqa: F811
    ines = user("ines")
    page = ines.page
    page.goto("/decisions/7")  # REQ-2026-0107, the example missing information
    section = page.get_by_role("region", name="Request for information")
    assert "Information has not been requested from the requester yet." in section.inner_text()
    page.get_by_label("Language of the letter").select_option("es")
    page.get_by_role("button", name="Prepare the request for information").click()
    page.get_by_role("heading", name="Request for information on REQ-2026-0107").wait_for()
    assert re.search(r"/decisions/7/letter\?lang=es", page.url)
    assert "Recorded in the log: information was requested" in page.get_by_role("status").first.inner_text()
    letter = page.locator(".letter-sheet")
    text = letter.inner_text()
    assert "Estimada señora, estimado señor:" in text and "REQ-2026-0107" in text
    assert "Sección de Cooperación Técnica" in text
    assert page.locator(".letter-questions li").count() == 1
    # The script shows its buttons; the e-mail is one block, its subject line first.
    email = page.get_by_label("Text of the e-mail")
    assert email.input_value().startswith("Asunto: Su solicitud REQ-2026-0107: información adicional\n\n")
    assert page.get_by_label("Subject").input_value() == "Su solicitud REQ-2026-0107: información adicional"
    page.get_by_role("button", name="Copy the e-mail").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("document.activeElement.id") == "email-text"  # selected, for the keyboard's copy too
    assert page.evaluate("document.getSelection().toString() || document.activeElement.selectionEnd") not in ("", 0)
    ines.shot("letter-screen")

    # On paper: the letter alone, no navigation, no forms, no e-mail, on one A4 page.
    page.emulate_media(media="print")
    assert letter.is_visible()
    for hidden in (".top", "nav", ".letter-email", "form.letter-language", ".foot", "h1"):
        assert not page.locator(hidden).first.is_visible(), hidden
    box = letter.bounding_box()
    assert box is not None and box["x"] < 40  # the sheet's own border and margin are gone: the page's are used
    ines.shot("letter-print")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    page.emulate_media(media="screen")

    # Switching the language shows the letter again, and records nothing more.
    page.get_by_label("Language of the letter", exact=True).select_option("fr")
    page.get_by_role("button", name="Show").click()
    page.locator(".letter-sheet", has_text="Madame, Monsieur,").wait_for()
    page.goto("/decisions/7")
    asked = page.get_by_role("region", name="Request for information").inner_text()
    assert len(re.findall(r"Information requested on .* by ines, in Spanish\.", asked)) == 1
    page.get_by_role("heading", name="Request for information").scroll_into_view_if_needed()
    ines.shot("letter-decision", full_page=False)

    page.goto("/queue")
    row = page.locator("tr", has=page.get_by_role("link", name="REQ-2026-0107"))
    assert re.search(r"\b0 days\b", row.inner_text()) and "asked on" in row.inner_text()
    ines.shot("letter-queue")
