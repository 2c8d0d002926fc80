"""Busy officers: many sessions recording the same requests at the same moment, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.log.audit import verify
from engine.log.logview import entries

from ..helpers.websupport import Site, request_form, site, token_of

HEADER = (
    "id,received,country,region,requester.government_endorsed,mandate.restricts_monitoring,mandate.contrary_to_standards,"
    "request.funding_only,request.kind,strategy.status,strategy.request_in_strategy,presence.type,presence.adequately_staffed,"
    "presence.long_term_programming,partnership.government_counterpart,partnership.civil_society_involved,"
    "priority.least_developed_country"
)
ROW = "REQ-R-{n:02d},2026-11-02,SLE,africa,yes,no,no,no,programme,adopted,yes,country_office,yes,yes,yes,yes,no"


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def at_once(count: int, prepare: Callable[[int], Any], act: Callable[[Any], Any]) -> list[Any]:
    """``act`` in ``count`` threads released together (each after its own ``prepare``: signing in, a token)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            ready = prepare(i)
            barrier.wait(timeout=120)
            results[i] = act(ready)
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


def test_twelve_sessions_submitting_one_new_id_at_once_record_it_once(web: Site) -> None:
    def prepare(_: int) -> Any:
        client = web.client("intake")
        return client, dict(request_form(), csrf_token=token_of(client, "/requests/new"), action="submit")

    responses = at_once(12, prepare, lambda ready: ready[0].post("/requests/new", data=ready[1]))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [422] * 11
    with web.store.reading() as conn:
        found = entries(web.store, conn)
    assert [e.request_id for e in found] == ["REQ-WEB-0001"] and web.store.count() == 1
    for refused in (r for r in responses if r.status_code == 422):
        assert "already in the decision log (record #1)" in refused.text
    assert verify(web.store).ok


def test_six_simultaneous_uploads_of_one_20_row_file_record_20_and_tell_the_others(web: Site) -> None:
    content = ("\n".join([HEADER, *(ROW.format(n=n) for n in range(1, 21))]) + "\n").encode()

    def prepare(_: int) -> Any:
        client = web.client("intake")
        return client, token_of(client, "/batch")

    def upload(ready: Any) -> Any:
        client, token = ready
        return client.post("/batch", data={"csrf_token": token}, files={"file": ("intake.csv", content)})

    pages = [r.text for r in at_once(6, prepare, upload)]
    assert web.store.count() == 20
    with web.store.reading() as conn:
        assert sorted(e.request_id for e in entries(web.store, conn)) == [f"REQ-R-{n:02d}" for n in range(1, 21)]
    # Every row was recorded by exactly one upload, which links it; each other upload says so on that row.
    linked = [re.findall(r'<tr class="ok">.*?href="/decisions/(\d+)"', page, re.S) for page in pages]
    told = [page.count("already in the decision log") for page in pages]
    assert sorted(int(seq) for seqs in linked for seq in seqs) == list(range(1, 21))
    assert [len(seqs) + t for seqs, t in zip(linked, told, strict=True)] == [20] * 6
    assert verify(web.store).ok
