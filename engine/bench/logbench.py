"""The benchmark of the decision log at scale, behind ``engage bench --log``.

One run builds a log of N decisions (:func:`engine.bench.logbuild.build_log`: the benchmark's
generated requests, recorded through :meth:`LogStore.append`) and measures, on that log:

* the recording rate (decisions recorded per second, building it);
* the pages of the real web application, served by ``engage serve`` on loopback (a separate
  process, so that its peak RSS is its own): home, the queue (first page and a deep one), the
  audit and one decision's page, each fetched once, signed in as an admin;
* the commands a Board or an office runs on it, each in its own process, timed from start to
  end with its peak RSS: ``engage report``, ``engage log verify`` (chain and replay),
  ``engage log backup``, ``export``, and ``import`` into an empty database.

A page or command that does not answer within ``timeout`` seconds is stopped and shown as
such: the table is still complete, and says what did not finish.  Times are wall-clock on the
machine as it is (other work on it slows them); the RSS figures are peaks (``VmHWM`` of the
server, ``ru_maxrss`` of each command).
"""

from __future__ import annotations

import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCOUNT = "bench-admin"
DEEP_PAGE = 0.9  # the deep queue page: this far into the log


@dataclass(frozen=True)
class Row:
    """One line of the table: what was measured, how long it took, and its peak memory where it has its own."""

    name: str
    seconds: float | None  # None when it did not finish (see ``note``)
    rss_mb: float | None = None
    rate: float | None = None  # per second, for the recording
    status: str = "ok"  # ok, timeout, failed
    note: str = ""


@dataclass(frozen=True)
class LogFigures:
    backend: str
    decisions: int
    head: int
    rows: list[Row]
    server_peak_rss_mb: float | None
    cli_peak_rss_mb: float | None
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 15-minute load average at the start and at the end
    cores: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "decisions": self.decisions,
            "head": self.head,
            "server_peak_rss_mb": self.server_peak_rss_mb,
            "cli_peak_rss_mb": self.cli_peak_rss_mb,
            "rows": [asdict(r) for r in self.rows],
            "load_average_15min": list(self.load),
            "cores": self.cores,
        }


def _engage() -> list[str]:
    return [sys.executable, "-c", "from engine.cli import run; run()"]


# A command run for its peak RSS: it prints its own VmHWM last (a forked child's ru_maxrss starts
# at its parent's, even after exec, so wait4's figure would be this benchmark's).
_MEASURED = (
    "import re, sys\n"
    "from engine.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "found = re.search(r'^VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read(), re.M)\n"
    "sys.stderr.write(f'\\n{PEAK} {found.group(1) if found else 0}\\n')\n"
    "sys.exit(status)\n"
)
PEAK = "engage-bench-peak-kb"


def _run(argv: Sequence[str], timeout: float, env: dict[str, str]) -> tuple[str, float, float | None, str]:
    """Run an ``engage`` command: (status, seconds, peak RSS in MB, last line of its error output)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        code_text = _MEASURED.replace("{PEAK}", PEAK)
        process = subprocess.Popen([sys.executable, "-c", code_text, *argv], stdout=subprocess.DEVNULL, stderr=err, env=env)
        status = "ok"
        deadline = started + timeout
        try:
            process.wait(timeout=max(0.01, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            status = "timeout"
        seconds = time.perf_counter() - started
        err.seek(0)
        lines = [line for line in err.read().decode(errors="replace").splitlines() if line.strip()]
    rss = None
    if lines and lines[-1].startswith(PEAK):
        rss = round(int(lines.pop().split()[1]) / 1024, 1)
    if status == "ok" and process.returncode != 0:
        status = "failed"
    lines = [line for line in lines if not line.startswith("engage: policy")]
    return status, seconds, rss, (lines[-1] if lines else "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return round(int(found.group(1)) / 1024, 1) if found else None


SERVER_MEMORY = 8 * 2**30  # a page that would take more fails instead of starving the machine


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (SERVER_MEMORY, SERVER_MEMORY))


@contextmanager
def _server(db: str, env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = _free_port()
    process = subprocess.Popen(
        [*_engage(), "serve", "--port", str(port), "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        preexec_fn=_limit_memory,  # noqa: PLW1509 - only setrlimit, before exec
    )
    try:
        for _ in range(1200):
            if process.poll() is not None:
                raise RuntimeError("engage serve stopped before it answered")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _deep_queue_path(db: str, head: int) -> str:
    """The queue's page 90% of the way in: by its cursor where the queue is paginated (``engine.bench.pages``)."""
    import importlib

    try:
        pages = importlib.import_module("engine.bench.pages")
    except ImportError:  # a queue without pages: the whole queue is its first page
        return f"/queue?page={max(1, int(head * DEEP_PAGE) // 50)}"
    from ..log.store import LogStore

    with LogStore.open(db) as store:
        return str(pages.deep_queue_path(store, DEEP_PAGE))


class _Browser:
    """A signed-in browser of one loopback server, on the standard library: cookies kept, redirects not followed."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, bytes]:
        import http.client
        import urllib.parse

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
            for header in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return answer.status, content
        finally:
            connection.close()


def _sign_in(port: int, password: str, timeout: float) -> _Browser:
    browser = _Browser(port, timeout)
    _, form = browser.request("GET", "/login")
    token = CSRF.search(form.decode(errors="replace"))
    if token is None:
        raise RuntimeError("the sign-in page has no form")
    fields = {"name": ACCOUNT, "password": password, "csrf_token": token.group(1), "next": "/"}
    status, _ = browser.request("POST", "/login", fields)
    if status != 303:
        raise RuntimeError(f"signing in failed (HTTP {status})")
    return browser


def _pages(
    db: str, env: dict[str, str], password: str, paths: Sequence[tuple[str, str]], timeout: float
) -> tuple[list[Row], float | None]:
    """Each page fetched once from ``engage serve``, and the server's peak RSS.

    A page that does not answer within ``timeout`` stops its server (it would go on working
    on it, and slow what is measured next); the next page gets a new one.
    """
    rows: list[Row] = []
    peak: float | None = None
    remaining = list(paths)
    while remaining:
        with _server(db, env) as (port, process):
            browser = _sign_in(port, password, timeout)
            while remaining:
                name, path = remaining.pop(0)
                started = time.perf_counter()
                try:
                    status, content = browser.request("GET", path)
                except TimeoutError:
                    rows.append(Row(name, None, status="timeout", note=f"no answer within {timeout:.0f} s ({path})"))
                    break
                seconds = time.perf_counter() - started
                ok = status == 200
                note = f"{path}, {len(content):,} bytes" if ok else f"{path}: HTTP {status}"
                rows.append(Row(name, round(seconds, 3), status="ok" if ok else "failed", note=note))
            found = _peak_rss_mb(process.pid)
            peak = found if peak is None or (found is not None and found > peak) else peak
    return rows, peak


def _empty_target(import_db: str | None, work: Path, backend: str) -> str:
    return import_db or str(work / f"imported-from-{backend}.sqlite3")


def measure(
    n: int,
    db: str | None = None,
    *,
    seed: int = 7,
    import_db: str | None = None,
    timeout: float = 600.0,
    page_timeout: float = 120.0,
    report: Callable[[str], None] = lambda line: None,
) -> LogFigures:
    """Build a log of ``n`` decisions in ``db`` (an empty log; by default a new SQLite file) and measure it."""
    from ..log.store import LogStore
    from ..web.accounts import Accounts
    from .logbuild import build_log

    work = Path(tempfile.mkdtemp(prefix="engage-bench-log-"))
    try:
        target = db or str(work / "log.sqlite3")
        with LogStore.open(target) as store:
            if store.head()[0] != 0:
                from ..errors import EngageError, Location

                raise EngageError("not-empty", "engage bench --log builds its own log: give an empty database", Location("--db"))
            backend = store.backend
        env = {**os.environ, "ENGAGE_DB": target}
        env.pop("ENGAGE_POLICY", None)
        rows: list[Row] = []

        load_before = os.getloadavg()[2]
        report(f"recording {n:,} decisions in {backend}")
        started = time.perf_counter()
        built = build_log(
            target, n, seed=seed, progress=lambda done: report(f"recorded {done:,}") if done % 100_000 == 0 else None
        )
        seconds = time.perf_counter() - started
        rate = round(n / seconds, 1) if seconds else None
        rows.append(Row("recording", round(seconds, 2), rss_mb=own_peak_rss_mb(), rate=rate, note="this process"))

        password = secrets.token_urlsafe(18)
        with LogStore.open(target) as store:
            Accounts(store).add(ACCOUNT, ["admin", "board", "intake"], password, "engage bench --log")

        report("pages, from engage serve on loopback")
        paths = [
            ("page: home", "/"),
            ("page: queue, first page", "/queue"),
            ("page: queue, a deep page", _deep_queue_path(target, built.head)),
            ("page: audit", "/audit"),
            ("page: a decision", f"/decisions/{max(1, built.head // 2)}"),
        ]
        page_rows, server_rss = _pages(target, env, password, paths, page_timeout)
        rows.extend(page_rows)

        commands: list[tuple[str, list[str]]] = [
            ("engage report", ["report", "--db", target, "--out", str(work / "report.html")]),
            ("engage log verify", ["log", "verify", "--db", target, "--quiet"]),
            (
                "engage log backup",
                ["log", "backup", str(work / ("backup.sqlite3" if backend == "sqlite" else "backup.dump")), "--db", target],
            ),
            ("engage log export", ["log", "export", str(work / "log.archive"), "--db", target]),
            ("engage log import", ["log", "import", str(work / "log.archive"), "--db", _empty_target(import_db, work, backend)]),
        ]
        for name, argv in commands:
            report(name)
            status, took, rss, last = _run(argv, timeout, env)
            note = "" if status == "ok" else (f"stopped after {timeout:.0f} s" if status == "timeout" else last)
            rows.append(Row(name, round(took, 2) if status != "timeout" else None, rss_mb=rss, status=status, note=note))
        cli = [r.rss_mb for r in rows if r.rss_mb is not None]
        load = (round(load_before, 1), round(os.getloadavg()[2], 1))
        return LogFigures(backend, n, built.head, rows, server_rss, max(cli) if cli else None, load, os.cpu_count() or 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render_text(f: LogFigures) -> str:
    lines = [f"engage bench --log: {f.decisions:,} decisions on {f.backend} (head #{f.head:,})", ""]
    lines.append(f"  {'measured':<28} {'time':>10} {'peak RSS':>10}  note")
    for r in f.rows:
        if r.seconds is None:
            took = r.status
        elif r.rate is not None:
            took = f"{r.seconds:,.1f} s"
        else:
            took = f"{r.seconds:,.2f} s" if r.seconds >= 1 else f"{r.seconds * 1000:,.0f} ms"
        rss = "" if r.rss_mb is None else f"{r.rss_mb:,.0f} MB"
        note = r.note
        if r.rate is not None:
            note = f"{r.rate:,.0f} decisions/s" + (f"; {note}" if note else "")
        if r.status == "failed":
            note = "FAILED: " + note
        lines.append(f"  {r.name:<28} {took:>10} {rss:>10}  {note}".rstrip())
    server = "?" if f.server_peak_rss_mb is None else f"{f.server_peak_rss_mb:,.0f} MB"
    cli = "?" if f.cli_peak_rss_mb is None else f"{f.cli_peak_rss_mb:,.0f} MB"
    lines += ["", f"  peak RSS: engage serve {server}, the commands at most {cli}"]
    if f.cores:
        lines.append(f"  machine: {f.cores} cores, 15-minute load average {f.load[0]} at the start, {f.load[1]} at the end")
    return "\n".join(lines)


def own_peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
