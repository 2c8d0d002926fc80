"""The web application's tables in the decision-store database (created by migrations 0002, 0005, 0008, 0009 and 0010).

They hold working data (accounts, sessions, failed sign-ins, drafts) that may change; the
decision log's own tables stay append-only.  Writes take the database's writer lock
(``BEGIN IMMEDIATE`` on SQLite) so that a read followed by a write never fails half-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..log.database import APPEND_LOCK, write_transaction
from ..log.store import LogStore

WEB_LOCK = APPEND_LOCK + 2  # PostgreSQL advisory lock key for the web tables (never the log's)
STAMP = sa.String(40)

metadata = sa.MetaData()
users = sa.Table(
    "web_users",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("roles", sa.String(100), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", STAMP, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("password_changed_at", STAMP, nullable=False),
    sa.Column("language", sa.String(8), nullable=True),  # migration 0009: None is the browser's language
)
sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(100), sa.ForeignKey("web_users.name", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", STAMP, nullable=False),
    sa.Column("last_seen", STAMP, nullable=False),
    sa.Index("web_sessions_user", "user_name"),
)
login_failures = sa.Table(
    "web_login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(100), nullable=False),
    sa.Column("client", sa.String(100), nullable=False),
    sa.Column("at", STAMP, nullable=False),
    sa.Index("web_login_failures_user", "user_name", "at"),
    sa.Index("web_login_failures_client", "client", "at"),
)
drafts = sa.Table(
    "web_drafts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("form", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", STAMP, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("updated_at", STAMP, nullable=False),
)

api_tokens = sa.Table(  # migration 0005: the JSON API's bearer tokens (engine/web/tokens.py)
    "web_api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(100), sa.ForeignKey("web_users.name", ondelete="CASCADE"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", STAMP, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("expires_at", STAMP, nullable=True),
    sa.Column("last_used", STAMP, nullable=True),
    sa.Column("revoked_at", STAMP, nullable=True),
    sa.Index("web_api_tokens_user", "user_name"),
)

upload_jobs = sa.Table(  # migration 0008: batch uploads run as background jobs (engine/web/uploads.py)
    "web_upload_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("started_by", sa.String(100), nullable=False),
    sa.Column("started_at", STAMP, nullable=False),
    sa.Column("updated_at", STAMP, nullable=False),
    sa.Column("finished_at", STAMP, nullable=True),
    sa.Column("state", sa.String(20), nullable=False),  # running, done, interrupted, failed
    sa.Column("rows_read", sa.BigInteger, nullable=False),
    sa.Column("evaluated", sa.BigInteger, nullable=False),
    sa.Column("recorded", sa.BigInteger, nullable=False),
    sa.Column("unchanged", sa.BigInteger, nullable=False),  # already in the log as they are
    sa.Column("problems", sa.BigInteger, nullable=False),  # rows not recorded, for any reason
    sa.Column("no_request", sa.BigInteger, nullable=False),  # of them: the file holds no request
    sa.Column("unread", sa.BigInteger, nullable=False),  # of them: the whole file could not be read
    sa.Column("first_seq", sa.BigInteger, nullable=True),
    sa.Column("last_seq", sa.BigInteger, nullable=True),
    sa.Column("read_as", sa.Text, nullable=True),  # how a CSV file not in UTF-8 with commas was read (JSON)
    sa.Column("message", sa.Text, nullable=True),  # why a failed job stopped
    sa.Index("web_upload_jobs_state", "state"),
)
upload_rows = sa.Table(
    "web_upload_rows",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("web_upload_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("n", sa.BigInteger, primary_key=True, autoincrement=False),  # the row's place among the file's
    sa.Column("status", sa.String(20), nullable=False),  # recorded, unchanged, refused, invalid, no-request, unread
    sa.Column("problem", sa.Boolean, nullable=False),  # not recorded: listed among the problems
    sa.Column("place", sa.Text, nullable=False),  # row 7, line 12
    sa.Column("request_id", sa.Text, nullable=True),
    sa.Column("outcome", sa.String(64), nullable=True),
    sa.Column("seq", sa.BigInteger, nullable=True),  # its record in the log (the one in force if unchanged)
    sa.Column("priority", sa.Float, nullable=True),
    sa.Column("problems", sa.Text, nullable=True),  # JSON list of messages
    sa.Index("web_upload_rows_problems", "job_id", "problem", "n"),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(when: datetime) -> str:
    """A time as stored: ISO 8601 in UTC with microseconds (sorts as text)."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


class WebTables:
    """Reading and writing the web tables of one decision store."""

    def __init__(self, store: LogStore) -> None:
        self.store = store

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.store.reading() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        with self.store._guard(), write_transaction(self.store.engine, WEB_LOCK) as conn:
            yield conn
