"""The Releases pages: the list, a release's page (steps, diff, impact, checks), the Board's and the author's steps,
and proposing by upload."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.log.audit import verify
from engine.log.releases import releases

from ..helpers.logsupport import query
from ..helpers.support import ROOT
from ..helpers.websupport import Site, request_form, sign_in, site, submit, token_of

OLD_LINE = "        - {field: expertise_available, equals: true}\n    outcome: respond_ad_hoc"
# Advice at once only for a small budget (or an unknown one, so that the authors' cases still pass).
NEW_LINE = (
    "        - {field: expertise_available, equals: true}\n"
    "        - any:\n"
    "            - {field: request.budget_usd, is: unknown}\n"
    "            - {field: request.budget_usd, le: 100000}\n"
    "    outcome: respond_ad_hoc"
)


def changed_outcome() -> bytes:
    text = (ROOT / "rules" / "outcome.yaml").read_text("utf-8")
    assert OLD_LINE in text
    return text.replace(OLD_LINE, NEW_LINE).encode("utf-8")


def advisory(request_id: str) -> dict[str, object]:
    """A request the shipped rules answer with advice at once, and the changed rules (its budget is 350000) do not."""
    return request_form(id=request_id, **{"request.kind": "advisory", "expertise_available": "yes"})


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def propose_upload(client: TestClient, files: list[tuple[str, bytes]], note: str = "advice at once only up to 100000 USD") -> Any:
    token = token_of(client, "/releases")
    data = {"csrf_token": token, "effective_from": "2026-11-24", "note": note}
    upload = [("files", (name, io.BytesIO(content), "application/octet-stream")) for name, content in files]
    return client.post("/releases", data=data, files=upload)


def test_an_uploaded_change_is_proposed_with_its_impact_and_the_board_approves_it(web: Site, db: str) -> None:
    intake, author, board = web.client("intake"), web.client("author"), web.client("board")
    assert submit(intake, advisory("REQ-ADV-1")).status_code == 303  # release 1, adopted at first use
    response = propose_upload(author, [("outcome.yaml", changed_outcome())])
    assert response.status_code == 303 and response.headers["location"].startswith("/releases/2?")
    release = releases(web.store).get(2)
    assert release.author == "author" and release.closing is None
    assert release.report is not None and release.report["cases"]["run"] == 47

    listing = board.get("/releases").text
    assert re.search(r'<a href="/releases/2">Release 2</a></td>\s*<td>proposed</td>\s*<td>author</td>\s*<td></td>', listing)
    assert re.search(r'<a href="/releases/1">Release 1</a></td>\s*<td>in force</td>\s*<td>intake</td>', listing)

    page = board.get("/releases/2").text
    assert "Against release 1, in force today: 1 change." in page
    assert "<code>outcome.ad_hoc</code>" in page and "+            - {field: request.budget_usd, le: 100000}" in page
    assert re.search(r"Respond as one-off advice &rarr; Engage</td><td>1</td>", page)
    assert '<a href="/decisions/1">REQ-ADV-1 (#1)</a>' in page
    assert "47 run, 0 failed." in page and 'action="/releases/2/approve"' in page

    # The author may not approve (no form; the Board's route refuses the role), and may withdraw.
    author_page = author.get("/releases/2").text
    assert 'action="/releases/2/approve"' not in author_page and 'action="/releases/2/withdraw"' in author_page
    own = author.post("/releases/2/approve", data={"csrf_token": token_of(author, "/releases/2"), "text": "mine"})
    assert own.status_code == 403

    done = board.post("/releases/2/approve", data={"csrf_token": token_of(board, "/releases/2"), "text": "agreed by the Board"})
    assert done.status_code == 303
    after = board.get("/releases/2").text
    assert "<h1>Release 2: in force</h1>" in after and "agreed by the Board" in after
    assert 'action="/releases/2/approve"' not in after

    assert submit(intake, advisory("REQ-ADV-2")).status_code == 303
    details, decision = query(db, "SELECT details, decision FROM log_records WHERE request_id = 'REQ-ADV-2'")[-1]
    assert json.loads(details)["release"] == 2 and json.loads(decision)["outcome"] == "engage"
    assert verify(web.store).ok


def test_the_four_eyes_refusal_is_shown_on_the_page(db: str) -> None:
    with site(db) as web:
        web.app.state.web.accounts.add("both", ["author", "board"], "correct horse battery", "tests")
        both = web.client()
        sign_in(both, "both", "correct horse battery")
        assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303
        assert propose_upload(both, [("outcome.yaml", changed_outcome())]).status_code == 303
        refused = both.post("/releases/2/approve", data={"csrf_token": token_of(both, "/releases/2"), "text": "mine"})
        assert refused.status_code == 409
        assert "both proposed release 2 and cannot approve it too: someone else must (four eyes)" in refused.text
        assert releases(web.store).get(2).closing is None


def test_a_justification_and_a_reason_are_required_and_the_board_rejects(web: Site) -> None:
    author, board = web.client("author"), web.client("board")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303
    assert propose_upload(author, [("outcome.yaml", changed_outcome())]).status_code == 303
    token = token_of(board, "/releases/2")
    empty = board.post("/releases/2/approve", data={"csrf_token": token, "text": "  "})
    assert empty.status_code == 409 and "an approval needs a justification" in empty.text
    assert board.post("/releases/2/reject", data={"csrf_token": token, "text": ""}).status_code == 409
    assert board.post("/releases/2/reject", data={"csrf_token": "wrong", "text": "no"}).status_code == 403
    assert board.post("/releases/2/reject", data={"csrf_token": token, "text": "not now"}).status_code == 303
    page = board.get("/releases/2").text
    assert "<h1>Release 2: rejected</h1>" in page and "not now" in page
    again = board.post("/releases/2/approve", data={"csrf_token": token, "text": "after all"})
    assert again.status_code == 409 and "release 2 is rejected already (by board" in again.text


def test_the_author_withdraws_a_proposal(web: Site) -> None:
    author = web.client("author")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303
    assert propose_upload(author, [("outcome.yaml", changed_outcome())]).status_code == 303
    assert author.post("/releases/2/withdraw", data={"csrf_token": token_of(author, "/releases/2")}).status_code == 303
    assert "<h1>Release 2: withdrawn</h1>" in author.get("/releases/2").text
    assert releases(web.store).get(2).closing is not None
    assert verify(web.store).ok


def test_a_broken_upload_is_refused_with_the_loaders_file_line_col(web: Site) -> None:
    author = web.client("author")
    broken = changed_outcome().replace(b"le: 100000}", b"lte: 100000}")
    response = propose_upload(author, [("outcome.yaml", broken)])
    assert response.status_code == 422
    assert "Nothing is proposed: the rules have" in response.text
    assert re.search(r"<li><code>rules/outcome\.yaml:\d+:\d+: ", response.text), response.text
    assert "/tmp" not in response.text and "engage-upload" not in response.text
    assert len(releases(web.store)) == 0


def test_a_zip_of_rules_and_criteria_is_proposed(web: Site) -> None:
    author = web.client("author")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("policy/rules/outcome.yaml", changed_outcome())
        archive.writestr("policy/criteria/partnership.yaml", (ROOT / "criteria" / "partnership.yaml").read_bytes())
        archive.writestr("../evil.yaml", b"x: 1")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303
    response = propose_upload(author, [("policy.zip", buffer.getvalue())])
    assert response.status_code == 303, response.text
    assert "in force today: 1 change." in author.get("/releases/2").text


@pytest.mark.parametrize(
    ("form", "files", "message"),
    [
        ({"note": ""}, [("outcome.yaml", b"x")], "Say what changes and why in the note."),
        ({"effective_from": "soon"}, [("outcome.yaml", b"x")], "Give the day from which the release is in force"),
        ({}, [], "Choose at least one rule or criteria file"),
        ({}, [("notes.txt", b"x")], "notes.txt is not a YAML file"),
        ({}, [("p.zip", b"not a zip")], "p.zip is not a zip archive that can be read."),
    ],
)
def test_a_proposal_without_what_it_needs_is_refused_saying_why(
    web: Site, form: dict[str, str], files: list[tuple[str, bytes]], message: str
) -> None:
    author = web.client("author")
    data = {"csrf_token": token_of(author, "/releases"), "effective_from": "2026-11-24", "note": "n", **form}
    upload = [("files", (name, io.BytesIO(content), "application/octet-stream")) for name, content in files]
    response = author.post("/releases", data=data, files=upload or None)
    assert response.status_code == 422 and message in response.text


def test_an_unknown_release_is_a_404(web: Site) -> None:
    assert web.client("board").get("/releases/9").status_code == 404


def test_the_release_files_kept_are_the_uploaded_ones(web: Site) -> None:
    author = web.client("author")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303
    assert propose_upload(author, [("outcome.yaml", changed_outcome())]).status_code == 303
    files = {f"{f.kind}/{f.path}": f.content for f in web.store.ruleset_files(releases(web.store).get(2).ruleset_hash)}
    assert files["rules/outcome.yaml"] == changed_outcome()
    assert not any(name.startswith("rules/tests/") for name in files)
    assert Path("rules/outcome.yaml").name in {Path(n).name for n in files}


def test_release_1_is_adopted_not_approved_and_the_release_in_force_shows_its_diff_against_its_predecessor(web: Site) -> None:
    author, board = web.client("author"), web.client("board")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303
    listing = board.get("/releases").text
    assert re.search(r"<td>in force</td>\s*<td>intake</td>\s*<td>Adopted at first use by intake</td>", listing)
    first = board.get("/releases/1").text
    assert "<dt>Adopted at first use by</dt><dd>intake</dd>" in first and "<dt>Approved by</dt>" not in first
    assert "This is the release in force today. No release was in force before it." in first
    assert propose_upload(author, [("outcome.yaml", changed_outcome())]).status_code == 303
    assert board.post("/releases/2/approve", data={"csrf_token": token_of(board, "/releases/2"), "text": "ok"}).status_code == 303
    page = board.get("/releases/2").text
    assert "<dt>Approved by</dt><dd>board</dd>" in page
    assert "This is the release in force today. Against release 1, in force before it: 1 change." in page
    assert "+            - {field: request.budget_usd, le: 100000}" in page
    # Steps are dated as the other pages date records (to the minute, UTC), not as raw ISO timestamps.
    steps = re.findall(r"<td>(?:proposed|approved)</td><td>\w+</td><td>([^<]*)</td>", page)
    assert len(steps) == 2 and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", s) for s in steps), steps
    # Counts read as words: one request, one error or warning, no "(s)".
    assert "(s)" not in page and "1 request of the log evaluated on 2026-11-24" in page
    assert re.search(r"<p>0 errors, \d+ warnings?\.</p>", page)


# Advice at once only for a budget known to be small: the authors' cases of an advisory request without a budget fail.
STRICT_LINE = (
    "        - {field: expertise_available, equals: true}\n"
    "        - {field: request.budget_usd, le: 100000}\n"
    "    outcome: respond_ad_hoc"
)


def strict_outcome() -> bytes:
    return changed_outcome().decode("utf-8").replace(NEW_LINE, STRICT_LINE).encode("utf-8")


def test_a_proposal_refused_in_spanish_says_why_in_spanish_and_in_english_as_the_checks_write_it(web: Site) -> None:
    author = web.client("author")
    upload = [("outcome.yaml", strict_outcome())]
    token = token_of(author, "/releases")
    data = {"csrf_token": token, "effective_from": "2026-11-24", "note": "strict"}
    files = [("files", (name, io.BytesIO(content), "application/octet-stream")) for name, content in upload]
    spanish = author.post("/releases", data=data, files=files, headers={"accept-language": "es"})
    assert spanish.status_code == 422
    lines = re.findall(r"<li><code>([^<]*)</code></li>", html.unescape(spanish.text))
    assert len(lines) == 1, spanish.text
    refusal = lines[0]
    assert re.match(r"[0-9]+ de los 47 casos de prueba de los autores fallan; no se propone nada: ", refusal), refusal
    assert ": outcome: se esperaba respond_ad_hoc, se obtuvo " in refusal and "expected" not in refusal
    english = propose_upload(author, upload, note="strict")
    assert english.status_code == 422
    said = re.findall(r"<li><code>([^<]*)</code></li>", html.unescape(english.text))
    assert re.match(r"[0-9]+ of the authors' 47 test cases fail; nothing proposed: ", said[0]), said
    assert ": outcome: expected respond_ad_hoc, got " in said[0]
    assert len(releases(web.store)) == 0


def test_a_releases_kept_lint_findings_are_shown_in_the_pages_language(web: Site) -> None:
    author, board = web.client("author"), web.client("board")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303  # release 1
    spanish = "      es: La solicitud es incompatible con la integridad del mandato del Alto Comisionado.\n"
    text = changed_outcome().decode("utf-8")
    assert text.count(spanish) == 1
    response = propose_upload(author, [("outcome.yaml", text.replace(spanish, "").encode("utf-8"))])
    assert response.status_code == 303, response.text
    kept = releases(web.store).get(2).report
    assert kept is not None
    english = [f for f in kept["lint"]["findings"] if "[missing-translation]" in f]
    assert len(english) == 1 and ": reason: not written in es (written in: en, fr) [missing-translation]" in english[0]
    assert english[0] in html.unescape(board.get("/releases/2").text)
    french = html.unescape(board.get("/releases/2", headers={"accept-language": "fr"}).text)
    line = re.search(r"<li><code>([^<]*\[missing-translation\])</code></li>", french)
    assert line is not None, french
    prefix = english[0].split(": warning: ")[0]
    assert line.group(1).startswith(prefix + ": warning: règle « outcome.")
    assert line.group(1).endswith(" » : reason : non rédigé en es (rédigé en : en, fr) [missing-translation]")


def test_the_list_shows_each_releases_effective_date_and_note(web: Site) -> None:
    author, board = web.client("author"), web.client("board")
    assert submit(web.client("intake"), advisory("REQ-ADV-1")).status_code == 303  # adopts release 1
    token = token_of(author, "/releases")
    data = {"csrf_token": token, "effective_from": "2026-12-10", "note": "Advice at once only up to 100000 USD"}
    upload = [("files", ("outcome.yaml", io.BytesIO(changed_outcome()), "application/octet-stream"))]
    assert author.post("/releases", data=data, files=upload).status_code == 303
    listing = board.get("/releases").text
    rows = re.findall(r'<tr class="state-[\w-]+">(.*?)</tr>', listing, re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]
    assert cells == [  # newest first
        ["Release 2", "proposed", "author", "", "2026-12-10", "Advice at once only up to 100000 USD"],
        ["Release 1", "in force", "intake", "Adopted at first use by intake", "the start", "adopted at first use"],
    ]
    french = board.get("/releases", headers={"Accept-Language": "fr"}).text
    assert "<td>10 déc. 2026</td>" in french and "<td>Advice at once only up to 100000 USD</td>" in french


def test_score_changes_reach_the_releases_stored_report_and_its_page(web: Site, db: str) -> None:
    from ..helpers.logsupport import run

    author, board = web.client("author"), web.client("board")
    island = request_form(id="REQ-SCORE-1", **{"priority.small_island_developing_state": "yes"})
    assert submit(web.client("intake"), island).status_code == 303  # release 1 decides: engage
    seq = query(db, "SELECT seq FROM log_records WHERE request_id = 'REQ-SCORE-1'")[0][0]
    weights = (ROOT / "criteria" / "priority.yaml").read_text("utf-8")
    factor = "  - id: small_island_developing_state\n"
    start = weights.index(factor)
    at = weights.index("    points: 5\n", start)  # no case of the authors' has this factor: they all still pass
    changed = (weights[:at] + "    points: 15\n" + weights[at + len("    points: 5\n") :]).encode("utf-8")
    response = propose_upload(author, [("priority.yaml", changed)], note="a small island State weighs 15")
    assert response.status_code == 303, response.text
    impact = releases(web.store).get(2).report["impact"]
    assert impact["changed"] == []  # the score orders the queue and never changes the outcome
    assert [(r["request_id"], r["record"], r["old_score"], r["new_score"]) for r in impact["score_changes"]] == [
        ("REQ-SCORE-1", f"#{seq}", 80, 90)
    ]
    page = board.get("/releases/2").text
    assert "<h3>Requests whose score changes</h3>" in page
    row = f'<tr><td><a href="/decisions/{seq}">REQ-SCORE-1 (#{seq})</a></td><td>80</td><td>90</td></tr>'
    assert row in page
    shown = run("rules", "show", "2", "--db", db)[1]
    assert f"  score: REQ-SCORE-1 (#{seq}): 80 -> 90" in shown
