"""Opening the decision log: URLs, the default file, migrations, and the append-only triggers."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.log.database import StoreError, default_url, head_revision, resolve_url
from engine.log.store import LogStore, metadata

from ..helpers.logsupport import execute_bypassing_triggers, query, run

TABLES = ("log_records", "rulesets", "policy_blobs", "ruleset_files")


def test_postgresql_urls_use_psycopg_3() -> None:
    assert resolve_url("postgresql://u@h:5433/d").drivername == "postgresql+psycopg"
    assert resolve_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert resolve_url("postgresql+psycopg://u@h/d").drivername == "postgresql+psycopg"


def test_a_plain_path_is_a_sqlite_file(tmp_path: Path) -> None:
    url = resolve_url(str(tmp_path / "x" / "log.db"))
    assert url.drivername == "sqlite"
    assert url.database == str(tmp_path / "x" / "log.db")


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("mysql://u@h/d", "unsupported database 'mysql'"),
        ("sqlite://", "must be a file"),
        ("sqlite:///:memory:", "must be a file"),
    ],
)
def test_unusable_urls_are_one_clear_line(given: str, words: str) -> None:
    with pytest.raises(StoreError, match=words):
        resolve_url(given)
    status, out, err = run("log", "list", "--db", given)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_the_default_log_is_in_the_user_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGAGE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_url() == f"sqlite:///{tmp_path / 'data' / 'engage' / 'decisions.sqlite3'}"
    status, out, _ = run("log", "list")
    assert status == 0 and "no recorded decisions" in out
    assert (tmp_path / "data" / "engage" / "decisions.sqlite3").is_file()


def test_engage_db_names_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGE_DB", str(tmp_path / "env.sqlite3"))
    assert run("log", "list")[0] == 0
    assert (tmp_path / "env.sqlite3").is_file()


def test_an_unreachable_server_is_one_line() -> None:
    status, _, err = run("log", "list", "--db", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert status == 2
    assert err.startswith("postgresql://nobody@127.0.0.1:9/none") and "cannot use the decision log" in err
    assert err.count("\n") == 1


def every_table() -> sa.MetaData:
    """The decision log's tables (the chain's and those kept beside it) and the web application's."""
    from engine.log.kept import metadata as kept_metadata
    from engine.web.db import metadata as web_metadata
    from engine.web.verifying import metadata as verify_metadata

    combined = sa.MetaData()
    declared = (metadata, kept_metadata, web_metadata, verify_metadata)
    for table in [table for each in declared for table in each.tables.values()]:
        table.to_metadata(combined)
    return combined


def test_migrations_create_exactly_the_tables_the_store_uses(db: str) -> None:
    LogStore.open(db).close()
    engine = sa.create_engine(resolve_url(db))
    with engine.connect() as conn:
        # Alembic compares an index with a DESC column only approximately on SQLite (it warns and
        # reports it as removed and added): those are compared by name and columns below instead.
        def plain(obj: object, name: str | None, kind: str, reflected: bool, _other: object) -> bool:
            return not (kind == "index" and name in expression_indexes)

        declared = every_table()
        expression_indexes = {
            index.name
            for table in declared.tables.values()
            for index in table.indexes
            if any(not isinstance(e, sa.Column) for e in index.expressions)
        }
        opts = {"version_table": "engage_schema_version", "include_object": plain}
        context = MigrationContext.configure(conn, opts=opts)
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, declared) == []
        inspector = sa.inspect(conn)
        for table in declared.tables.values():
            made = {i["name"]: i for i in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name in expression_indexes:
                    assert index.name in made, f"{table.name}: index {index.name} is not made by the migrations"
    engine.dispose()


def test_opening_again_keeps_the_log(db: str) -> None:
    with LogStore.open(db) as store:
        store.append([])
        from engine.log.store import Draft

        store.append([Draft(kind="decision", request_id="R-1", recorded_by="t")])
    with LogStore.open(db) as store:
        assert store.count() == 1


def test_a_newer_schema_is_refused_with_a_clear_message(db: str) -> None:
    LogStore.open(db).close()
    engine = sa.create_engine(resolve_url(db))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE engage_schema_version SET version_num = '9999'")
    engine.dispose()
    status, _, err = run("log", "list", "--db", db)
    assert status == 2
    assert "newer than this version of engage knows" in err and "9999" in err


@pytest.mark.parametrize("table", TABLES)
def test_the_database_refuses_updates_and_deletes(db: str, table: str) -> None:
    from ..helpers.logsupport import record_examples

    record_examples(db)
    engine = sa.create_engine(resolve_url(db))
    column = {"log_records": "request_id", "rulesets": "stored_by", "policy_blobs": "sha256", "ruleset_files": "path"}[table]
    try:
        for statement in (f"UPDATE {table} SET {column} = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert query(db, f"SELECT count(*) FROM {table}")[0][0] > 0


def test_tampering_helper_really_bypasses_the_triggers(db: str) -> None:
    from ..helpers.logsupport import record_examples

    record_examples(db)
    execute_bypassing_triggers(db, ["UPDATE log_records SET recorded_by = 'mallory' WHERE seq = 2"])
    assert query(db, "SELECT recorded_by FROM log_records WHERE seq = 2")[0][0] == "mallory"
    engine = sa.create_engine(resolve_url(db))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM log_records")
    engine.dispose()
