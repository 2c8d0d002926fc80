"""New request, drafts and corrections through the browser's forms, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from engine.log.audit import verify
from engine.log.logview import entries

from ..helpers.websupport import PASSWORD, Site, request_form, sign_in, site, submit, token_of


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def test_the_decision_page_says_which_one_answer_could_change_it_and_who_can_give_it(web: Site) -> None:
    client = web.client("intake")
    form = request_form(**{"request.kind": "advisory", "expertise_available": "unknown"})
    response = submit(client, form)
    assert response.status_code == 303
    page = html.unescape(client.get(response.headers["location"].split("?")[0]).text)
    assert "One answer could change it" in page
    section = page[page.index('id="could-change"') :]
    section = section[: section.index("</section>")]
    assert "Ask the Office: can the Office provide the expertise at once?" in section
    assert "It could lead to: Respond as one-off advice." in section and "<code>expertise_available</code>" in section
    assert 'id="missing"' not in page  # nothing blocks the decision: missing stays empty


def field_block(page: str, field_id: str) -> str:
    """The HTML of the form field whose input or fieldset has ``id``, up to the next field."""
    start = page.index(f'id="{field_id}"')
    begin = page.rfind('class="field', 0, start)
    end = page.find('class="field', start + 1)
    return page[begin : end if end > 0 else len(page)]


def test_a_request_with_an_unknown_answer_is_evaluated_recorded_and_shown_with_its_reasons(web: Site) -> None:
    client = web.client("intake")
    form = request_form(**{"presence.long_term_programming": "unknown"})
    response = submit(client, form)
    assert response.status_code == 303
    assert response.headers["location"] == "/decisions/1?notice=recorded"
    page = client.get("/decisions/1").text
    # recorded in the log, through the store: the request as the form gave it, the engine's decision
    with web.store.reading() as conn:
        (entry,) = entries(web.store, conn)
    assert entry.outcome == "request_information" and entry.record.recorded_by == "intake"
    stored = json.loads(entry.record.request or "{}")
    assert stored["presence"] == {"type": "country_office", "adequately_staffed": True}  # unknown: absent, never guessed
    assert stored["request"]["duration_months"] == 24 and stored["request"]["themes"] == [
        "legislative_reform",
        "nhri",
    ]  # in the vocabulary's order
    assert stored["priority"]["recommendations"] == [{"mechanism": "upr", "reference": "A/HRC/44/5 para 12"}]
    assert verify(web.store).ok
    # the page: the recommendation, the four conditions with word and icon, the reasons with linked citations
    assert "Ask for missing information" in page
    assert re.search(r'status-unknown"><span class="icon" aria-hidden="true">\?</span> Unknown', page)
    assert page.count('class="status status-met"') == 3
    assert 'href="https://undocs.org/E/CN.4/2006/104"' in page and "E/CN.4/2006/104 para 19(a)</a>" in page
    assert "Long-term programming" in page and "What is missing" in page  # the missing field, by its label
    assert "Ask the Office: is multi-year programming in place or agreed with the Government?" in page  # and its question
    assert "What would change the recommendation" in page and "Long-term programming is Yes" in page
    assert (
        "Notice" not in page
        and "The request is evaluated and its decision is recorded" in client.get("/decisions/1?notice=recorded").text
    )


def test_invalid_answers_come_back_next_to_their_fields_with_what_was_typed(web: Site) -> None:
    client = web.client("intake")
    form = request_form(**{"request.duration_months": "two years", "request.budget_usd": "1,000", "received": "24/11/2026"})
    response = submit(client, form)
    assert response.status_code == 422
    page = response.text
    assert "There are 3 problems with this request" in page
    duration = field_block(page, "f-request-duration_months")
    assert "must be a whole number" in duration and 'value="two years"' in duration and 'aria-invalid="true"' in duration
    assert "must be a number" in field_block(page, "f-request-budget_usd")
    assert "is not a date in the form YYYY-MM-DD" in field_block(page, "f-received")
    assert 'href="#f-request-duration_months"' in page  # the summary links to the field
    assert 'value="Ministry of Justice"' in page  # nothing typed is lost
    with web.store.reading() as conn:
        assert entries(web.store, conn) == []


def test_a_missing_reference_and_a_recommendation_without_mechanism_are_placed_on_their_field_and_row(web: Site) -> None:
    client = web.client("intake")
    form = request_form(id="", **{"priority.recommendations[0].mechanism": ""})
    page = submit(client, form).text
    assert "is blank" in field_block(page, "f-id") or "required field" in field_block(page, "f-id")
    row = page[page.index('id="f-priority-recommendations-0"') :]
    assert "mechanism" in row[: row.index("</li>")]


def test_a_blank_reference_and_a_blank_date_get_one_message_each_that_fits_the_form(web: Site) -> None:
    page = submit(web.client("intake"), request_form(id="", received="")).text
    assert "There are 2 problems with this request" in page
    for field_id in ("f-id", "f-received"):
        block = html.unescape(field_block(page, field_id))
        messages = re.findall(r'<p class="error"[^>]*>(.*?)</p>', block)
        assert len(messages) == 1, messages  # one mistake, one message
        assert messages[0].endswith("'' is blank: the field is required"), messages
    # A required field cannot be left out, and a blank one has no spaces to trim nor a format to follow.
    assert "leave the field out" not in page and "start or end with spaces" not in page and "YYYY-MM-DD" not in page
    # The date's hint names the picker's own order rather than another one.
    hint = html.unescape(field_block(page, "f-received"))
    assert "Choose the day in the calendar, or type it in the order the box shows" in hint


def test_the_mechanism_choices_show_the_vocabulary_labels_and_send_the_codes(web: Site) -> None:
    client = web.client("intake")
    page = client.get("/requests/new").text
    select = page[page.index('<select id="f-priority-recommendations-0-mechanism"') :]
    select = select[: select.index("</select>")]
    shown = dict(re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]*)</option>', select))
    vocabulary = web.app.state.web.engine.policy.vocab.mechanisms
    assert shown == {code: html.escape(term.label) for code, term in vocabulary.items()}
    assert shown["upr"] == "Universal periodic review"
    # The code is still what is sent and recorded; the page shows the label again.
    response = submit(client, request_form(**{"priority.recommendations[0].mechanism": "treaty_body"}))
    assert response.status_code == 303
    with web.store.reading() as conn:
        (entry,) = entries(web.store, conn)
    assert entry.record.request_data()["priority"]["recommendations"][0]["mechanism"] == "treaty_body"


def test_user_text_is_escaped_everywhere_it_is_shown(web: Site) -> None:
    client = web.client("intake")
    attack = '<script>alert("x")</script>'
    response = submit(client, request_form(**{"request.title": attack, "requester.name": attack}))
    assert response.status_code == 303
    for path in ("/decisions/1", "/queue"):
        page = client.get(path).text if path != "/queue" else web.client("board").get(path).text
        assert attack not in page
        assert html.escape(attack, quote=False) in page or "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    back = submit(client, request_form(id="REQ-WEB-0002", **{"request.title": attack, "request.duration_months": "x"})).text
    assert attack not in back and "&lt;script&gt;" in back


def test_a_reference_already_in_the_log_is_refused_on_its_field(web: Site) -> None:
    client = web.client("intake")
    assert submit(client, request_form()).status_code == 303
    again = submit(client, request_form())
    assert again.status_code == 422
    assert "already in the decision log (record #1)" in field_block(again.text, "f-id")


def test_a_draft_is_saved_invalid_resumed_by_a_colleague_and_removed_once_recorded(web: Site) -> None:
    first = web.client("intake")
    unfinished = request_form(**{"request.duration_months": "soon", "exception.justification": "Asked by the Board"})
    response = submit(first, unfinished, action="draft")
    assert response.status_code == 303 and response.headers["location"] == "/requests/new?draft=1&notice=draft_saved"
    listing = first.get("/drafts").text
    assert "REQ-WEB-0001 - Support to the national human rights institution" in listing
    resumed = first.get("/requests/new?draft=1").text
    assert 'value="soon"' in resumed and "Asked by the Board" in resumed
    assert re.search(r'<details class="group optional" open>', resumed)  # the exception block is open: it holds text
    finished = dict(unfinished, **{"request.duration_months": "12", "exception.justification": ""}, draft_id="1")
    assert submit(first, finished, path="/requests/new?draft=1").headers["location"].startswith("/decisions/1")
    assert "There are no drafts." in first.get("/drafts").text
    assert first.get("/requests/new?draft=1").status_code == 404


def test_a_draft_can_be_deleted(web: Site) -> None:
    client = web.client("intake")
    submit(client, request_form(), action="draft")
    token = token_of(client, "/drafts")
    assert client.post("/drafts/1/delete", data={"csrf_token": token}).headers["location"] == "/drafts?notice=draft_deleted"
    assert client.post("/drafts/1/delete", data={"csrf_token": token}).status_code == 404


def test_a_draft_is_private_to_the_officer_who_saved_it(web: Site) -> None:
    owner = web.client("intake")
    submit(owner, request_form(**{"request.title": "Confidential first contact"}), action="draft")
    web.app.state.web.accounts.add("colleague", ["intake"], PASSWORD, "tests")
    other = TestClient(web.app, follow_redirects=False)
    sign_in(other, "colleague", PASSWORD)
    assert "Confidential first contact" not in other.get("/drafts").text
    assert other.get("/requests/new?draft=1").status_code == 404
    token = token_of(other, "/drafts")
    assert other.post("/drafts/1/delete", data={"csrf_token": token}).status_code == 404
    # Saving over its number makes the colleague a draft of their own; the owner's is untouched.
    submit(other, dict(request_form(**{"request.title": "Mine"}), draft_id="1"), action="draft")
    assert "Confidential first contact" in owner.get("/drafts").text and "Mine" not in owner.get("/drafts").text
    assert "only you see them" in owner.get("/drafts").text


def test_enter_in_a_field_neither_adds_a_row_nor_records(web: Site) -> None:
    # HTML's implicit submission presses the form's first submit button: it must be the harmless one.
    client = web.client("intake")
    page = client.get("/requests/new").text
    form = page[page.index('<form method="post" action="/requests/new"') :]
    first = re.search(r"<button[^>]*type=\"submit\"[^>]*>", form)
    assert first and 'name="action" value="stay"' in first.group(0), first
    data = dict(request_form(), csrf_token=token_of(client, "/requests/new"), action="stay")
    again = client.post("/requests/new", data=data)
    assert again.status_code == 200 and 'value="REQ-WEB-0001"' in again.text
    assert 'name="partnership.un_partners[2]"' not in again.text  # no row added
    assert web.store.head()[0] == 0  # nothing recorded


def test_more_rows_without_javascript(web: Site) -> None:
    client = web.client("intake")
    data = dict(request_form(), csrf_token=token_of(client, "/requests/new"), add_row="partnership.un_partners")
    page = client.post("/requests/new", data=data).text
    assert 'name="partnership.un_partners[0]"' in page and 'value="UNDP"' in page
    assert 'name="partnership.un_partners[2]"' in page  # the filled row, the blank one, and one more


def test_an_update_supersedes_the_recorded_decision_with_the_reason(web: Site) -> None:
    client = web.client("intake")
    submit(client, request_form(**{"partnership.civil_society_involved": "unknown"}))
    form_page = client.get("/requests/new?correct=1").text
    assert 'name="correct" value="1"' in form_page and "readonly" in field_block(form_page, "f-id")
    changed = request_form(**{"partnership.civil_society_involved": "yes"}, correct="1")
    without_reason = submit(client, changed, path="/requests/new?correct=1")
    assert without_reason.status_code == 422 and "Say why the request is updated." in without_reason.text
    changed["correction_reason"] = "The requester confirmed that civil society takes part."
    done = submit(client, changed, path="/requests/new?correct=1")
    assert done.headers["location"] == "/decisions/2?notice=corrected"
    with web.store.reading() as conn:
        (entry,) = entries(web.store, conn)
    assert entry.seq == 2 and entry.corrects == 1 and entry.outcome == "engage"
    assert "This decision was replaced by a later record." in client.get("/decisions/1").text
    assert client.get("/requests/new?correct=1").status_code == 404  # only what is in force can be updated
    assert verify(web.store).ok


def test_bidirectional_and_zero_width_characters_are_shown_by_their_code_points(web: Site) -> None:
    client = web.client("intake")
    title = "Training \u202eslaiciffo\u202c of\u200b judges"
    response = submit(client, request_form(**{"request.title": title}))
    assert response.status_code == 303
    for path in ("/decisions/1", "/queue"):
        page = client.get(path).text if path != "/queue" else web.client("board").get(path).text
        assert not set(page) & {"\u202e", "\u202c", "\u200b"}, path
    assert "Training &lt;U+202E&gt;slaiciffo&lt;U+202C&gt; of&lt;U+200B&gt; judges" in client.get("/decisions/1").text
