"""Batch upload, queue, human decisions, audit, rules, impact and accounts through the web pages."""

from __future__ import annotations

import csv
import io
import json
import re
import resource
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from engine.batches.template import write_template
from engine.batches.unpack import MAX_UNPACKED_BYTES
from engine.evaluation.evaluator import Engine
from engine.log.audit import verify
from engine.log.logview import entries

from ..helpers.logsupport import execute_bypassing_triggers
from ..helpers.support import ROOT, copy_policy
from ..helpers.tables import ROW, rewrite, write_xlsx
from ..helpers.websupport import Site, finished_upload, request_form, site, submit, token_of

HEADER = "id,received,country,region,requester.government_endorsed,mandate.restricts_monitoring,mandate.contrary_to_standards,request.funding_only,request.kind,strategy.status,strategy.request_in_strategy,presence.type,presence.adequately_staffed,presence.long_term_programming,partnership.government_counterpart,partnership.civil_society_involved,priority.least_developed_country"  # noqa: E501
GOOD = "REQ-B-{n},2026-11-0{n},SLE,africa,yes,no,no,no,programme,adopted,yes,country_office,yes,yes,yes,yes,{ldc}"
BAD = "REQ-B-9,2026-11-09,SLE,africa,maybe,no,no,no,programme,adopted,yes,contry_office,yes,yes,yes,yes,no"


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def upload(client: object, name: str, content: bytes) -> object:
    token = token_of(client, "/batch")  # type: ignore[arg-type]
    return client.post("/batch", data={"csrf_token": token}, files={"file": (name, content)})  # type: ignore[attr-defined]


def test_a_csv_batch_with_one_bad_row_records_every_valid_row_and_explains_the_bad_one(web: Site) -> None:
    client = web.client("intake")
    text = "\n".join([HEADER, GOOD.format(n=1, ldc="yes"), BAD, GOOD.format(n=2, ldc="no")]) + "\n"
    response = upload(client, "intake.csv", text.encode())
    assert response.status_code == 422  # not everything was evaluated
    page = response.text
    assert "2 requests evaluated and recorded." in page and "1 row could not be evaluated" in page
    rows = re.findall(r'<tr class="(ok|invalid)">(.*?)</tr>', page, re.S)
    assert [kind for kind, _ in rows] == ["ok", "invalid", "ok"]
    assert (
        "row 3" in rows[1][1]
        and "Column requester.government_endorsed" in rows[1][1]
        and "&#39;maybe&#39; is not yes or no" in rows[1][1]
    )
    assert 'href="/decisions/1"' in rows[0][1] and 'href="/decisions/2"' in rows[2][1]
    with web.store.reading() as conn:
        found = entries(web.store, conn)
    assert [(e.request_id, e.outcome) for e in found] == [("REQ-B-1", "engage"), ("REQ-B-2", "engage")]
    # The first recording adopted the served rules as release 1, and each record names it.
    assert json.loads(found[0].record.details or "{}") == {"source": "web upload intake.csv", "release": 1}
    again = upload(client, "intake.csv", text.encode()).text
    assert again.count("already in the decision log") == 2  # nothing recorded twice
    assert verify(web.store).ok


def test_an_xlsx_and_a_jsonl_batch_are_read_by_the_same_readers(web: Site, tmp_path: Path) -> None:
    client = web.client("intake")
    book = write_template(web.app.state.web.engine.policy)
    sheet = book["Requests"]
    columns = [c.value for c in sheet[1]]
    for n, values in enumerate(
        [
            {"id": "REQ-X-1", "received": "2026-11-03", "requester.government_endorsed": "no"},
            {"id": "REQ-X-2", "received": "bad"},
        ],
        2,
    ):
        for key, value in values.items():
            sheet.cell(row=n, column=columns.index(key) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    page = upload(client, "intake.xlsx", buffer.getvalue()).text
    assert "1 request evaluated and recorded." in page and "Decline" in page and "is not a date" in page
    lines = [
        json.dumps({"id": "REQ-J-1", "received": "2026-11-04"}),
        "{not json",
        json.dumps({"id": "REQ-J-2", "received": "2026-11-04", "colour": "x"}),
    ]
    page = upload(client, "batch.jsonl", ("\n".join(lines) + "\n").encode()).text
    assert "1 request evaluated and recorded." in page and "line 2" in page and "colour: not a request field" in page
    refused = upload(client, "notes.txt", b"hello")
    assert refused.status_code == 422 and "Engage reads .xlsx, .csv and .jsonl files" in refused.text


def test_an_upload_with_no_rows_says_no_requests_and_what_a_file_needs(web: Site) -> None:
    client = web.client("intake")
    blank = io.BytesIO()
    openpyxl.Workbook().save(blank)
    files = {
        "header.csv": (HEADER + "\n").encode(),
        "empty.csv": b"",
        "empty.jsonl": b"",
        "blank.xlsx": blank.getvalue(),
        "template.xlsx": _template_bytes(web),
    }
    for name, content in files.items():
        response = upload(client, name, content)
        page = response.text
        assert response.status_code == 422, name
        assert f"No requests: {name} holds no request to evaluate, so nothing was recorded." in page, name
        assert "A .xlsx or .csv file needs a first row that names the columns" in page, name
        assert '<table class="list batch">' not in page and "could not be evaluated" not in page, name  # no empty table
    with web.store.reading() as conn:
        assert entries(web.store, conn) == []


def test_an_upload_whose_header_stops_it_is_one_file_not_a_row_that_could_not_be_evaluated(web: Site) -> None:
    client = web.client("intake")
    response = upload(
        client, "typo.csv", (HEADER.replace(",country,", ",contry,") + "\n" + GOOD.format(n=1, ldc="no") + "\n").encode()
    )
    page = response.text
    assert "typo.csv could not be read, so no row of it was evaluated and nothing was recorded:" in page
    assert "not a request field (did you mean" in page and "contry" in page  # the reader's message, at its column
    assert '<table class="list batch">' not in page and "could not be evaluated" not in page  # not counted as a row
    with web.store.reading() as conn:
        assert entries(web.store, conn) == []


def test_an_uploaded_workbook_that_unpacks_beyond_the_limit_is_refused_unparsed(web: Site, tmp_path: Path) -> None:
    # The review's 3.9 MB workbook unpacked to 1.15 GB and made the server unresponsive.
    padding = b" " * (MAX_UNPACKED_BYTES + 1)
    book = rewrite(
        write_xlsx(tmp_path / "bomb.xlsx", [ROW]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding),
    )
    client = web.client("intake")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Larger than a file evaluated in the request: the upload is a job, whose summary says why.
    response = finished_upload(web, client, upload(client, "bomb.xlsx", book.read_bytes()))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert response.status_code == 200
    assert "the workbook unpacks to 268," in response.text and "split the requests into several workbooks" in response.text
    assert grown_mb < MAX_UNPACKED_BYTES / 2**20 / 2, grown_mb  # refused from the sizes in the archive, not unpacked
    assert client.get("/batch").status_code == 200  # and the server goes on answering
    with web.store.reading() as conn:
        assert entries(web.store, conn) == []


def _template_bytes(web: Site) -> bytes:
    buffer = io.BytesIO()
    write_template(web.app.state.web.engine.policy).save(buffer)
    return buffer.getvalue()


def test_the_intake_template_downloads_as_a_workbook(web: Site) -> None:
    response = web.client("intake").get("/batch/template.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "Requests" in book.sheetnames and book["Requests"]["A1"].value == "id"


def record(web: Site, n: int, **fields: str) -> None:
    assert submit(web.client("intake"), request_form(id=f"REQ-Q-{n}", **fields)).status_code == 303


def test_the_queue_groups_by_outcome_sorts_by_priority_filters_and_shows_the_human_decision(web: Site) -> None:
    record(web, 1, **{"priority.least_developed_country": "no"})  # engage, 65
    record(web, 2)  # engage, 75
    record(web, 3, country="FJI", region="asia_pacific", **{"requester.government_endorsed": "no"})  # decline
    board = web.client("board")
    page = board.get("/queue").text
    assert page.index('id="g-engage"') < page.index('id="g-decline"')  # the outcome table's order
    engage = page[page.index('id="g-engage"') : page.index('id="g-decline"')]
    assert engage.index("REQ-Q-2") < engage.index("REQ-Q-1")  # highest priority first
    token = token_of(board, "/decisions/3")
    board.post("/decisions/3/human", data={"csrf_token": token, "outcome": "decline", "justification": ""})
    page = board.get("/queue?region=asia_pacific").text
    assert "REQ-Q-3" in page and "REQ-Q-1" not in page and "1 request." in page
    assert "awaiting" not in page.lower().split("queue.awaiting")[0] or "board" in page  # the decision and who took it
    assert "REQ-Q-3" in board.get("/queue?human=decided").text and "REQ-Q-3" not in board.get("/queue?human=awaiting").text
    assert "REQ-Q-1" in board.get("/queue?country=SLE&outcome=engage&from=2026-11-24&to=2026-11-24").text
    assert "No recorded request matches." in board.get("/queue?from=2027-01-01").text


def test_the_queue_country_filter_lists_countries_by_name_not_by_code(web: Site) -> None:
    for n, country in enumerate(["CHE", "SLE", "DEU", "FJI"], start=1):  # by code: CHE, DEU, FJI, SLE
        record(web, n, country=country, region="europe_north_america" if country in ("CHE", "DEU") else "africa")
    page = web.client("board").get("/queue").text
    select = page[page.index('id="q-country"') : page.index("</select>", page.index('id="q-country"'))]
    assert re.findall(r'<option value="([A-Z]{3})"', select) == [
        "FJI",
        "DEU",
        "SLE",
        "CHE",
    ]  # Fiji, Germany, Sierra Leone, Switzerland


def test_a_human_decision_is_recorded_through_the_review_module_and_a_departure_needs_a_justification(web: Site) -> None:
    record(web, 1)
    board = web.client("board")
    token = token_of(board, "/decisions/1")
    refused = board.post("/decisions/1/human", data={"csrf_token": token, "outcome": "decline", "justification": " "})
    assert refused.status_code == 422 and "departs from the recommendation: write the justification" in refused.text
    done = board.post(
        "/decisions/1/human", data={"csrf_token": token, "outcome": "decline", "justification": "No funds this cycle"}
    )
    assert done.headers["location"] == "/decisions/1?notice=human_recorded"
    page = board.get("/decisions/1").text
    assert "Decided by board" in page and "No funds this cycle" in page and "departs from the recommendation" in page
    assert 'action="/decisions/1/human"' not in page  # decided once; a change is a correction
    twice = board.post("/decisions/1/human", data={"csrf_token": token, "outcome": "engage"})
    assert twice.status_code == 422 and "already recorded" in twice.text
    with web.store.reading() as conn:
        (entry,) = entries(web.store, conn)
    assert entry.human is not None and (entry.human.outcome, entry.human.by, entry.human.follows) == ("decline", "board", False)
    assert verify(web.store).ok


def test_the_audit_verifies_the_chain_and_names_a_changed_record(web: Site, db: str) -> None:
    record(web, 1)
    record(web, 2)
    board = web.client("board")
    token = token_of(board, "/audit")
    started = board.post("/audit/verify", data={"csrf_token": token})
    assert started.status_code == 303 and started.headers["location"] == "/audit#verify"
    web.app.state.web.verifications.wait()
    page = board.get("/audit").text
    assert "The decision log is intact" in page and "2 records checked; 2 decisions evaluated again." in page
    execute_bypassing_triggers(db, ["UPDATE log_records SET outcome = 'decline' WHERE seq = 1"])
    board.post("/audit/verify", data={"csrf_token": token})
    web.app.state.web.verifications.wait()
    page = board.get("/audit").text
    assert "problem" in page and "#1 (REQ-Q-1): edited" in page


def test_the_audit_shows_the_register_with_expiring_exceptions_the_figures_and_exports_csv(web: Site) -> None:
    exception = {
        "presence.type": "none",
        "exception.waives": ["in_country_presence"],
        "exception.justification": "Managed from the region",
        "exception.requested_by": "Chief, Africa Section",
        "exception.approved_by": "Director",
    }
    record(web, 1, **exception, **{"exception.expires": "2026-12-10"})  # ends in 16 days
    record(web, 2, **exception, **{"exception.expires": "2027-06-30"})
    record(web, 3, **exception, **{"exception.expires": "2026-11-01"})  # expired: exception review
    admin = web.client("admin")
    page = admin.get("/audit").text
    register = page[page.index('id="register"') : page.index('id="outcomes"')]
    assert register.index("REQ-Q-1") < register.index("REQ-Q-2") < register.index("REQ-Q-3")
    assert 'class="expiry-expiring"' in register and "ends in 16 days" in register and "expired 23 days ago" in register
    assert "<svg" in page and 'aria-label="Decisions per week by recommendation"' in page
    exported = admin.get("/audit/decisions.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["request_id"] for r in rows] == ["REQ-Q-1", "REQ-Q-2", "REQ-Q-3"]
    report = admin.get("/audit/report.html")
    assert report.status_code == 200 and 'data-figure="total">3<' in report.text


def test_the_rules_page_lists_every_rule_with_lint_status_and_citations(web: Site) -> None:
    page = web.client("author").get("/rules").text
    policy = web.app.state.web.engine.policy
    for rule in policy.all_rules():
        assert f"<code>{rule.id}</code>" in page
    assert "No problems: 42 rules checked" in page
    assert 'href="https://undocs.org/E/CN.4/2006/104"' in page and "presence.type is one of: Country office" in page


def test_the_rules_page_names_each_place_as_the_authors_know_it_not_the_install_path(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path / "installed" / "site-packages" / "policy")
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}", Engine.load(rules, criteria)) as other:
        page = other.client("author").get("/rules").text
    assert "<code>rules/partnership.yaml:" in page
    assert "site-packages" not in page and str(tmp_path) not in page


def test_the_impact_of_an_uploaded_rule_file_is_a_transitions_table_and_nothing_goes_live(web: Site) -> None:
    record(web, 1, **{"presence.type": "regional_office"})  # assess needs
    author = web.client("author")
    changed = (
        (ROOT / "rules" / "in_country_presence.yaml")
        .read_text()
        .replace(
            "    when: {field: presence.type, in: [regional_office, human_rights_adviser]}\n    status: partial",
            "    when: {field: presence.type, in: [regional_office, human_rights_adviser]}\n    status: met",
        )
    )
    token = token_of(author, "/rules/impact")
    upload = {"file": ("in_country_presence.yaml", changed.encode())}
    ambiguous = author.post("/rules/impact", data={"csrf_token": token}, files=upload)
    assert ambiguous.status_code == 422 and "choose which one it replaces" in ambiguous.text
    data = {"csrf_token": token, "as_of": "2026-11-24", "replaces": "rules/in_country_presence.yaml"}
    response = author.post("/rules/impact", data=data, files=upload)
    page = response.text
    assert response.status_code == 200, page
    assert "1 requests (the requests in the decision log) evaluated" in page
    assert re.search(r'<tr class="changed"><td>Assess needs first</td><td>Engage</td><td class="num">1</td>', page)
    assert web.app.state.web.engine.policy.rule("presence.regional_or_adviser").status == "partial"  # nothing went live
    broken = author.post(
        "/rules/impact", data={"csrf_token": token}, files={"file": ("outcome.yaml", b"stage: outcome\nrules: [")}
    )
    assert broken.status_code == 422 and "do not load" in broken.text and "rules/outcome.yaml" in broken.text
    neither = author.post("/rules/impact", data={"csrf_token": token})
    assert neither.status_code == 422 and "one of the two" in neither.text


def test_the_impact_of_a_git_revision(tmp_path: Path, db: str) -> None:
    repo = tmp_path / "policy"
    shutil.copytree(ROOT / "rules", repo / "rules")
    shutil.copytree(ROOT / "criteria", repo / "criteria")

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "rules")
    path = repo / "rules" / "in_country_presence.yaml"
    path.write_text(path.read_text().replace("status: unmet", "status: partial", 1))
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "no presence is partial")
    head = git("rev-parse", "HEAD")
    git("checkout", "-q", "HEAD~1")  # the server runs the first version
    with site(db, repo=repo) as web:
        author = web.client("author")
        form = author.get("/rules/impact").text
        assert f'value="{head}"' in form and "no presence is partial" in form
        token = token_of(author, "/rules/impact")
        page = author.post("/rules/impact", data={"csrf_token": token, "revision": head, "as_of": "2026-11-24"}).text
        assert "the shipped examples" in page and "Changes of recommendation" in page
        assert f'<option value="{head}" selected>' in page and 'value="2026-11-24"' in page  # the form remembers
        assert author.post("/rules/impact", data={"csrf_token": token, "revision": "--output=x"}).status_code == 422


def test_accounts_are_added_changed_and_disabled_by_an_administrator(web: Site) -> None:
    admin = web.client("admin")
    token = token_of(admin, "/accounts")
    data = {
        "csrf_token": token,
        "name": "New.Officer",
        "roles": ["intake", "board"],
        "password": "long enough pw",
        "password_again": "long enough pw",
    }
    assert admin.post("/accounts", data=data).headers["location"] == "/accounts?notice=account_added"
    assert admin.post("/accounts", data=data).status_code == 422  # the name is taken
    assert (
        "at least 10 characters"
        in admin.post("/accounts", data=dict(data, name="x", password="short", password_again="short")).text
    )
    officer = web.client()
    from ..helpers.websupport import sign_in

    assert sign_in(officer, "new.officer", "long enough pw").status_code == 303
    assert officer.get("/queue").status_code == 200
    admin.post("/accounts/new.officer", data={"csrf_token": token, "action": "disable"})
    assert officer.get("/queue").headers["location"].startswith("/login")  # its session ended
    assert sign_in(web.client(), "new.officer", "long enough pw").status_code == 401
    refused = admin.post("/accounts/admin", data={"csrf_token": token, "action": "disable"})
    assert refused.status_code == 422 and "your own account" in refused.text


def test_an_uploaded_row_shows_every_one_of_its_problems(web: Site) -> None:
    client = web.client("intake")
    text = "\n".join([HEADER, BAD, GOOD.format(n=1, ldc="no")]) + "\n"
    page = upload(client, "intake.csv", text.encode()).text  # type: ignore[attr-defined]
    rows = re.findall(r'<tr class="(ok|invalid)">(.*?)</tr>', page, re.S)
    assert [kind for kind, _ in rows] == ["invalid", "ok"]
    assert "&#39;maybe&#39; is not yes or no" in rows[0][1]  # a cell that cannot be read
    assert "&#39;contry_office&#39; is not one of" in rows[0][1]  # and the schema's finding on another cell
