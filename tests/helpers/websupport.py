"""Helpers for the web application's tests: an application over a fresh decision log, signed-in clients.

Passwords are hashed with argon2id at low cost here (the real algorithm, cheaper parameters)
so that signing in dozens of times stays quick; ``test_web_auth`` checks the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engine.evaluation.evaluator import Engine
from engine.log.store import LogStore
from engine.web.app import create_app
from engine.web.context import WebConfig

from .support import shipped_engine

AS_OF = date(2026, 11, 24)
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
ROLES = ("intake", "board", "author", "admin")
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    """A clock the tests move by hand (no test waits for real time)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    app: FastAPI
    store: LogStore
    clock: Clock

    def client(self, role: str | None = None) -> TestClient:
        """A browser: signed in as the account of ``role`` (one account per role, named by it), or not at all."""
        client = TestClient(self.app, follow_redirects=False)
        if role is not None:
            sign_in(client, role, PASSWORD)
        return client


def sign_in(client: TestClient, name: str, password: str, next_path: str = "/") -> Any:
    page = client.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1), "next": next_path})


def token_of(client: TestClient, path: str = "/") -> str:
    page = client.get(path)
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {path}: {page.status_code}"
    return found.group(1)


@contextmanager
def site(url: str, engine: Engine | None = None, **config: Any) -> Iterator[Site]:
    """The application over a fresh log at ``url``, with the shipped rules or ``engine``'s."""
    clock = Clock()
    store = LogStore.open(url)
    settings = {"today": lambda: AS_OF, "now": clock, "hasher": FAST_HASHER, **config}
    app = create_app(engine or shipped_engine(50_000), store, WebConfig(**settings))
    for role in ROLES:
        app.state.web.accounts.add(role, [role], PASSWORD, "tests")
    try:
        yield Site(app, store, clock)
    finally:
        app.state.web.runner.stop()  # as the server does when it stops: jobs end after their chunk
        store.close()


def finished_upload(site: Site, client: TestClient, response: Any) -> Any:
    """The page an upload ends on: its answer, or (for a file run in the background) its job's summary once done."""
    location = response.headers.get("location", "") if response.status_code == 303 else ""
    match = re.fullmatch(r"/batch/jobs/(\d+)", location)
    if match is None:
        return response
    site.app.state.web.runner.wait(int(match.group(1)))
    return client.get(location)


def request_form(**fields: str | list[str]) -> dict[str, Any]:
    """The form of a request that the rules engage (every condition met), with ``fields`` changed."""
    form: dict[str, Any] = {
        "id": "REQ-WEB-0001",
        "received": "2026-11-02",
        "country": "SLE",
        "region": "africa",
        "requester.type": "government",
        "requester.name": "Ministry of Justice",
        "requester.government_endorsed": "yes",
        "request.kind": "programme",
        "request.title": "Support to the national human rights institution",
        "request.themes": ["nhri", "legislative_reform"],
        "request.duration_months": "24",
        "request.budget_usd": "350000",
        "request.funding_only": "no",
        "mandate.restricts_monitoring": "no",
        "mandate.contrary_to_standards": "no",
        "presence.type": "country_office",
        "presence.adequately_staffed": "yes",
        "presence.long_term_programming": "yes",
        "strategy.status": "adopted",
        "strategy.request_in_strategy": "yes",
        "partnership.government_counterpart": "yes",
        "partnership.civil_society_involved": "yes",
        "partnership.un_partners[0]": "UNDP",
        "priority.least_developed_country": "yes",
        "priority.recommendations[0].mechanism": "upr",
        "priority.recommendations[0].reference": "A/HRC/44/5 para 12",
        "expertise_available": "no",
    }
    form.update(fields)
    return form


def submit(client: TestClient, form: dict[str, Any], path: str = "/requests/new", action: str = "submit") -> Any:
    data = dict(form, csrf_token=token_of(client, path), action=action)
    return client.post("/requests/new", data=data)
