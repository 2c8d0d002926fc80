"""Who may call each route of the API: role by role, and tokens missing, unknown, expired, revoked.

The table is written out by hand from the issue (the same roles as the pages); the tests
check the API declares exactly it, then prove each declaration by calling.  Sessions and
tokens are kept apart: a signed-in browser's cookie opens nothing in the API, and a token
opens no page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ...helpers.websupport import ROLES, Site, site
from .apisupport import bearer, tokens

EVERYONE = ROLES
EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/v1/evaluate"): EVERYONE,
    ("POST", "/api/v1/requests"): ("intake",),
    ("GET", "/api/v1/decisions"): ("intake", "board"),
    ("GET", "/api/v1/decisions/{seq}"): EVERYONE,
    ("POST", "/api/v1/decisions/{seq}/human"): ("intake", "board"),
    ("GET", "/api/v1/exceptions"): ("board", "admin"),
}
CALLS = [(m, p.replace("{seq}", "999"), roles) for (m, p), roles in EXPECTED.items()]
IDS = [f"{m} {p}" for m, p, _ in CALLS]
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("api-access")
    with site(f"sqlite:///{folder / 'log.sqlite3'}", api_calls_per_minute=10_000) as found:
        yield found


@pytest.fixture(scope="module")
def keys(web: Site) -> dict[str, str]:
    return tokens(web)


def call(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None) -> object:
    return client.request(method, path, headers=headers or {}, content=b"{}" if method == "POST" else None)


def test_the_api_declares_exactly_the_roles_the_issue_gives_each_route(web: Site) -> None:
    (api,) = [r.app for r in web.app.routes if getattr(r, "path", "") == "/api/v1"]  # type: ignore[attr-defined]
    assert api.state.declared == EXPECTED


@pytest.mark.parametrize(("method", "path", "allowed"), CALLS, ids=IDS)
def test_each_role_is_let_in_or_refused_with_403_as_declared(
    web: Site, keys: dict[str, str], method: str, path: str, allowed: tuple[str, ...]
) -> None:
    client = TestClient(web.app)
    for role in ROLES:
        response = client.request(method, path, headers=bearer(keys[role]), content=b"{}" if method == "POST" else None)
        if role in allowed:  # past the door: the route's own answer (404 for #999, 422 for an empty request)
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.headers["content-type"] == PROBLEM
            body = response.json()
            assert body["code"] == "role-needed" and body["status"] == 403 and body["roles"] == list(allowed)
            assert body["type"] == "/api/v1/docs#problem-role-needed" and body["instance"] == path


@pytest.mark.parametrize(("method", "path", "allowed"), CALLS, ids=IDS)
def test_without_a_token_every_route_answers_401_with_problem_details(
    web: Site, method: str, path: str, allowed: tuple[str, ...]
) -> None:
    client = TestClient(web.app)
    for headers, code in (
        ({}, "token-missing"),
        ({"Authorization": "Bearer engage_not-a-token-anyone-made"}, "token-invalid"),
        ({"Authorization": "Basic aW50YWtlOnB3"}, "token-missing"),  # not a bearer token
    ):
        response = client.request(method, path, headers=headers, content=b"{}" if method == "POST" else None)
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == code
        assert response.headers["www-authenticate"].startswith('Bearer realm="engage"')


def test_an_expired_token_opens_nothing_from_the_day_it_expires(tmp_path: Path) -> None:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}") as web:
        key = tokens(web, board=30)["board"]
        client = TestClient(web.app)
        assert client.get("/api/v1/decisions", headers=bearer(key)).status_code == 200
        web.clock.advance(days=29, hours=23)
        assert client.get("/api/v1/decisions", headers=bearer(key)).status_code == 200
        web.clock.advance(hours=1)
        response = client.get("/api/v1/decisions", headers=bearer(key))
        assert response.status_code == 401 and response.json()["code"] == "token-expired"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_a_revoked_token_and_a_disabled_account_open_nothing_and_other_tokens_still_work(tmp_path: Path) -> None:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}") as web:
        w = web.app.state.web
        first, first_key = w.tokens.create("intake", "tests")
        _, second_key = w.tokens.create("intake", "tests")
        client = TestClient(web.app)
        assert client.get("/api/v1/decisions", headers=bearer(first_key)).status_code == 200
        w.tokens.revoke("intake", first.id)
        response = client.get("/api/v1/decisions", headers=bearer(first_key))
        assert response.status_code == 401 and response.json()["code"] == "token-revoked"
        assert client.get("/api/v1/decisions", headers=bearer(second_key)).status_code == 200
        w.accounts.set_active("intake", False)
        response = client.get("/api/v1/decisions", headers=bearer(second_key))
        assert response.status_code == 401 and response.json()["code"] == "token-disabled"
        # a role taken away is taken away at once
        w.accounts.set_active("intake", True)
        w.accounts.set_roles("intake", ["author"])
        assert client.get("/api/v1/decisions", headers=bearer(second_key)).status_code == 403


def test_the_token_is_stored_only_as_its_hash_and_its_last_use_is_kept(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from engine.web.auth import token_hash
    from engine.web.db import api_tokens

    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}") as web:
        w = web.app.state.web
        made, key = w.tokens.create("board", "tests", 7)
        assert key.startswith("engage_") and len(key) == len("engage_") + 43  # 32 random bytes, URL-safe base64
        with web.store.reading() as conn:
            (row,) = conn.execute(sa.select(api_tokens)).all()
        assert key not in str(tuple(row)) and row.token_hash == token_hash(key)
        assert made.last_used is None and made.expires_at is not None and made.expires_at.startswith("2026-12-01")
        TestClient(web.app).get("/api/v1/exceptions", headers=bearer(key))
        (listed,) = w.tokens.of("board")
        assert listed.last_used == "2026-11-24T09:00:00.000000+00:00"


def test_a_session_cookie_opens_nothing_in_the_api_and_a_post_needs_no_csrf_token(web: Site, keys: dict[str, str]) -> None:
    browser = web.client("board")  # signed in: the session cookie is sent with every call
    assert browser.get("/queue").status_code == 200
    response = browser.get("/api/v1/decisions")
    assert response.status_code == 401 and response.json()["code"] == "token-missing"
    # with a token, a POST is accepted without any CSRF token or cookie
    response = TestClient(web.app).post(
        "/api/v1/evaluate?as_of=2026-11-24", headers=bearer(keys["intake"]), content=b'{"id": "X"}'
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid-request"


def test_a_token_opens_no_page(web: Site, keys: dict[str, str]) -> None:
    client = TestClient(web.app, follow_redirects=False)
    for path in ("/", "/queue", "/accounts", "/decisions/1"):
        response = client.get(path, headers=bearer(keys["admin"]))
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    response = client.post("/requests/new", headers=bearer(keys["intake"]), data={"id": "X"})
    assert response.status_code in (303, 403) and "REQ" not in response.text


def test_calls_over_the_rate_limit_get_429_with_retry_after_and_the_limit_is_per_token(tmp_path: Path) -> None:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}", api_calls_per_minute=5) as web:
        keys = tokens(web)
        client = TestClient(web.app)
        statuses = [client.get("/api/v1/exceptions", headers=bearer(keys["board"])).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        response = client.get("/api/v1/exceptions", headers=bearer(keys["board"]))
        assert response.headers["content-type"] == PROBLEM and response.json()["code"] == "rate-limited"
        assert response.headers["retry-after"] == "60"
        assert client.get("/api/v1/exceptions", headers=bearer(keys["admin"])).status_code == 200  # another token
        web.clock.advance(seconds=61)
        assert client.get("/api/v1/exceptions", headers=bearer(keys["board"])).status_code == 200


def test_guessing_tokens_is_limited_per_client_address(tmp_path: Path) -> None:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}") as web:
        client = TestClient(web.app)
        guesses = [client.get("/api/v1/decisions", headers=bearer(f"engage_guess{i}")).status_code for i in range(21)]
        assert guesses == [401] * 20 + [429]


def test_a_body_over_the_limit_is_refused_with_413_problem_details(web: Site, keys: dict[str, str]) -> None:
    from engine.web.limits import FORM_BYTES

    client = TestClient(web.app)
    body = b'{"id": "' + b"x" * FORM_BYTES + b'"}'
    response = client.post("/api/v1/evaluate", headers=bearer(keys["intake"]), content=body)
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "body-too-large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        yield b'{"id": "'
        for _ in range(FORM_BYTES // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/v1/requests", headers=bearer(keys["intake"]), content=chunks())
    assert response.status_code == 413 and response.json()["code"] == "body-too-large"


def test_an_unknown_route_of_the_api_is_a_404_problem_and_a_wrong_method_a_405(web: Site, keys: dict[str, str]) -> None:
    client = TestClient(web.app)
    response = client.get("/api/v1/nothing", headers=bearer(keys["admin"]))
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    response = client.get("/api/v1/evaluate", headers=bearer(keys["admin"]))
    assert response.status_code == 405 and response.json()["code"] == "method-not-allowed"
