"""Helpers for the decision-log tests: databases on both backends, recording, tampering.

PostgreSQL: ``ENGAGE_TEST_PG_URL`` names a server and a database we may create databases
from (``.ci/run`` starts one on loopback and sets it).  Without it the PostgreSQL tests skip,
saying why, unless ``ENGAGE_REQUIRE_PG=1`` (set by ``.ci/run``), which makes that a failure.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from engine.cli import main
from engine.log.database import resolve_url

from .clirun import split_policy_line
from .support import ROOT

PG_ENV = "ENGAGE_TEST_PG_URL"
EXAMPLES = ROOT / "examples"
AS_OF = "2026-11-24"


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def require_pg() -> str:
    url = pg_admin_url()
    if url is None:
        reason = f"PostgreSQL tests need {PG_ENV}=postgresql://USER@HOST:PORT/DB (bash .ci/run starts a server and sets it)"
        if os.environ.get("ENGAGE_REQUIRE_PG") == "1":
            pytest.fail(reason + "; ENGAGE_REQUIRE_PG=1 forbids skipping them", pytrace=False)
        pytest.skip(reason)
    return url


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    admin_url = resolve_url(require_pg())
    name = f"engage_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.set(database=name).set(drivername="postgresql")
        yield url.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.sqlite3'}"
    else:
        with fresh_pg_database() as url:
            yield url


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err, io.StringIO(stdin))
    return status, out.getvalue(), split_policy_line(err.getvalue())[0]


def ok(*argv: str) -> str:
    status, out, err = run(*argv)
    assert status == 0, f"engage {' '.join(argv)} -> {status}\n{out}\n{err}"
    return out


def write_requests(target: Path, changes: dict[str, dict[str, Any]] | None = None, only: Sequence[str] = ()) -> Path:
    """Copies of the shipped examples in ``target``; ``changes``: example stem -> fields to set (e.g. a new id)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix not in (".yaml", ".json") or (only and path.stem[:2] not in only):
            continue
        data = yaml.safe_load(path.read_text())
        data = _plain(data)
        for key, value in (changes or {}).get(path.stem[:2], {}).items():
            data[key] = value
        (target / f"{path.stem}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def record_examples(url: str, as_of: str = AS_OF, user: str = "tester", *extra: str) -> str:
    """Record the nine shipped examples (``extra``: more options, e.g. --update); returns evaluate's standard error."""
    status, _, err = run(
        "evaluate", str(EXAMPLES), "--as-of", as_of, "--record", "--db", url, "--user", user, "--format", "jsonl", *extra
    )
    assert status == 0, err
    return err


# -- tampering, as someone with direct access to the database would ----------------------------


Statement = str | tuple[str, dict[str, Any]]


def execute_bypassing_triggers(url: str, statements: Sequence[Statement], tables: Sequence[str] = ("log_records",)) -> None:
    """Run SQL (text, or text and parameters) that the append-only triggers would refuse, then put the triggers back."""
    engine = sa.create_engine(resolve_url(url))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                triggers = conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({})".format(
                        ",".join(f"'{t}'" for t in tables)
                    )
                ).all()
                for name, _ in triggers:
                    conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
                _run_all(conn, statements)
                for _, sql in triggers:
                    conn.exec_driver_sql(sql)
            else:
                for table in tables:
                    conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                _run_all(conn, statements)
                for table in tables:
                    conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        engine.dispose()


def _run_all(conn: sa.Connection, statements: Sequence[Statement]) -> None:
    for statement in statements:
        sql, params = (statement, {}) if isinstance(statement, str) else statement
        conn.execute(sa.text(sql), params)


def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params).all())
    finally:
        engine.dispose()


# -- concurrent writers -----------------------------------------------------------------------


def concurrent_writer(url: str, worker: int, rounds: int, barrier: Any = None) -> int:
    """One process: evaluate the examples under new ids and append each decision in its own transaction.

    ``barrier`` (a multiprocessing barrier) makes every writer start each round at the same moment, so
    the writers' records interleave even when the scheduler would let one worker finish its rounds first
    (seen on a 2-core machine: four workers, five rounds, three runs).
    """
    from engine.evaluation.evaluator import Engine
    from engine.log.store import LogStore, decision_draft

    requests = []
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix in (".yaml", ".json"):
            requests.append(_plain(yaml.safe_load(path.read_text())))
    engine = Engine.load()
    store = LogStore.open(url)
    store.save_ruleset(engine.policy, f"worker-{worker}")
    written = 0
    if barrier is not None:
        barrier.wait(timeout=120)
    try:
        for round_ in range(rounds):
            if barrier is not None and round_:
                barrier.wait(timeout=120)
            for example in requests:
                request = dict(example, id=f"W{worker}-{round_}-{example['id']}")
                decision = engine.evaluate(request, date.fromisoformat(AS_OF))
                store.append([decision_draft(request, decision, f"worker-{worker}")])
                written += 1
    finally:
        store.close()
        engine.close()
    return written
