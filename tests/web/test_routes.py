"""Every route of the web application, for every role: who may open it, who is refused, and CSRF.

The table below is written out by hand: it is what the issue asks (intake enters requests,
the Board reviews, authors write rules, admins manage accounts and audit).  The tests check
the application declares exactly this, and then prove each declaration by asking.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from engine.web.pages import home

from ..helpers.websupport import PASSWORD, ROLES, Site, sign_in, site, token_of

EVERYONE = ROLES
EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/login"): (),
    ("POST", "/login"): (),
    ("POST", "/logout"): EVERYONE,
    ("POST", "/language"): (),
    ("POST", "/account/language"): EVERYONE,
    ("GET", "/"): EVERYONE,
    ("GET", "/requests/new"): ("intake",),
    ("POST", "/requests/new"): ("intake",),
    ("GET", "/drafts"): ("intake",),
    ("POST", "/drafts/{draft_id}/delete"): ("intake",),
    ("GET", "/batch"): ("intake",),
    ("POST", "/batch"): ("intake",),
    ("GET", "/batch/template.xlsx"): ("intake",),
    ("GET", "/batch/jobs/{job_id}"): ("intake",),
    ("GET", "/queue"): ("intake", "board"),
    ("GET", "/decisions/{seq}"): EVERYONE,
    ("POST", "/decisions/{seq}/human"): ("intake", "board"),
    ("GET", "/decisions/{seq}/letter"): ("intake",),
    ("POST", "/decisions/{seq}/letter"): ("intake",),
    ("GET", "/audit"): ("board", "admin"),
    ("POST", "/audit/verify"): ("board", "admin"),
    ("GET", "/audit/decisions.csv"): ("board", "admin"),
    ("GET", "/audit/report.html"): ("board", "admin"),
    ("GET", "/rules"): ("author", "board"),
    ("GET", "/rules/impact"): ("author",),
    ("POST", "/rules/impact"): ("author",),
    ("GET", "/releases/editor"): ("author",),
    ("GET", "/releases/editor/{kind}/{path:path}"): ("author",),
    ("POST", "/releases/editor/check"): ("author",),
    ("POST", "/releases/editor/propose"): ("author",),
    ("POST", "/releases/editor/discard"): ("author",),
    ("GET", "/releases"): ("author", "board"),
    ("POST", "/releases"): ("author",),
    ("GET", "/releases/{number}"): ("author", "board"),
    ("POST", "/releases/{number}/approve"): ("board",),
    ("POST", "/releases/{number}/reject"): ("board",),
    ("POST", "/releases/{number}/withdraw"): ("author",),
    ("GET", "/accounts"): ("admin",),
    ("POST", "/accounts"): ("admin",),
    ("POST", "/accounts/{name}"): ("admin",),
    ("POST", "/accounts/{name}/tokens"): ("admin",),
    ("POST", "/accounts/{name}/tokens/{token_id}/revoke"): ("admin",),
}
# A concrete address for each route (records that do not exist are fine: the role check comes first).
CONCRETE = {
    "{kind}/{path:path}": "rules/outcome.yaml",
    "{draft_id}": "999",
    "{seq}": "999",
    "{name}": "nobody",
    "{token_id}": "999",
    "{number}": "999",
    "{job_id}": "999",
}
GUARDED = [(m, p, roles) for (m, p), roles in EXPECTED.items() if roles]


def concrete(path: str) -> str:
    for key, value in CONCRETE.items():
        path = path.replace(key, value)
    return path


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("routes")
    with site(f"sqlite:///{folder / 'log.sqlite3'}") as found:
        yield found


def test_every_route_declares_exactly_the_roles_the_issue_gives_it(web: Site) -> None:
    declared = web.app.state.declared
    assert declared == EXPECTED
    routes = {(method, r.path) for r in web.app.routes if isinstance(r, APIRoute) for method in r.methods if method != "HEAD"}
    assert routes == set(EXPECTED), "a route without a declared role (or a declared role without a route)"
    heads = {r.path for r in web.app.routes if isinstance(r, APIRoute) and "HEAD" in r.methods}
    assert heads == {p for m, p in EXPECTED if m == "GET"}, "every page, and only the pages, answer HEAD"


GETS = [(p, roles) for (m, p), roles in EXPECTED.items() if m == "GET"]


@pytest.mark.parametrize(("path", "allowed"), GETS, ids=[p for p, _ in GETS])
def test_every_page_answers_head_as_it_answers_get(web: Site, path: str, allowed: tuple[str, ...]) -> None:
    client = web.client(allowed[0] if allowed else None)
    address = concrete(path)
    got, head = client.get(address), client.head(address)
    assert head.status_code == got.status_code != 405
    assert head.content == b""
    assert head.headers.get("content-type") == got.headers.get("content-type")


def test_a_crash_shows_the_application_page_with_an_incident_number_that_is_in_the_servers_log(
    web: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(web.app, follow_redirects=False, raise_server_exceptions=False)
    sign_in(client, "board", PASSWORD)

    def broken(*args: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(home, "totals", broken)  # what the start page shows comes from it
    with caplog.at_level(logging.ERROR, logger="engage.web"):
        page = client.get("/")
    assert page.status_code == 500
    assert "Something went wrong" in page.text and "<nav" in page.text  # the application's own page
    number = re.search(r"incident number ([0-9a-f]{8})", page.text)
    assert number, page.text
    logged = [r for r in caplog.records if r.name == "engage.web" and number.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None and "the disk went away" in str(logged[0].exc_info[1])
    assert "the disk went away" not in page.text  # the details stay in the log


@pytest.mark.parametrize(("method", "path", "allowed"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_what_it_may_and_is_refused_the_rest(
    web: Site, method: str, path: str, allowed: tuple[str, ...], role: str
) -> None:
    client = web.client(role)
    address = concrete(path)
    if method == "GET":
        response = client.get(address)
    else:
        token = token_of(client, "/")
        data = {"csrf_token": token}
        response = client.post(address, data=data)
    if role in allowed:
        assert response.status_code != 403, f"{role} refused {method} {address}"
        assert not response.headers.get("location", "").startswith("/login?next="), f"{role} sent to sign in"
    else:
        assert response.status_code == 403, f"{role} reached {method} {address}: {response.status_code}"
        assert "does not have a role that may open this page" in response.text


@pytest.mark.parametrize(("method", "path", "allowed"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_without_signing_in_every_guarded_route_sends_to_the_sign_in_page(
    web: Site, method: str, path: str, allowed: tuple[str, ...]
) -> None:
    client = web.client()
    address = concrete(path)
    response = client.get(address + "?x=1") if method == "GET" else client.post(address, data={"csrf_token": "x"})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    if method == "GET":
        assert "next=" + address.replace("/", "%2F") in location  # and back to the page after signing in


POSTS = [(p, roles) for (m, p), roles in EXPECTED.items() if m == "POST" and roles]


@pytest.mark.parametrize(("path", "allowed"), POSTS, ids=[p for p, _ in POSTS])
@pytest.mark.parametrize("token", ["missing", "wrong", "another session's"])
def test_every_state_changing_form_refuses_a_missing_or_wrong_csrf_token(
    web: Site, path: str, allowed: tuple[str, ...], token: str
) -> None:
    client = web.client(allowed[0])
    data: dict[str, str] = {}
    if token == "wrong":
        data["csrf_token"] = "not-the-token"
    elif token == "another session's":
        data["csrf_token"] = token_of(web.client(allowed[0]), "/")
    response = client.post(concrete(path), data=data)
    assert response.status_code == 403
    assert "The form could not be accepted" in response.text
    assert client.get("/").status_code == 200  # still signed in: the refusal changed nothing


def test_the_sign_in_form_refuses_a_missing_or_wrong_csrf_token(web: Site) -> None:
    client = web.client()
    client.get("/login")  # sets the sign-in CSRF cookie
    for data in (
        {"name": "intake", "password": "correct horse battery"},
        {"name": "intake", "password": "correct horse battery", "csrf_token": "wrong"},
    ):
        response = client.post("/login", data=data)
        assert response.status_code == 403
        assert "engage_session" not in response.cookies
