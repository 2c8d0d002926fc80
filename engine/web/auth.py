"""Sessions, CSRF tokens and the limit on failed sign-ins.

A session is a random token in an HttpOnly, SameSite=Strict cookie; the database keeps only
its SHA-256, the account, the session's CSRF token and when it was last used.  A session
ends after :data:`IDLE` without use, after :data:`LONGEST` in any case, at sign-out, and
when its account is disabled.

Every state-changing form carries the session's CSRF token (the sign-in form, which has no
session yet, a token that must equal its own cookie).  Failed sign-ins are counted in the
database, so the limit holds across processes and restarts, per account name *and* client
address: after :data:`MAX_PER_NAME` failures for one name from one address within
:data:`WINDOW`, that name is refused from that address (even with the right password) until
the oldest failure is older than :data:`WINDOW`.  Names that are no account are counted per
address: after :data:`MAX_PER_CLIENT` of them, that address may try no more unknown names.
So guessing is bounded per name and per address, while nobody elsewhere can lock a real
account out, and made-up names from an office's shared address lock nobody out (OWASP's
advice on account lockout).  The address is the connection's, unless ``engage serve --proxy``
names the reverse proxy whose ``X-Forwarded-For`` may be trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..log.store import LogStore
from .accounts import Account, Accounts, normal_name
from .db import WebTables, login_failures, sessions, stamp, utc_now

SESSION_COOKIE = "engage_session"
CSRF_COOKIE = "engage_csrf"
CSRF_FIELD = "csrf_token"
IDLE = timedelta(hours=8)
LONGEST = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=5)  # how stale last_seen may get before it is written again
WINDOW = timedelta(minutes=15)
MAX_PER_NAME = 5
MAX_PER_CLIENT = 20
UNKNOWN_NAME = "?"  # how failures with names that are no account are counted (no account name has a '?')


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two tokens; a missing one never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True)
class Session:
    token: str
    account: Account
    csrf: str


class Sessions:
    def __init__(self, store: LogStore, accounts: Accounts, clock: Callable[[], datetime] = utc_now) -> None:
        self.tables = WebTables(store)
        self.accounts = accounts
        self.clock = clock

    def start(self, account: Account) -> Session:
        token, csrf = new_token(), new_token()
        now = stamp(self.clock())
        with self.tables.writing() as conn:
            conn.execute(
                sa.insert(sessions).values(
                    token_hash=token_hash(token), user_name=account.name, csrf_token=csrf, created_at=now, last_seen=now
                )
            )
        return Session(token, account, csrf)

    def find(self, token: str | None) -> Session | None:
        """The live session of ``token`` (its account active), or None."""
        if not token:
            return None
        key = token_hash(token)
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(sessions).where(sessions.c.token_hash == key)).first()
        if row is None:
            return None
        now = self.clock()
        created = datetime.fromisoformat(row.created_at)
        seen = datetime.fromisoformat(row.last_seen)
        account = self.accounts.get(row.user_name)
        if now - seen > IDLE or now - created > LONGEST or account is None or not account.active:
            self.end(token)
            return None
        if now - seen > TOUCH_EVERY:
            with self.tables.writing() as conn:
                conn.execute(sa.update(sessions).where(sessions.c.token_hash == key).values(last_seen=stamp(now)))
        return Session(token, account, str(row.csrf_token))

    def end(self, token: str) -> None:
        with self.tables.writing() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    def end_all(self, name: str) -> None:
        with self.tables.writing() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.user_name == normal_name(name)))


class LoginLimiter:
    """Counts failed sign-ins; says how long sign-in stays refused."""

    def __init__(self, store: LogStore, clock: Callable[[], datetime] = utc_now) -> None:
        self.tables = WebTables(store)
        self.clock = clock

    def failed(self, name: str, client: str, *, known: bool = True) -> None:
        """Count a failed sign-in; ``known``: whether ``name`` is an account (unknown names count as one)."""
        now = self.clock()
        counted = normal_name(name)[:100] if known else UNKNOWN_NAME
        with self.tables.writing() as conn:
            conn.execute(sa.delete(login_failures).where(login_failures.c.at < stamp(now - WINDOW)))
            conn.execute(sa.insert(login_failures).values(user_name=counted, client=client[:100], at=stamp(now)))

    def wait(self, name: str, client: str, *, known: bool = True) -> timedelta | None:
        """How long until sign-in for ``name`` from ``client`` is allowed again; None when it is allowed now."""
        now = self.clock()
        counted, limit = (normal_name(name)[:100], MAX_PER_NAME) if known else (UNKNOWN_NAME, MAX_PER_CLIENT)
        with self.tables.reading() as conn:
            times = list(
                conn.scalars(
                    sa.select(login_failures.c.at)
                    .where(
                        login_failures.c.user_name == counted,
                        login_failures.c.client == client[:100],
                        login_failures.c.at >= stamp(now - WINDOW),
                    )
                    .order_by(login_failures.c.at.desc())
                    .limit(limit)
                )
            )
        if len(times) < limit:
            return None
        return datetime.fromisoformat(times[-1]) + WINDOW - now  # when the limit-th latest failure leaves the window

    def cleared(self, name: str, client: str) -> None:
        with self.tables.writing() as conn:
            conn.execute(
                sa.delete(login_failures).where(
                    login_failures.c.user_name == normal_name(name)[:100], login_failures.c.client == client[:100]
                )
            )
