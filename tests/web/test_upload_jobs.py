"""Batch uploads as jobs: progress kept in the database, a summary read a page at a time, interrupted and re-run.

The progress is watched from inside the job, at the end of each chunk it records (a subclass of
the real :class:`UploadJobs` that asks the real pages what they show at that moment), so that
no test waits for real time.  The large uploads go to a real ``engage serve`` in its own process,
whose peak memory is read from ``/proc``.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.log.audit import verify
from engine.log.store import LogStore
from engine.web.app import create_app
from engine.web.context import WebConfig
from engine.web.uploads import INTERRUPTED, PAGE_ROWS, UploadJobs

from ..helpers.support import ROOT
from ..helpers.upload_run import measure_upload
from ..helpers.websupport import AS_OF, FAST_HASHER, PASSWORD, Site, finished_upload, sign_in, site, token_of

HEADER = (
    "id,received,country,region,requester.government_endorsed,mandate.restricts_monitoring,mandate.contrary_to_standards,"
    "request.funding_only,request.kind,strategy.status,strategy.request_in_strategy,presence.type,"
    "presence.adequately_staffed,presence.long_term_programming,partnership.government_counterpart,"
    "partnership.civil_society_involved,priority.least_developed_country"
)
ROW = "{id},2026-11-02,SLE,africa,yes,no,no,no,programme,adopted,yes,country_office,yes,yes,yes,yes,no"
BAD = "{id},2026-11-02,SLE,africa,maybe,no,no,no,programme,adopted,yes,country_office,yes,yes,yes,yes,no"
COUNTER = re.compile(r'<dd id="rows-(read|evaluated|recorded|problems)">(\d+)</dd>')


def csv_file(path: Path, ids: Sequence[str], bad: Sequence[int] = ()) -> Path:
    """Rows that differ only in their id (the engine's reuse makes them quick), ``bad`` ones unreadable."""
    lines = [HEADER, *((BAD if i in bad else ROW).format(id=request_id) for i, request_id in enumerate(ids))]
    path.write_text("\n".join(lines) + "\n")
    return path


def counters(page: str) -> dict[str, int]:
    return {name: int(value) for name, value in COUNTER.findall(page)}


class Watched(UploadJobs):
    """The real jobs table; after each chunk is written, ``seen`` is called (from the job's thread)."""

    def __init__(self, jobs: UploadJobs, seen: Any) -> None:
        super().__init__(jobs.tables.store, jobs.now)
        self.seen = seen
        self.chunks = 0

    def add(self, job_id: int, rows: Sequence[dict[str, Any]], counts: dict[str, int], seqs: Sequence[int]) -> None:
        super().add(job_id, rows, counts, seqs)
        self.chunks += 1
        self.seen(job_id, self.chunks)


@pytest.fixture
def web(db: str) -> Iterator[Site]:
    # Every upload is a background job here (a real server runs only files over 256 KB so).
    with site(db, inline_upload_bytes=0) as found:
        found.app.state.web.accounts.add("officer2", ["intake"], PASSWORD, "tests")
        yield found


def send(client: TestClient, path: Path) -> Any:
    return client.post("/batch", data={"csrf_token": token_of(client, "/batch")}, files={"file": (path.name, path.read_bytes())})


def job_of(response: Any) -> int:
    assert response.status_code == 303, response.text[:500]
    found = re.fullmatch(r"/batch/jobs/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def test_a_background_upload_shows_its_progress_to_a_reload_and_to_another_officer(web: Site, tmp_path: Path) -> None:
    ids = [f"P-{n:05d}" for n in range(2100)]
    ids[1700] = ids[3]  # a repeated id, found in a later chunk than its first use
    path = csv_file(tmp_path / "archive.csv", ids, bad=[10])
    uploader, other = web.client("intake"), web.client()
    sign_in(other, "officer2", PASSWORD)
    pages: list[tuple[str, str]] = []

    def look(job_id: int, _chunk: int) -> None:
        pages.append((uploader.get(f"/batch/jobs/{job_id}").text, other.get(f"/batch/jobs/{job_id}").text))

    state = web.app.state.web
    state.uploads = Watched(state.uploads, look)
    job = job_of(send(uploader, path))
    state.runner.wait(job)
    assert len(pages) == 5  # 2,100 rows: four chunks of 500 and one of 100
    for chunk, (mine, theirs) in enumerate(pages, start=1):
        read = min(chunk * 500, 2100)
        problems = 1 + (chunk * 500 > 1700)  # the bad row from the first chunk, the repeated id from the fourth
        expected = {"read": read, "evaluated": read - problems, "recorded": read - problems, "problems": problems}
        assert counters(mine) == expected == counters(theirs), chunk  # a reload and another officer see the same
        assert '<meta http-equiv="refresh" content="2">' in mine and "This page refreshes itself" in mine
        assert 'href="/batch/jobs/' in mine  # a link to refresh by hand, without the meta refresh
    summary = html.unescape(uploader.get(f"/batch/jobs/{job}").text)
    assert 'http-equiv="refresh"' not in summary
    assert "2,098 requests evaluated and recorded." in summary and "2 rows could not be evaluated" in summary
    listed = html.unescape(uploader.get(f"/batch/jobs/{job}?show=problems").text)
    assert "the id 'P-00003' was already used by archive.csv:row 5" in listed and "row 1702" in listed
    assert web.store.count() == 2098
    # The batch page lists the upload for everyone with the intake role, with what it did.
    recent = other.get("/batch").text
    assert f'<a href="/batch/jobs/{job}">archive.csv</a>' in recent and "Finished" in recent
    assert verify(web.store).ok


def test_the_summary_lists_the_problems_page_by_page(web: Site, tmp_path: Path) -> None:
    ids = [f"Q-{n:04d}" for n in range(450)]
    bad = list(range(1, 450, 2))  # 225 rows with a problem, every other one
    client = web.client("intake")
    job = job_of(send(client, csv_file(tmp_path / "half.csv", ids, bad)))
    web.app.state.web.runner.wait(job)
    first = client.get(f"/batch/jobs/{job}?show=problems").text
    rows = re.findall(r'<tr class="(ok|invalid)">', first)
    assert rows == ["invalid"] * PAGE_ROWS and 'rel="prev"' not in first
    assert "225 rows could not be evaluated" in first and "Rows 2 to 400" in first
    following = re.search(r'rel="next" href="([^"]+)"', first)
    assert following, first
    second = client.get(html.unescape(following.group(1))).text
    assert re.findall(r'<tr class="(ok|invalid)">', second) == ["invalid"] * 25
    assert "Q-0449" in second and "Q-0001" not in second and 'rel="next"' not in second
    back = re.search(r'rel="prev" href="([^"]+)"', second)
    assert back and client.get(html.unescape(back.group(1))).text.count('<tr class="invalid">') == PAGE_ROWS
    # Every row, recorded or not, page by page too; each recorded one links to its decision.
    every = client.get(f"/batch/jobs/{job}").text
    assert len(re.findall(r'<tr class="(?:ok|invalid)">', every)) == PAGE_ROWS
    assert re.findall(r'<tr class="ok">.*?href="/decisions/(\d+)"', every, re.S)[:2] == ["1", "2"]
    assert 'href="/decisions/1">#1</a>' in every and 'href="/decisions/225">#225</a>' in every  # the range recorded


def test_an_interrupted_upload_says_so_and_the_same_file_again_records_only_the_rest(web: Site, tmp_path: Path) -> None:
    path = csv_file(tmp_path / "long.csv", [f"I-{n:05d}" for n in range(2600)])
    state = web.app.state.web

    def stop_after_two(_job: int, chunk: int) -> None:
        if chunk == 2:
            state.runner.stopping.set()  # what the server does when it stops (engine/web/app.py)

    state.uploads = Watched(state.uploads, stop_after_two)
    client = web.client("intake")
    job = job_of(send(client, path))
    state.runner.wait(job)
    page = html.unescape(client.get(f"/batch/jobs/{job}").text)
    assert "The upload stopped before the end of the file because the server stopped." in page
    assert counters(page) == {"read": 1000, "evaluated": 1000, "recorded": 1000, "problems": 0}
    assert 'http-equiv="refresh"' not in page
    assert web.store.count() == 1000
    # A job whose server was killed stays "running" in the table: the next server marks it interrupted.
    killed = state.uploads.create("killed.csv", 1, "intake")
    again = create_app(state.engine, web.store, WebConfig(today=lambda: AS_OF, now=web.clock, hasher=FAST_HASHER))
    jobs = again.state.web.uploads
    assert jobs.get(killed).state == INTERRUPTED and jobs.get(job).state == INTERRUPTED
    officer = TestClient(again, follow_redirects=False)
    sign_in(officer, "intake", PASSWORD)
    summary = html.unescape(finished_upload(Site(again, web.store, web.clock), officer, send(officer, path)).text)
    assert "1,600 requests evaluated and recorded." in summary
    assert "Of these, 1,000 were recorded before exactly as they are, by an earlier upload." in summary
    assert web.store.count() == 2600
    with web.store.reading() as conn:
        in_force = conn.exec_driver_sql("SELECT count(*), count(DISTINCT request_id) FROM log_in_force").one()
    assert tuple(in_force) == (2600, 2600)  # one record in force per request id
    again.state.web.runner.stop()
    assert verify(web.store).ok


@pytest.mark.slow
def test_an_upload_of_260001_rows_is_recorded_completely_by_a_server_in_bounded_memory(tmp_path: Path) -> None:
    """More rows than SQLite takes variables in one statement (250,000), through a real server.

    The server holds neither the file nor its rows: its peak memory stays under 300 MB (it is
    about 180 MB before the upload); the summary page is a page of rows, not every one.
    """
    rows = 260_001
    path = csv_file(tmp_path / "big.csv", [f"B-{n:06d}" for n in range(rows)])
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    result = measure_upload(path, db)
    print({k: v for k, v in result.items() if k != "summary"})
    assert f"{rows:,} requests evaluated and recorded." in result["summary"]
    assert result["progress_pages"] >= 1 and result["progress"][-1]["recorded"] < rows
    assert len(result["summary"]) < 200_000
    assert result["server_peak_rss_mb"] < 300, result["server_peak_rss_mb"]
    with LogStore.open(db) as store:
        assert store.count() == rows
        with store.reading() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM log_in_force").scalar_one() == rows


@pytest.mark.slow
def test_evaluate_record_keeps_its_memory_bounded_over_260001_rows(tmp_path: Path) -> None:
    """The recorder keeps counts, not records; the ids used so far are on disk; the file is read as a stream.

    Measured here: about 220 MB for 260,001 rows (the engine's caches are bounded at 50,000
    entries each); 101 MB for the recording process of 1,000,000 rows with ``/usr/bin/time``.
    The bound is the issue's: 300 MB.
    """
    rows = 260_001
    path = csv_file(tmp_path / "big.csv", [f"C-{n:06d}" for n in range(rows)])
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    # VmHWM, not ru_maxrss: Linux carries the high-water mark of the process that started this one
    # across exec (a pytest process that has run the whole suite is over 1 GB), VmHWM is this program's own.
    script = (
        "import re, sys\nfrom engine.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)\n"
        "print('peak', hwm, file=sys.stderr)\nsys.exit(code)\n"
    )
    command = [sys.executable, "-c", script, "evaluate", str(path), "--record", "--db", db, "--format", "jsonl"]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"recorded {rows} decisions in " in done.stderr
    peak_mb = int(re.findall(r"^peak (\d+)$", done.stderr, re.M)[-1]) / 1024
    print(f"engage evaluate --record of {rows} rows: peak RSS {peak_mb:.0f} MB")
    assert peak_mb < 300, peak_mb
    with LogStore.open(db) as store:
        assert store.count() == rows
