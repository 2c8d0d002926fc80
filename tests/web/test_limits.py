"""Request bodies over their route's limit are refused while they stream in, before any page parses them."""

from __future__ import annotations

import select
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.web.limits import FORM_BYTES, FORM_OVERHEAD, limit_for

from ..helpers.serving import engage_serve
from ..helpers.websupport import Site, site

CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("limits")
    with site(f"sqlite:///{folder / 'log.sqlite3'}", max_upload_bytes=1024 * 1024) as found:
        yield found


def spooled_files() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir()}


def test_each_route_has_its_limit() -> None:
    assert limit_for("/login", 20 * 1024 * 1024) == FORM_BYTES
    assert limit_for("/requests/new", 20 * 1024 * 1024) == FORM_BYTES
    assert limit_for("/batch", 20 * 1024 * 1024) == 20 * 1024 * 1024 + FORM_OVERHEAD


def test_an_anonymous_body_with_a_large_content_length_is_refused_unread(web: Site) -> None:
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(200):  # 12.5 MB, if it were all read
            sent.append(CHUNK)
            yield b"x" * CHUNK

    client = web.client()
    before = spooled_files()
    response = client.post(
        "/login",
        content=body(),
        headers={"content-type": "application/x-www-form-urlencoded", "content-length": str(200 * CHUNK)},
    )
    assert response.status_code == 413
    assert "What was sent is too large." in response.text
    assert spooled_files() - before == set()
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_chunked_body_without_a_length_gets_413_from_the_form_page(web: Site) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(8):
            yield b"name=" + b"x" * (CHUNK - 5)

    client = web.client("intake")
    response = client.post("/requests/new", content=body(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_the_real_server_stops_reading_a_chunked_body_at_its_limit(tmp_path: Path) -> None:
    # Against `engage serve` itself, over a socket: an anonymous sign-in form sent in chunks with no
    # length, as an attacker would.  The answer (413) comes once the limit is passed, long before
    # the 50 MB that are offered, and the connection is closed.
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    with engage_serve(db) as (_, port):
        sent, answer = 0, b""
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(
                b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"%x\r\n%s\r\n" % (CHUNK, b"x" * CHUNK)
            try:
                for _ in range(800):  # 50 MB on offer
                    conn.sendall(chunk)
                    sent += CHUNK
                    if select.select([conn], [], [], 0)[0]:
                        break
                conn.settimeout(30)
                while not answer.endswith(b"</html>") and (piece := conn.recv(65536)):
                    answer += piece
            except (BrokenPipeError, ConnectionResetError):
                answer = answer or conn.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 4 * 1024 * 1024, sent


def test_an_upload_within_its_limit_still_reaches_its_page(web: Site) -> None:
    client = web.client("intake")
    page = client.get("/batch").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    csv_text = b"id\n"  # a header only: the page answers about it, not the limit
    response = client.post("/batch", data={"csrf_token": token}, files={"file": ("r.csv", csv_text, "text/csv")})
    assert response.status_code != 413
    over = client.post(
        "/batch", data={"csrf_token": token}, files={"file": ("big.csv", b"x" * (1024 * 1024 + FORM_OVERHEAD + 1), "text/csv")}
    )
    assert over.status_code == 413
