"""The audit page's Verify: a background job whose progress and result are kept in the database.

The job runs in a thread of the application; these tests hold it back where they need a run
to stay "running" (the ``start`` hook), and wait for it otherwise, never for a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from engine.web.verifying import DONE, FAILED, RUNNING, STALE, Verifications

from ..helpers.logsupport import execute_bypassing_triggers
from ..helpers.websupport import Site, request_form, site, submit, token_of


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    with site(db) as found:
        yield found


def record(web: Site, n: int) -> None:
    assert submit(web.client("intake"), request_form(id=f"REQ-V-{n}")).status_code == 303


def held(verifications: Verifications) -> list[Callable[[], None]]:
    """Runs are not started, only kept, until the test runs them."""
    kept: list[Callable[[], None]] = []

    def keep(job: Callable[[], None]) -> threading.Thread | None:
        kept.append(job)
        return None

    verifications.start_job = keep
    return kept


def test_a_verification_runs_in_the_background_and_its_result_is_kept_and_shown(web: Site) -> None:
    record(web, 1)
    record(web, 2)
    verifications: Verifications = web.app.state.web.verifications
    kept = held(verifications)
    board = web.client("board")
    answer = board.post("/audit/verify", data={"csrf_token": token_of(board, "/audit")})
    assert answer.status_code == 303  # at once: the page does not wait for the verification
    page = board.get("/audit").text
    assert 'id="verify-running"' in page and "Verification started by board" in page
    assert "0 of 2 records checked." in page and '<meta http-equiv="refresh"' in page
    assert "Verify now" not in page  # no second start while one runs
    running = verifications.current()
    assert running is not None and running.state == RUNNING and running.total == 2

    kept.pop()()  # the run, as its thread would
    done = verifications.last()
    assert done is not None and done.state == DONE and done.ok
    assert (done.started_by, done.records, done.replayed, done.problems) == ("board", 2, 2, 0)
    head_seq, head_hash = web.store.head()
    assert (done.head_seq, done.head_hash) == (head_seq, head_hash)
    assert verifications.current() is None
    # Kept in the database: another application over the same log shows it.
    page = web.client("admin").get("/audit").text
    assert "The decision log is intact" in page and "2 records checked; 2 decisions evaluated again." in page
    assert f"{head_seq}:{head_hash}" in page and "Verification started by board" in page
    assert 'id="verify-running"' not in page and '<meta http-equiv="refresh"' not in page


def test_a_second_click_while_one_runs_shows_the_running_one(web: Site) -> None:
    record(web, 1)
    verifications: Verifications = web.app.state.web.verifications
    kept = held(verifications)
    board, admin = web.client("board"), web.client("admin")
    board.post("/audit/verify", data={"csrf_token": token_of(board, "/audit")})
    first = verifications.current()
    assert first is not None
    # The button is not shown while it runs, but a form sent anyway (another tab) starts nothing.
    admin.post("/audit/verify", data={"csrf_token": token_of(admin, "/accounts")})
    again = verifications.current()
    assert again is not None and again.id == first.id and len(kept) == 1
    assert "Verification started by board" in admin.get("/audit").text


def test_a_run_whose_server_stopped_is_not_running_for_ever(web: Site) -> None:
    record(web, 1)
    verifications: Verifications = web.app.state.web.verifications
    kept = held(verifications)
    first, started = verifications.start("board")
    assert started and first.state == RUNNING
    web.clock.advance(seconds=STALE.total_seconds() + 1)  # its row has not moved since
    assert verifications.current() is None
    second, started = verifications.start("admin")
    assert started and second.id != first.id and len(kept) == 2
    interrupted = verifications.get(first.id)
    assert interrupted is not None and interrupted.state == FAILED and "interrupted" in (interrupted.error or "")


def test_the_first_problem_of_a_tampered_log_is_kept_and_shown(web: Site, db: str) -> None:
    for n in range(1, 4):
        record(web, n)
    execute_bypassing_triggers(db, ["UPDATE log_records SET outcome = 'decline' WHERE seq = 2"])
    verifications: Verifications = web.app.state.web.verifications
    run, _ = verifications.start("admin")
    verifications.wait()
    done = verifications.get(run.id)
    assert done is not None and done.state == DONE and not done.ok
    assert done.problems and done.first_problem is not None and done.first_problem.startswith("#2 (REQ-V-2): edited")
    page = web.client("board").get("/audit").text
    assert "The first problem:" in page and "#2 (REQ-V-2): edited" in page and 'class="result bad"' in page
