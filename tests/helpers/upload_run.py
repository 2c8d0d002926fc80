"""One batch upload sent to a real ``engage serve``, for the server's peak memory and the upload's time.

``measure_upload(FILE, DB_URL)`` starts ``engage serve`` with the upload limit at the file's size
(the largest file that server takes), signs in, streams FILE to ``/batch`` (the client never
holds it whole), follows the job's progress page until the job ends and reads the server's
peak RSS (``VmHWM``) before stopping it.  ``python -m tests.helpers.upload_run FILE DB_URL``
prints the same as one JSON line (the README's figures come from it).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx

from .serving import engage_serve_process
from .support import ROOT
from .websupport import CSRF, PASSWORD

COUNTER = re.compile(r'<dd id="rows-(read|evaluated|recorded|problems)">(\d+)</dd>')


def peak_rss_mb(pid: int) -> float:
    """The peak resident set of a live process, from ``/proc`` (what ``ru_maxrss`` says of oneself)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def add_user(db: str, name: str, role: str) -> None:
    command = [sys.executable, "-c", "from engine.cli import run; run()", "users", "add", name, "--role", role]
    done = subprocess.run(
        [*command, "--password-stdin", "--db", db], input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr


def signed_in(address: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=address, timeout=600)
    page = client.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text
    done = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"})
    assert done.status_code == 303, done.text
    return client


def measure_upload(path: Path, db: str, user: str = "ines") -> dict[str, Any]:
    add_user(db, user, "intake")
    limit_mb = max(1, math.ceil(path.stat().st_size / 2**20))
    with engage_serve_process(db, "--max-upload-mb", str(limit_mb)) as (address, process):
        client = signed_in(address, user)
        token = CSRF.search(client.get("/batch").text)
        assert token
        before = peak_rss_mb(process.pid)
        started = time.monotonic()
        with path.open("rb") as handle:  # httpx sends a file object a block at a time
            response = client.post("/batch", data={"csrf_token": token.group(1)}, files={"file": (path.name, handle)})
        assert response.status_code == 303, response.text[:2000]
        location = response.headers["location"]
        progress: list[dict[str, int]] = []
        while True:
            page = client.get(location)
            if page.status_code != 200:  # say why: the server's log has the incident's traceback
                process.terminate()
                log = process.stderr.read() if process.stderr else ""
                raise AssertionError(f"{location} answered {page.status_code}; the server's log:\n{log[-6000:]}")
            counters = {name: int(value) for name, value in COUNTER.findall(page.text)}
            if 'http-equiv="refresh"' not in page.text:
                break
            progress.append(counters)
            time.sleep(1)
        seconds = time.monotonic() - started
        peak = peak_rss_mb(process.pid)
        client.close()
    return {
        "rows_file": sum(1 for _ in path.open("rb")) - 1,
        "bytes": path.stat().st_size,
        "seconds": round(seconds, 1),
        "server_peak_rss_mb": round(peak, 1),
        "server_rss_before_mb": round(before, 1),
        "progress_pages": len(progress),
        "progress": progress[:: max(1, len(progress) // 10)],
        "summary": page.text,
        "job": location,
    }


if __name__ == "__main__":
    result = measure_upload(Path(sys.argv[1]), sys.argv[2])
    summary = result.pop("summary")
    found = re.search(r'<p class="summary" role="status">(.*?)</p>', summary, re.S)
    result["summary_line"] = re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else None
    result["summary_bytes"] = len(summary)
    print(json.dumps(result))
