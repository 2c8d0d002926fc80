"""Accounts, passwords, sessions and the limit on failed sign-ins; `engage users`."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from engine.cli import main
from engine.log.store import LogStore
from engine.web.accounts import Accounts
from engine.web.auth import MAX_PER_CLIENT, MAX_PER_NAME

from ..helpers.clirun import split_policy_line
from ..helpers.serving import engage_serve
from ..helpers.websupport import PASSWORD, Site, sign_in, site


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Site]:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}") as found:
        yield found


def test_signing_in_sets_an_httponly_samesite_cookie_and_signing_out_ends_the_session(web: Site) -> None:
    client = web.client()
    response = sign_in(client, "intake", PASSWORD, "/queue")
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("engage_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on this test server; https marks it Secure
    token = client.cookies.get("engage_session")
    assert client.get("/queue").status_code == 200
    page = client.get("/").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/logout", data={"csrf_token": csrf})
    stolen = web.client()
    stolen.cookies.set("engage_session", token or "")
    assert stolen.get("/queue").headers["location"].startswith("/login")  # the old cookie is worth nothing


def test_sign_in_never_sends_to_another_site(web: Site) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert sign_in(web.client(), "intake", PASSWORD, target).headers["location"] == "/"


def test_failed_sign_ins_are_limited_per_name_even_with_the_right_password_then_allowed_again(web: Site) -> None:
    for _ in range(MAX_PER_NAME):
        assert sign_in(web.client(), "board", "wrong password!", "/").status_code == 401
    refused = sign_in(web.client(), "board", PASSWORD, "/")
    assert refused.status_code == 429 and "Too many failed attempts" in refused.text and "15 minutes" in refused.text
    assert sign_in(web.client(), "intake", PASSWORD, "/").status_code == 303  # another name is not affected
    web.clock.advance(minutes=14)
    assert "wait 1 minute" in sign_in(web.client(), "board", PASSWORD, "/").text
    web.clock.advance(minutes=1, seconds=1)
    assert sign_in(web.client(), "board", PASSWORD, "/").status_code == 303


def from_address(web: Site, address: str) -> TestClient:
    """A browser on another computer (the connection's address is what the limit counts)."""
    return TestClient(web.app, follow_redirects=False, client=(address, 50000))


def test_made_up_names_from_one_address_lock_no_real_account_and_then_only_unknown_names(web: Site) -> None:
    office = "10.0.0.7"  # an office's shared address
    for n in range(MAX_PER_CLIENT):
        assert sign_in(from_address(web, office), f"made.up.{n}", "guess", "/").status_code == 401
    assert sign_in(from_address(web, office), "made.up.x", "guess", "/").status_code == 429  # no more guessing names
    assert sign_in(from_address(web, office), "board", PASSWORD, "/").status_code == 303  # a colleague signs in


def test_failures_for_an_account_from_one_address_do_not_lock_it_elsewhere(web: Site) -> None:
    for _ in range(MAX_PER_NAME):
        assert sign_in(from_address(web, "198.51.100.9"), "board", "wrong password!", "/").status_code == 401
    assert sign_in(from_address(web, "198.51.100.9"), "board", PASSWORD, "/").status_code == 429  # the guesser waits
    assert sign_in(from_address(web, "10.0.0.8"), "board", PASSWORD, "/").status_code == 303  # the owner does not


def test_x_forwarded_for_is_not_trusted_unless_a_proxy_is_named(tmp_path: Path) -> None:
    # The real server: uvicorn trusts X-Forwarded-For from 127.0.0.1 by default, which would let
    # anyone on this machine pose as any address and step around the limit.
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    code = main(["users", "add", "boris", "--role", "board", "--password-stdin", "--db", db],
                stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(PASSWORD + "\n"))  # fmt: skip
    assert code == 0
    with engage_serve(db) as (base, _):
        statuses = []
        for n in range(MAX_PER_NAME + 1):
            with httpx.Client(base_url=base) as browser:
                page = browser.get("/login")
                token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                password = PASSWORD if n == MAX_PER_NAME else "wrong password!"
                answer = browser.post(
                    "/login",
                    data={"name": "boris", "password": password, "csrf_token": token, "next": "/"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                )
                statuses.append(answer.status_code)
        assert statuses == [401] * MAX_PER_NAME + [429]  # every attempt counted against 127.0.0.1


def test_x_forwarded_for_from_the_named_proxy_is_the_address_the_limit_counts(tmp_path: Path) -> None:
    # Behind the named proxy (here, this machine): each forwarded address has a limit of its own.
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    code = main(["users", "add", "boris", "--role", "board", "--password-stdin", "--db", db],
                stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(PASSWORD + "\n"))  # fmt: skip
    assert code == 0

    def attempt(base: str, password: str, forwarded: str) -> int:
        with httpx.Client(base_url=base) as browser:
            page = browser.get("/login", headers={"X-Forwarded-For": forwarded})
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            answer = browser.post(
                "/login",
                data={"name": "boris", "password": password, "csrf_token": token, "next": "/"},
                headers={"X-Forwarded-For": forwarded},
            )
            return answer.status_code

    with engage_serve(db, "--proxy", "127.0.0.1") as (base, _):
        failed = [attempt(base, "wrong password!", "203.0.113.7") for _ in range(MAX_PER_NAME)]
        assert failed == [401] * MAX_PER_NAME
        assert attempt(base, PASSWORD, "203.0.113.7") == 429  # that address is refused, even with the password
        assert attempt(base, PASSWORD, "198.51.100.20") == 303  # another one behind the same proxy is not
        # A refused client that writes an address of its own before the one the proxy adds is still refused.
        assert attempt(base, PASSWORD, "198.51.100.99, 203.0.113.7") == 429


def test_an_unknown_name_is_answered_like_a_wrong_password(web: Site) -> None:
    unknown = sign_in(web.client(), "nobody", PASSWORD, "/")
    wrong = sign_in(web.client(), "intake", "wrong password!", "/")
    assert unknown.status_code == wrong.status_code == 401
    assert "The name or the password is not right" in unknown.text and "The name or the password is not right" in wrong.text


def test_a_session_ends_after_eight_idle_hours(web: Site) -> None:
    client = web.client("author")
    web.clock.advance(hours=7, minutes=59)
    assert client.get("/rules").status_code == 200
    web.clock.advance(hours=8, minutes=1)
    assert client.get("/rules").headers["location"].startswith("/login")


def test_passwords_are_stored_as_argon2id_hashes_with_the_library_defaults(tmp_path: Path) -> None:
    store = LogStore.open(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    try:
        accounts = Accounts(store)
        accounts.add("x.officer", ["intake"], "a very secret phrase", "tests")
        from engine.web.db import users

        with store.reading() as conn:
            digest = conn.execute(users.select()).one().password_hash
        defaults = PasswordHasher()
        assert digest.startswith("$argon2id$") and f"m={defaults.memory_cost},t={defaults.time_cost}" in digest
        assert "a very secret phrase" not in digest
        assert accounts.authenticate("X.Officer", "a very secret phrase") is not None  # names are lower case
        assert accounts.authenticate("x.officer", "a very secret phrasE") is None
    finally:
        store.close()


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err, io.StringIO(stdin)), out.getvalue(), split_policy_line(err.getvalue())[0]


def test_engage_users_add_list_password_disable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    code, out, err = run(
        "users",
        "add",
        "A.Officer",
        "--role",
        "intake",
        "--role",
        "board",
        "--password-stdin",
        "--db",
        db,
        stdin="long enough pw\n",
    )
    assert code == 0, err
    assert out == f"added a.officer (intake, board) to {tmp_path / 'log.sqlite3'}\n"
    assert run("users", "add", "a.officer", "--role", "intake", "--password-stdin", "--db", db, stdin="long enough pw\n")[
        2
    ].endswith("a.officer: name-taken: an account with this name already exists\n")
    code, _, err = run("users", "add", "b", "--role", "boss", "--password-stdin", "--db", db, stdin="long enough pw\n")
    assert code == 2 and err == "--role: bad-role: 'boss' is not a role; choose from: intake, board, author, admin\n"
    code, _, err = run("users", "add", "b", "--role", "board", "--password-stdin", "--db", db, stdin="short\n")
    assert code == 2 and "needs at least 10 characters" in err
    code, out, _ = run("users", "list", "--db", db)
    assert code == 0 and out.startswith("a.officer  intake, board  created ")
    assert run("users", "password", "a.officer", "--password-stdin", "--db", db, stdin="another long one\n")[0] == 0
    assert run("users", "disable", "a.officer", "--db", db)[1] == "a.officer disabled\n"
    store = LogStore.open(db)
    try:
        accounts = Accounts(store)
        assert accounts.authenticate("a.officer", "another long one") is None  # disabled
        accounts.set_active("a.officer", True)
        assert accounts.authenticate("a.officer", "another long one") is not None
    finally:
        store.close()
