"""The API's routes do what the CLI and the pages do: the same decision bytes, the same log rules.

``POST /evaluate`` answers exactly what ``engage evaluate --format json --as-of`` prints for
the same request; ``POST /requests`` keeps one record in force per request id (on SQLite and
PostgreSQL); the list of decisions has the queue's filters and a cursor; a human decision
and the exception register follow ``engage log decide`` and ``engage exceptions``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.log.audit import verify
from engine.log.logview import entries

from ...helpers.clirun import engage
from ...helpers.websupport import Site, site
from .apisupport import AS_OF, as_json, bearer, example_requests, request_body, tokens

PROBLEM = "application/problem+json"


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db, api_calls_per_minute=10_000) as found:
        yield found


@pytest.fixture(scope="module")
def sqlite_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("api-decisions")
    with site(f"sqlite:///{folder / 'log.sqlite3'}", api_calls_per_minute=10_000) as found:
        yield found


@pytest.mark.parametrize("example", example_requests(), ids=lambda p: p.name)
def test_evaluate_answers_the_same_bytes_as_the_cli_and_records_nothing(sqlite_web: Site, example: Path, tmp_path: Path) -> None:
    body = as_json(example)
    given = tmp_path / "request.json"
    given.write_bytes(body)
    printed = engage("evaluate", str(given), "--format", "json", "--as-of", AS_OF)
    assert printed.status == 0, printed.stderr
    key = tokens(sqlite_web)["author"]
    response = TestClient(sqlite_web.app).post(f"/api/v1/evaluate?as_of={AS_OF}", headers=bearer(key), content=body)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.content == printed.stdout.encode("utf-8")
    assert sqlite_web.store.count() == 0


def test_evaluate_without_a_date_uses_the_servers_today_and_says_so(sqlite_web: Site) -> None:
    key = tokens(sqlite_web)["board"]
    response = TestClient(sqlite_web.app).post("/api/v1/evaluate", headers=bearer(key), json=request_body())
    decision = response.json()
    assert decision["as_of"] == "2026-11-24" and decision["as_of_source"] == "today"


def test_an_invalid_request_is_a_422_problem_listing_each_field_with_its_path_and_position(sqlite_web: Site) -> None:
    key = tokens(sqlite_web)["intake"]
    client = TestClient(sqlite_web.app)
    bad = request_body(country="XX", request={"kind": "picnic"})
    response = client.post("/api/v1/evaluate", headers=bearer(key), content=json.dumps(bad, indent=2))
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "invalid-request" and problem["status"] == 422 and problem["title"]
    paths = {e["path"] for e in problem["errors"]}
    assert {"country", "request.kind"} <= paths
    assert all(e["line"] and e["col"] for e in problem["errors"] if e["path"] == "country")
    assert problem["detail"].startswith(f"the request has {len(problem['errors'])} problems; the first: ")
    # not JSON at all: the reader's code, with where
    response = client.post("/api/v1/evaluate", headers=bearer(key), content=b'{"id": "A",\n  "received": }')
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert response.json()["code"] == "json-syntax" and (error["line"], error["col"]) == (2, 15)
    # a bad date in the query
    response = client.post("/api/v1/evaluate?as_of=24/11/2026", headers=bearer(key), json=request_body())
    assert response.status_code == 422 and response.json()["code"] == "bad-parameter"
    assert response.json()["errors"][0]["path"] == "as_of"


def test_recording_keeps_one_record_in_force_per_request_id(web: Site) -> None:
    keys = tokens(web)
    client = TestClient(web.app)
    body = request_body(id="REQ-API-0001")
    first = client.post("/api/v1/requests", headers=bearer(keys["intake"]), json=body)
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["status"] == "recorded" and made["seq"] == 1 and first.headers["location"] == "/api/v1/decisions/1"
    # the same request again: nothing recorded, and the answer says which record stands
    again = client.post("/api/v1/requests", headers=bearer(keys["intake"]), json=body)
    assert again.status_code == 200 and again.json()["status"] == "unchanged" and again.json()["seq"] == 1
    # changed content: 409, the record in force named
    changed = dict(body, country="GHA")
    refused = client.post("/api/v1/requests", headers=bearer(keys["intake"]), json=changed)
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["code"] == "already-recorded" and problem["existing"] == 1 and "#1" in problem["detail"]
    # an explicit update supersedes it
    updated = client.post("/api/v1/requests?update=true", headers=bearer(keys["intake"]), json=changed)
    assert updated.status_code == 201 and updated.json()["status"] == "updated" and updated.json()["supersedes"] == 1
    with web.store.reading() as conn:
        (entry,) = entries(web.store, conn)
    assert entry.seq == 2 and entry.country == "GHA" and entry.record.recorded_by == "intake"
    assert json.loads(entry.record.request or "{}") == changed  # the request as received
    assert verify(web.store).ok
    # the board may read but not record
    assert client.post("/api/v1/requests", headers=bearer(keys["board"]), json=body).status_code == 403


def test_the_decisions_have_the_queues_filters_and_an_opaque_cursor(sqlite_web: Site) -> None:
    keys = tokens(sqlite_web)
    client = TestClient(sqlite_web.app)
    intake = bearer(keys["intake"])
    for n in range(5):
        country = "SLE" if n % 2 == 0 else "GHA"
        response = client.post("/api/v1/requests", headers=intake, json=request_body(id=f"REQ-LIST-{n}", country=country))
        assert response.status_code == 201, response.text
    seen: list[int] = []
    url = "/api/v1/decisions?limit=2"
    pages = 0
    while url:
        page = client.get(url, headers=bearer(keys["board"])).json()
        pages += 1
        seen += [item["seq"] for item in page["items"]]
        assert page["next"] is None or str(seen[-1]) not in page["next"]  # opaque: not the number itself
        url = f"/api/v1/decisions?limit=2&cursor={page['next']}" if page["next"] else ""
    assert pages == 3 and seen == sorted(seen) and len(seen) == len(set(seen)) >= 5
    ghana = client.get("/api/v1/decisions?country=gha&limit=500", headers=intake).json()["items"]
    assert ghana and {i["country"] for i in ghana} == {"GHA"} and {i["request_id"] for i in ghana} >= {"REQ-LIST-1", "REQ-LIST-3"}
    engaged = client.get("/api/v1/decisions?outcome=engage&from=2026-11-24&to=2026-11-24", headers=intake).json()["items"]
    assert engaged and {i["outcome"] for i in engaged} == {"engage"}
    assert client.get("/api/v1/decisions?from=2026-11-25", headers=intake).json()["items"] == []
    bad = client.get("/api/v1/decisions?cursor=nonsense", headers=intake)
    assert bad.status_code == 422 and bad.json()["code"] == "bad-cursor" and bad.json()["errors"][0]["path"] == "cursor"
    bad = client.get("/api/v1/decisions?limit=0", headers=intake)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "limit"


def test_one_decision_then_the_human_decision_on_it(sqlite_web: Site) -> None:
    keys = tokens(sqlite_web)
    client = TestClient(sqlite_web.app)
    made = client.post("/api/v1/requests", headers=bearer(keys["intake"]), json=request_body(id="REQ-HUMAN-1")).json()
    seq = made["seq"]
    shown = client.get(f"/api/v1/decisions/{seq}", headers=bearer(keys["author"])).json()
    assert shown["decision"] == made["decision"] and shown["request"]["id"] == "REQ-HUMAN-1" and shown["human"] is None
    assert client.get("/api/v1/decisions/9999", headers=bearer(keys["author"])).status_code == 404
    # the author may read it, not decide it
    body = {"outcome": made["decision"]["outcome"]}
    assert client.post(f"/api/v1/decisions/{seq}/human", headers=bearer(keys["author"]), json=body).status_code == 403
    unknown = client.post(f"/api/v1/decisions/{seq}/human", headers=bearer(keys["board"]), json={"outcome": "maybe"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-outcome"
    assert unknown.json()["errors"][0]["path"] == "outcome"
    missing = client.post(f"/api/v1/decisions/{seq}/human", headers=bearer(keys["board"]), json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["path"] == "outcome"
    done = client.post(f"/api/v1/decisions/{seq}/human", headers=bearer(keys["board"]), json=body)
    assert done.status_code == 201 and done.json()["decides"] == seq
    twice = client.post(f"/api/v1/decisions/{seq}/human", headers=bearer(keys["intake"]), json=body)
    assert twice.status_code == 409 and twice.json()["code"] == "already-decided"
    human = client.get(f"/api/v1/decisions/{seq}", headers=bearer(keys["board"])).json()["human"]
    assert human["by"] == "board" and human["outcome"] == body["outcome"] and human["follows_engine"] is True
    awaiting = client.get("/api/v1/decisions?human=decided", headers=bearer(keys["board"])).json()["items"]
    assert [i["seq"] for i in awaiting] == [seq]
    # the human decision's own record is no engine decision
    assert client.get(f"/api/v1/decisions/{done.json()['seq']}", headers=bearer(keys["board"])).status_code == 404


def test_the_exception_register_is_the_same_json_as_engage_exceptions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    with site(url) as web:
        keys = tokens(web)
        client = TestClient(web.app)
        for example in example_requests():
            if "exception" in example.name:
                response = client.post("/api/v1/requests", headers=bearer(keys["intake"]), content=as_json(example))
                assert response.status_code == 201, response.text
        answered = client.get(f"/api/v1/exceptions?as_of={AS_OF}", headers=bearer(keys["board"]))
        soon = client.get(f"/api/v1/exceptions?as_of={AS_OF}&expiring_within=30", headers=bearer(keys["admin"]))
    printed = engage("exceptions", "--format", "json", "--as-of", AS_OF, "--db", url)
    assert printed.status == 0 and answered.status_code == 200
    assert answered.content == printed.stdout.encode("utf-8") and len(answered.json()) >= 2
    within = engage("exceptions", "--format", "json", "--as-of", AS_OF, "--expiring-within", "30", "--db", url)
    assert soon.content == within.stdout.encode("utf-8")


def test_a_request_recorded_with_a_token_is_listed_on_the_queue_page(web: Site) -> None:
    key = tokens(web)["intake"]
    made = TestClient(web.app).post("/api/v1/requests", headers=bearer(key), json=request_body(id="REQ-API-QUEUE"))
    assert made.status_code == 201, made.text
    seq, score = made.json()["seq"], made.json()["decision"]["priority_score"]
    row = re.compile(
        rf'<tr>\s*<td class="num">{score:g}</td>\s*<td><a href="/decisions/{seq}">REQ-API-QUEUE</a>'
        r'<div class="small">Strengthening the national human rights commission, Ministry of Justice</div></td>\s*'
        r'<td>SLE</td>\s*<td>Africa</td>\s*<td class="nowrap">2026-11-24</td>\s*<td class="num"></td>\s*'
        r'<td><span class="awaiting">Awaiting</span></td>\s*</tr>'
    )
    for role in ("intake", "board"):  # the officers who work the queue, signed in
        page = web.client(role).get("/queue?human=awaiting")
        assert page.status_code == 200, role
        assert row.search(page.text), role
        assert '<span class="outcome outcome-engage">Engage</span> <span class="count">1</span>' in page.text
        shown = web.client(role).get(f"/decisions/{seq}")
        assert shown.status_code == 200 and "REQ-API-QUEUE" in shown.text
