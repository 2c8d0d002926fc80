"""The served application switches to a release on its day, without a restart, and the decision page names it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from engine.log.audit import verify
from engine.log.releases import approve, propose, releases
from engine.policy.loader import load_policy

from ..helpers.logsupport import EXAMPLES, query, run
from ..helpers.support import copy_policy, edit
from ..helpers.websupport import request_form, site, submit
from .api.apisupport import bearer, request_body, tokens


def _made_by(db: str, request_id: str) -> tuple[object, str]:
    details, decision = query(db, "SELECT details, decision FROM log_records WHERE request_id = :r", r=request_id)[-1]
    return json.loads(details).get("release"), json.loads(decision)["ruleset"]["hash"]


def test_a_release_comes_into_force_on_its_day_without_a_restart(db: str, tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path / "changed")
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    changed = load_policy(rules, criteria)
    today = [date(2026, 11, 24)]
    with site(db, today=lambda: today[0]) as web:
        client = web.client("intake")
        assert submit(client, request_form(id="REQ-WEB-1")).status_code == 303
        shipped = releases(web.store).get(1)
        assert shipped.note == "adopted at first use" and shipped.author == "intake"
        assert _made_by(db, "REQ-WEB-1") == (1, shipped.ruleset_hash)
        propose(web.store, changed, by="author", note="reword line 2", effective_from=date(2026, 11, 25))
        approve(web.store, 2, by="board", justification="agreed")
        assert submit(client, request_form(id="REQ-WEB-2")).status_code == 303  # the day before: still release 1
        assert _made_by(db, "REQ-WEB-2") == (1, shipped.ruleset_hash)
        today[0] = date(2026, 11, 25)  # the same server, the next day
        response = submit(client, request_form(id="REQ-WEB-3"))
        assert response.status_code == 303
        assert _made_by(db, "REQ-WEB-3") == (2, changed.hash)
        page = client.get(response.headers["location"]).text
        assert "Decided by release 2 of the rules, approved by board on " in page
        first = client.get("/decisions/1").text
        assert "Decided by release 1 of the rules, adopted at first use by intake on " in first
        assert verify(web.store).ok


def test_the_api_records_under_the_release_in_force_on_its_day(db: str, tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path / "changed")
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    changed = load_policy(rules, criteria)
    today = [date(2026, 11, 24)]
    with site(db, today=lambda: today[0]) as web:
        key = tokens(web)["intake"]
        client = TestClient(web.app)
        first = client.post("/api/v1/requests", headers=bearer(key), json=request_body(id="REQ-API-1"))
        assert first.status_code == 201, first.text
        shipped = releases(web.store).get(1)
        assert shipped.note == "adopted at first use" and _made_by(db, "REQ-API-1") == (1, shipped.ruleset_hash)
        propose(web.store, changed, by="author", note="reword line 2", effective_from=date(2026, 11, 25))
        approve(web.store, 2, by="board", justification="agreed")
        client.post("/api/v1/requests", headers=bearer(key), json=request_body(id="REQ-API-2"))
        assert _made_by(db, "REQ-API-2") == (1, shipped.ruleset_hash)  # the day before
        today[0] = date(2026, 11, 25)
        third = client.post("/api/v1/requests", headers=bearer(key), json=request_body(id="REQ-API-3"))
        assert third.status_code == 201, third.text
        assert _made_by(db, "REQ-API-3") == (2, changed.hash)
        assert third.json()["decision"]["ruleset"]["hash"] == changed.hash
        assert verify(web.store).ok


def test_a_decision_recorded_with_unreleased_rules_says_so_on_its_page(db: str, tmp_path: Path) -> None:
    first, second = (str(EXAMPLES / name) for name in ("01-engage-nhri-programme.yaml", "02-advisory-ad-hoc.yaml"))
    assert run("evaluate", first, "--as-of", "2026-11-24", "--record", "--db", db)[0] == 0
    rules, criteria = copy_policy(tmp_path / "changed")
    edit(rules / "outcome.yaml", "Information is missing to establish", "Information is lacking to establish")
    given = ("--rules", str(rules), "--criteria", str(criteria))
    status, _, err = run("evaluate", second, "--as-of", "2026-11-24", "--record", "--unreleased", *given, "--db", db)
    assert status == 0, err
    with site(db) as web:
        client = web.client("intake")
        unreleased = client.get("/decisions/2")
        assert unreleased.status_code == 200
        assert "Decided by unreleased rules: not the release in force, recorded on request." in unreleased.text
        assert "Decided by release" not in unreleased.text
        released = client.get("/decisions/1").text
        assert "Decided by release 1 of the rules" in released and "unreleased" not in released
