"""Tokens are made, listed and revoked from the CLI and from the Accounts page; each is shown once."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from ...helpers.clirun import engage
from ...helpers.websupport import site, token_of
from .apisupport import bearer

TOKEN = re.compile(r"engage_[A-Za-z0-9_-]{43}")


def test_the_cli_prints_a_token_once_as_its_last_line_lists_and_revokes_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    with site(db) as web:  # a server over the same log, with an account per role
        client = TestClient(web.app)
        made = engage("users", "token", "intake", "--expires", "30", "--db", db)
        assert made.status == 0 and made.stderr == ""
        *_, last = made.stdout.rstrip("\n").split("\n")
        assert TOKEN.fullmatch(last), made.stdout
        assert made.stdout.startswith("token 1 for intake (expires ")
        never = engage("users", "token", "intake", "--db", db)
        assert "(never expires)" in never.stdout and never.stdout.rstrip("\n").split("\n")[-1] != last
        assert client.get("/api/v1/decisions", headers=bearer(last)).status_code == 200
        listed = engage("users", "tokens", "intake", "--db", db)
        assert listed.status == 0 and last not in listed.stdout
        lines = listed.stdout.splitlines()
        assert lines[0].split() == ["id", "created", "expires", "last", "used", "revoked", "state"]
        first, second = lines[1].split(), lines[2].split()
        assert first[0] == "1" and first[-1] == "active" and first[2] != "never" and first[3] != "never"  # used once
        assert second[0] == "2" and second[2:4] == ["never", "never"]
        revoked = engage("users", "revoke", "intake", "1", "--db", db)
        assert revoked.status == 0 and revoked.stdout.startswith("token 1 of intake revoked (")
        assert engage("users", "tokens", "intake", "--db", db).stdout.splitlines()[1].split()[-1] == "revoked"
        response = client.get("/api/v1/decisions", headers=bearer(last))
        assert response.status_code == 401 and response.json()["code"] == "token-revoked"


def test_the_cli_refuses_bad_tokens_requests_with_one_line_and_status_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    engage("users", "add", "ana", "--role", "intake", "--password-stdin", "--db", db, stdin="long enough pw\n")
    for argv, line in (
        (("users", "token", "bob"), "bob: no-such-account: there is no account with this name\n"),
        (("users", "token", "ana", "--expires", "0"), "--expires: bad-expiry: a token expires after 1 to 3650 days\n"),
        (("users", "revoke", "ana", "7"), "7: no-such-token: ana has no token 7\n"),
        (("users", "tokens", "bob"), "bob: no-such-account: there is no account with this name\n"),
    ):
        done = engage(*argv, "--db", db)
        assert (done.status, done.stderr, done.stdout) == (2, line, ""), argv


def test_the_accounts_page_makes_a_token_shows_it_once_and_revokes_it(tmp_path: Path) -> None:
    with site(f"sqlite:///{tmp_path / 'log.sqlite3'}") as web:
        admin = web.client("admin")
        made = admin.post("/accounts/board/tokens", data={"csrf_token": token_of(admin, "/accounts"), "days": "10"})
        assert made.status_code == 200
        (secret,) = set(TOKEN.findall(made.text))
        assert "Token 1 for board. Copy it now" in html.unescape(made.text)
        page = admin.get("/accounts").text
        assert secret not in page and "engage_" not in page  # never shown again
        row = page[page.index('<th scope="row">1</th>') :]
        assert "board" in row[:200] and "2026-12-04" in row[:300] and "Active" in row[:900]
        client = TestClient(web.app)
        assert client.get("/api/v1/decisions", headers=bearer(secret)).status_code == 200
        gone = admin.post("/accounts/board/tokens/1/revoke", data={"csrf_token": token_of(admin, "/accounts")})
        assert gone.status_code == 303 and gone.headers["location"] == "/accounts?notice=token_revoked"
        assert client.get("/api/v1/decisions", headers=bearer(secret)).json()["code"] == "token-revoked"
        assert "Revoked" in admin.get("/accounts").text
        # a bad expiry is refused next to the form; a POST without the CSRF token is refused
        bad = admin.post("/accounts/board/tokens", data={"csrf_token": token_of(admin, "/accounts"), "days": "x"})
        assert bad.status_code == 422 and "A token expires after 1 to 3650 days" in html.unescape(bad.text)
        assert admin.post("/accounts/board/tokens", data={"days": "1"}).status_code == 403
        assert len(web.app.state.web.tokens.of("board")) == 1
