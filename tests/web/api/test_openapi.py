"""The OpenAPI description is valid, lists exactly the API's routes (no page), and its
documentation page works on a closed network: nothing on it is fetched from elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from ...helpers.websupport import Site, site
from .test_access import EXPECTED


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("api-openapi")
    with site(f"sqlite:///{folder / 'log.sqlite3'}") as found:
        yield found


def test_the_description_is_valid_openapi_and_lists_exactly_the_routes(web: Site) -> None:
    response = TestClient(web.app).get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.1") and document["servers"] == [{"url": "/api/v1"}]
    listed = {(method.upper(), "/api/v1" + path) for path, ops in document["paths"].items() for method in ops}
    assert listed == set(EXPECTED)
    # every route says which problems it may answer, and needs the bearer token
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert {"401", "403", "429"} <= set(op["responses"]), (method, path)
            assert op["security"] == [{"HTTPBearer": []}], (method, path)
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a token from `engage users token NAME` or the Accounts page",
    }
    request = document["components"]["schemas"]["Request"]
    assert request["required"] == ["id", "received"] and "$id" not in request


def test_the_pages_are_not_in_the_description(web: Site) -> None:
    document = TestClient(web.app).get("/api/v1/openapi.json").json()
    assert not any(p in document["paths"] for p in ("/queue", "/login", "/accounts", "/docs", "/openapi.json"))
    # and the pages' application publishes no description of its own
    assert TestClient(web.app).get("/openapi.json").status_code in (303, 404)
    assert TestClient(web.app, follow_redirects=False).get("/docs").status_code in (303, 404)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [v or "" for k, v in attrs if k in ("src", "href", "action", "srcset", "data")]


def test_the_documentation_page_lists_every_route_and_fetches_nothing_from_elsewhere(web: Site) -> None:
    response = TestClient(web.app).get("/api/v1/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    parser = _Links()
    parser.feed(page)
    assert parser.found and all(link.startswith(("/", "#")) and not link.startswith("//") for link in parser.found)
    assert not re.search(r"https?://|//cdn|@import", page)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for method, path in EXPECTED:
        assert f"<code>{method} {path}</code>" in page
    assert page.count("curl -sS") == len(EXPECTED)
    assert 'id="problem-already-recorded"' in page and 'id="problem-token-expired"' in page
