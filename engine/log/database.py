"""Where the decision log lives and how to open it: one code path for SQLite and PostgreSQL.

``--db`` (or ``ENGAGE_DB``) names the database: a file path or ``sqlite:///PATH`` for SQLite,
``postgresql://user@host/db`` for PostgreSQL (driven by psycopg 3).  Without either, the log
is a SQLite file in the user's data directory.  The schema is created and upgraded by the
versioned migrations in ``engine/log/migrations`` the first time a database is opened.

A log that cannot be written (on read-only media, or a file without write permission) is
opened read-only (``mode=ro&immutable=1``) by the verbs that only read it: nothing is
written beside it, not even the write-ahead log's index, and no migration runs.

Appends to the log are serialised: :func:`write_transaction` takes the database's one writer
lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL), so
concurrent writers, in any number of processes, queue up instead of forking the chain.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from ..errors import EngageError, Location

ENV_VAR = "ENGAGE_DB"
DEFAULT_FILE = "decisions.sqlite3"
BUSY_TIMEOUT_SECONDS = 120
# pg_advisory_xact_lock keys: one for appends, one for migrations ("engage" and "engage+1" in ASCII).
APPEND_LOCK = 0x656E67616765
MIGRATE_LOCK = APPEND_LOCK + 1
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(EngageError):
    """The decision log cannot be opened or used as asked (exit status 2)."""


def default_url() -> str:
    """The SQLite file in the user's data directory (created on first use)."""
    return "sqlite:///" + str(Path(platformdirs.user_data_dir("engage")) / DEFAULT_FILE)


def resolve_url(given: str | None = None) -> URL:
    """The SQLAlchemy URL for ``--db`` (or ``ENGAGE_DB``, or the default file)."""
    text = given or os.environ.get(ENV_VAR) or default_url()
    if "://" not in text:
        text = "sqlite:///" + str(Path(text).expanduser().resolve())
    try:
        url = make_url(text)
    except ArgumentError:
        raise StoreError("bad-database", f"'{text}' is not a database URL or file path", Location("--db")) from None
    backend = url.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if url.drivername != "sqlite" or not url.database or url.database == ":memory:":
            raise StoreError("bad-database", "a SQLite decision log must be a file: sqlite:///PATH", Location("--db"))
        return url
    raise StoreError(
        "bad-database",
        f"unsupported database '{backend}': give a file path, sqlite:///PATH or postgresql://USER@HOST/DB",
        Location("--db"),
    )


def display_url(url: URL) -> str:
    """The URL without its password, for messages."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def connect(url: URL) -> Engine:
    """An SQLAlchemy engine for ``url``, with the SQLite settings the log relies on."""
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=False)
    except NoSuchModuleError as exc:  # pragma: no cover - psycopg is a dependency
        raise StoreError("bad-database", str(exc), Location("--db")) from None


def read_only_path(url: URL) -> Path | None:
    """The file of a SQLite log that exists but cannot be written, else None."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    path = Path(url.database)
    if not path.is_file():
        return None
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return None if writable else path


def connect_read_only(path: Path) -> Engine:
    """A SQLite log opened as immutable: read as it is, with no lock, journal or index files made."""
    target = "file:" + urllib.parse.quote(str(path)) + "?mode=ro&immutable=1"
    engine = sa.create_engine(
        sa.engine.URL.create("sqlite", database=target, query={"uri": "true"}),
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
    )
    event.listen(engine, "connect", _sqlite_connect_read_only)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect_read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let us emit BEGIN ourselves (pysqlite's own transaction handling cannot say IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, nor it them
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get("engage_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(engine: Engine, lock: int = APPEND_LOCK) -> Iterator[Connection]:
    """A transaction that holds the database's writer lock until it commits or rolls back."""
    with engine.connect() as conn:
        conn.execution_options(engage_write=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """One consistent snapshot for reading (a chain walked inside it cannot change under it)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


# -- migrations -----------------------------------------------------------------------


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config_plain()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


VERSION_TABLE = "engage_schema_version"


def migrate(engine: Engine, where: str) -> None:
    """Bring the schema to the newest version (creating it in an empty database)."""
    head = head_revision()
    with engine.connect() as conn:
        current = current_revision(conn)
        conn.rollback()
    if current == head:
        return
    from alembic import command
    from alembic.util.exc import CommandError

    with write_transaction(engine, MIGRATE_LOCK) as conn:
        try:
            command.upgrade(_alembic_config(conn), "head")
        except CommandError:
            raise StoreError(
                "newer-database",
                f"the decision log's schema ({current_revision(conn)}) is newer than this version of engage"
                f" knows (up to {head}); upgrade engage",
                Location(where),
            ) from None


def open_database(given: str | None = None, read_only: bool = False) -> tuple[Engine, str]:
    """The engine for ``--db``/``ENGAGE_DB``/the default, migrated; and its display name.

    ``read_only``: the caller only reads; a SQLite log that cannot be written is then opened
    read-only, as it is (its schema must be one this version reads).
    """
    url = resolve_url(given)
    where = display_url(url)
    frozen = read_only_path(url) if read_only else None
    if frozen is not None:
        engine = connect_read_only(frozen)
        try:
            _check_readable(engine, where)
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            engine.dispose()
            raise database_error(exc, where) from None
        except StoreError:
            engine.dispose()
            raise
        return engine, where
    engine = connect(url)
    try:
        migrate(engine, where)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise database_error(exc, where) from None
    return engine, where


def _check_readable(engine: Engine, where: str) -> None:
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        current = current_revision(conn)
        conn.rollback()
    config = _alembic_config_plain()
    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    if current is None:
        raise StoreError("not-a-log", "this read-only file is not a decision log (it has no schema)", Location(where))
    if current not in known:
        raise StoreError(
            "newer-database",
            f"the decision log's schema ({current}) is newer than this version of engage knows (up to {head_revision()});"
            " upgrade engage",
            Location(where),
        )


def _alembic_config_plain() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


# The triggers migrations 0001 and 0004 create, which make the database itself refuse changes to the log.
APPEND_ONLY_TABLES = ("log_records", "rulesets", "policy_blobs", "ruleset_files", "release_records")
LATER_TABLES = ("release_records",)  # absent from a log of an older schema opened read-only


def trigger_problems(conn: Connection) -> list[str]:
    """What is wrong with the append-only triggers: one line for each that is gone, altered or disabled."""
    problems: list[str] = []
    tables = [t for t in APPEND_ONLY_TABLES if t not in LATER_TABLES or sa.inspect(conn).has_table(t)]
    if conn.dialect.name == "sqlite":
        found = {
            str(name): (str(table), str(sql or ""))
            for name, table, sql in conn.exec_driver_sql("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        }
        for table in tables:
            for verb in ("update", "delete"):
                name = f"{table}_no_{verb}"
                held = found.get(name)
                if held is None:
                    problems.append(_gone(name, table))
                elif held[0] != table or "RAISE(ABORT" not in held[1].upper().replace(" ", ""):
                    problems.append(f"the append-only trigger {name} on {table} was altered: it no longer refuses a {verb}")
        return problems
    rows = conn.execute(
        sa.text(
            "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid) AND c.relname = ANY(:tables)"
        ),
        {"tables": tables},
    ).all()
    found_pg = {(str(name), str(table)): str(enabled) for name, table, enabled in rows}
    for table in tables:
        for name in (f"{table}_append_only", f"{table}_no_truncate"):
            enabled = found_pg.get((name, table))
            if enabled is None:
                problems.append(_gone(name, table))
            elif enabled == "D":
                problems.append(
                    f"the append-only trigger {name} on {table} is disabled: the database no longer refuses changes"
                    f" to {table}; enable it again (ALTER TABLE {table} ENABLE TRIGGER {name})"
                )
    return problems


def _gone(name: str, table: str) -> str:
    return (
        f"the append-only trigger {name} on {table} is gone: the database no longer refuses changes to {table};"
        " check the head against an anchor kept elsewhere (--anchor) and create the trigger again as migration"
        f" {'0004' if table == 'release_records' else '0001'} does"
    )


def database_error(exc: BaseException, where: str) -> StoreError:
    """One line for a database failure: the first line of the driver's message."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    return StoreError("database-error", f"cannot use the decision log: {text}", Location(where))
