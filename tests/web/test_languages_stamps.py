"""The moments the pages show (a token's days, a verification's end, an upload's start) as the page's language writes them.

The store keeps ISO 8601 stamps (``2026-11-24T09:00:00.000000+00:00``); English shows them as ISO text,
French and Spanish as Babel writes a date there (``24 nov. 2026``, ``24 nov 2026``), never the stamp itself.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from engine.i18n.formats import format_date

from ..helpers.websupport import Site, request_form, site, submit, token_of

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
TAG = re.compile(r"<[^>]*>")


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def text_of(page: str, start: str, end: str) -> str:
    """The words a reader sees between two marks of the page (tags and attributes left out)."""
    part = page[page.index(start) :]
    return html.unescape(TAG.sub(" ", part[: part.index(end)]))


def verified(web: Site) -> None:
    """A verification by the Board member, run to its end (as its thread would, without waiting for one)."""
    kept: list[Callable[[], None]] = []

    def keep(job: Callable[[], None]) -> threading.Thread | None:
        kept.append(job)
        return None

    verifications = web.app.state.web.verifications
    verifications.start_job = keep
    board = web.client("board")
    assert board.post("/audit/verify", data={"csrf_token": token_of(board, "/audit")}).status_code == 303
    kept.pop()()


def test_tokens_verifications_and_uploads_show_their_moments_in_the_pages_language(web: Site) -> None:
    assert submit(web.client("intake"), request_form(id="REQ-STAMPS-1")).status_code == 303
    admin = web.client("admin")
    made = admin.post("/accounts/board/tokens", data={"csrf_token": token_of(admin, "/accounts"), "days": "30"})
    assert made.status_code in (200, 303)
    verified(web)
    job = web.app.state.web.uploads.create("stamps.csv", 10, "intake")  # still running: its page says when it began
    board, intake = web.client("board"), web.client("intake")
    now = web.clock()
    for lang in ("fr", "es"):
        headers = {"accept-language": lang}
        today = format_date(now.date(), lang, "medium")
        expiry = format_date(now.date() + timedelta(days=30), lang, "medium")
        tokens = text_of(admin.get("/accounts", headers=headers).text, 'id="tokens"', "</table>")
        assert today in tokens and expiry in tokens, (lang, tokens)
        assert not ISO_DAY.search(tokens), (lang, tokens)
        audit = text_of(board.get("/audit", headers=headers).text, 'id="verify"', "</section>")
        assert f"{today}, {now:%H:%M:%S}" in audit, (lang, audit)
        assert not ISO_DAY.search(audit), (lang, audit)
        upload = text_of(intake.get(f"/batch/jobs/{job}", headers=headers).text, "<main", "</main>")
        assert f"{today}, {now:%H:%M:%S}" in upload and not ISO_DAY.search(upload), (lang, upload)
    # English keeps the ISO text the office's English documents use, to the second where it was.
    stamp = f"{now:%Y-%m-%d %H:%M:%S}"
    assert stamp in html.unescape(board.get("/audit").text)
    assert stamp in html.unescape(intake.get(f"/batch/jobs/{job}").text)
    english_tokens = text_of(admin.get("/accounts").text, 'id="tokens"', "</table>")
    assert f"{now:%Y-%m-%d}" in english_tokens
