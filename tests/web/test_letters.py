"""The request for information in the web: the decision page's button, the letter's page, the log, the queue."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.log.audit import verify
from engine.log.inforequests import requests_on
from engine.log.store import INFORMATION_REQUEST, records

from ..helpers.logsupport import execute_bypassing_triggers
from ..helpers.websupport import AS_OF, Site, request_form, site, submit, token_of

# Civil society's part unknown (the requester answers) and the office's staffing unknown (the Office does).
ASKING = {"partnership.civil_society_involved": "", "presence.adequately_staffed": ""}


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def record(web: Site, **fields: str) -> int:
    """Evaluate and record a request through the form; the number of its decision."""
    client = web.client("intake")
    response = submit(client, request_form(**{**ASKING, **fields}))
    assert response.status_code == 303, response.text
    found = re.search(r"/decisions/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def prepare(client: TestClient, seq: int, lang: str | None = None) -> Any:
    data = {"csrf_token": token_of(client, f"/decisions/{seq}")}
    if lang:
        data["lang"] = lang
    return client.post(f"/decisions/{seq}/letter", data=data)


def test_the_decision_page_offers_the_request_for_information_to_intake_only(web: Site) -> None:
    seq = record(web)
    intake = web.client("intake").get(f"/decisions/{seq}").text
    assert "Request for information" in intake and "Prepare the request for information" in intake
    assert "Is civil society consulted or taking part?" in intake or "is civil society consulted or taking part?" in intake
    assert "not been requested from the requester yet" in intake
    board = web.client("board").get(f"/decisions/{seq}").text
    assert "Request for information" in board and "Prepare the request for information" not in board
    # The requester's language is the letter's by default.
    spanish = record(web, id="REQ-WEB-0002", **{"requester.language": "es"})
    page = web.client("intake").get(f"/decisions/{spanish}").text
    assert re.search(r'<option value="es" lang="es" selected>', page)


def test_the_letter_routes_by_role(web: Site) -> None:
    seq = record(web)
    for role in ("board", "author", "admin"):
        client = web.client(role)
        assert client.get(f"/decisions/{seq}/letter").status_code == 403
        assert prepare(web.client("intake"), seq).status_code == 303  # intake's token: the role is what is refused
        token = token_of(client, "/")
        assert client.post(f"/decisions/{seq}/letter", data={"csrf_token": token}).status_code == 403
    anonymous = web.client()
    assert anonymous.get(f"/decisions/{seq}/letter").status_code == 303  # to the sign-in page
    assert web.client("intake").get("/decisions/999/letter").status_code == 404
    with web.store.reading() as conn:  # only intake's three preparations were recorded
        assert len(requests_on(web.store, conn, seq)) == 3


def test_preparing_records_who_asked_when_and_in_which_language_and_the_page_shows_it(web: Site) -> None:
    seq = record(web)
    client = web.client("intake")
    response = prepare(client, seq, "fr")
    assert response.status_code == 303
    assert response.headers["location"] == f"/decisions/{seq}/letter?lang=fr&notice=info_requested"
    page = client.get(response.headers["location"]).text
    assert "Recorded in the log: information was requested" in page
    assert "Madame, Monsieur," in page and "REQ-WEB-0001" in page and "Support to the national human rights institution" in page
    assert "2 novembre 2026" in page  # the day received, as French writes it
    assert '<textarea id="email-text" readonly' in page and "Objet : Votre demande REQ-WEB-0001" in page
    assert 'id="email-subject" type="text" readonly value="Votre demande REQ-WEB-0001' in page
    # Only what the requester answers is asked: the Office's own staffing is not in the letter.
    letter = page[page.index('<article class="letter-sheet"') : page.index("</article>")]
    assert '<ol class="letter-questions"><li>' in letter and letter.count("<li>") == 1
    assert "staff" not in letter
    with web.store.reading() as conn:
        (asked,) = requests_on(web.store, conn, seq)
    assert (asked.by, asked.language, asked.fields) == ("intake", "fr", ("partnership.civil_society_involved",))
    assert asked.record.kind == INFORMATION_REQUEST and asked.record.decides == seq
    # Switching the page's language shows the letter again in it, and records nothing more.
    spanish = client.get(f"/decisions/{seq}/letter?lang=es").text
    assert "Estimada señora, estimado señor:" in spanish and "2 de noviembre de 2026" in spanish
    english = client.get(f"/decisions/{seq}/letter?lang=en").text
    assert "Dear Sir or Madam," in english and "2 November 2026" in english
    with web.store.reading() as conn:
        assert len(requests_on(web.store, conn, seq)) == 1
    decision = client.get(f"/decisions/{seq}").text
    assert re.search(r"Information requested on 20\d\d-\d\d-\d\d \d\d:\d\d UTC by intake, in French\.", decision)
    assert "Open the letter" in decision
    assert verify(web.store).ok


def test_a_decision_that_asks_the_requester_nothing_has_no_letter(web: Site) -> None:
    seq = record(web, **{"partnership.civil_society_involved": "yes", "presence.adequately_staffed": "yes"})
    client = web.client("intake")
    assert "Prepare the request for information" not in client.get(f"/decisions/{seq}").text
    assert prepare(client, seq).status_code == 409
    assert client.get(f"/decisions/{seq}/letter").status_code == 409
    with web.store.reading() as conn:
        assert requests_on(web.store, conn, seq) == []


def test_an_edited_information_request_is_caught_by_verify(db: str) -> None:
    with site(db) as web:
        seq = record(web)
        assert prepare(web.client("intake"), seq, "es").status_code == 303
        with web.store.reading() as conn:
            (asked,) = requests_on(web.store, conn, seq)
        assert verify(web.store).ok
        # Someone changes who asked, behind the log's back.
        edit = "UPDATE log_records SET details = :d WHERE seq = :s"
        forged = (asked.record.details or "").replace('"by":"intake"', '"by":"someone else"')
        execute_bypassing_triggers(db, [(edit, {"d": forged, "s": asked.record.seq})])
        result = verify(web.store)
        assert [(p.seq, p.code) for p in result.problems] == [(asked.record.seq, "edited")]


def test_the_queue_shows_how_long_a_request_has_waited_for_the_answer(db: str) -> None:
    today = {"day": AS_OF}
    with site(db, today=lambda: today["day"]) as web:
        waiting = record(web)
        other = record(web, id="REQ-WEB-0002")
        assert prepare(web.client("intake"), waiting).status_code == 303
        asked_on = date.fromisoformat(_asked_at(web, waiting)[:10])
        today["day"] = asked_on + timedelta(days=12)
        page = web.client("board").get("/queue").text
        assert "Waiting for the requester" in page
        rows = {}
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
            link = re.search(r'href="/decisions/(\d+)"', row)
            if link:
                rows[int(link.group(1))] = row
        assert "12 days" in rows[waiting]
        assert re.search(rf"asked on <span class=\"nowrap\">{asked_on.isoformat()}<", rows[waiting])
        assert "days" not in rows[other] and "asked on" not in rows[other]
        today["day"] = asked_on + timedelta(days=1)
        assert "1 day<" in web.client("board").get("/queue").text


def _asked_at(web: Site, seq: int) -> str:
    with web.store.reading() as conn:
        found = web.store.select(conn, records.c.decides == seq, records.c.kind == INFORMATION_REQUEST)
    return found[0].recorded_at


def test_the_letter_page_keeps_the_frames_language_switcher(web: Site) -> None:
    """The letter's own language list must not stand in for the frame's (it once gave buttons "n", "r", "s")."""
    seq = record(web)
    client = web.client("intake")
    prepare(client, seq, "fr")
    page = html.unescape(client.get(f"/decisions/{seq}/letter?lang=es").text)
    frame = page[page.index('<form class="lang"') :]
    frame = frame[: frame.index("</form>")]
    assert '<span class="lang-current" lang="en" aria-current="true">English</span>' in frame
    for code, name in (("fr", "Français"), ("es", "Español")):
        assert f'name="lang" value="{code}" lang="{code}">{name}</button>' in frame
    decision = client.get(f"/decisions/{seq}/letter?lang=es", headers={"accept-language": "fr"}).text
    assert re.search(r"Informations demandées le \d{1,2} [a-zéû.]+ 20\d\d, \d\d:\d\d UTC", html.unescape(decision))


def test_the_letter_page_shows_hidden_characters_by_their_code_points(web: Site) -> None:
    title, name = "Training \u202eslaiciffo\u202c of\u200b judges", "Ministry \u2066of\u2069 Justice"
    seq = record(web, **{"request.title": title, "requester.name": name})
    client = web.client("intake")
    response = prepare(client, seq)
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert not set(page) & {"\u202e", "\u202c", "\u200b", "\u2066", "\u2069"}
    letter = page[page.index('<article class="letter-sheet"') : page.index("</article>")]
    assert "Training &lt;U+202E&gt;slaiciffo&lt;U+202C&gt; of&lt;U+200B&gt; judges" in letter
    assert "Ministry &lt;U+2066&gt;of&lt;U+2069&gt; Justice" in letter
    email = page[page.index('<textarea id="email-text"') :]
    assert "Ministry &lt;U+2066&gt;of&lt;U+2069&gt; Justice" in email[: email.index("</textarea>")]
