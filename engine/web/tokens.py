"""Bearer tokens of the JSON API: made for an account, shown once, kept only as a hash.

A token is 32 random bytes (URL-safe base64, prefixed ``engage_`` so that a leaked one is
recognisable in a log or a repository).  The database keeps its SHA-256 (table
``web_api_tokens``, migration 0005), the account it acts for, when it was made, when it
expires (or never), when it was last used and when it was revoked.  A token acts with its
account's roles as they are at each call: disabling the account or taking a role away
takes effect at once.  Tokens open only the API (``/api/v1/``); the pages want a session.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..errors import Location
from ..log.store import LogStore
from .accounts import Account, AccountError, Accounts, normal_name
from .auth import token_hash
from .db import WebTables, api_tokens, stamp, utc_now

PREFIX = "engage_"
MAX_DAYS = 3650
TOUCH_EVERY = timedelta(minutes=1)  # how stale "last used" may get before it is written again


@dataclass(frozen=True)
class ApiToken:
    """What is known of a token (never the token itself)."""

    id: int
    user_name: str
    created_at: str
    created_by: str
    expires_at: str | None
    last_used: str | None
    revoked_at: str | None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and datetime.fromisoformat(self.expires_at) <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class Bearer:
    """The outcome of presenting a token: the account it acts for, or why it opens nothing."""

    account: Account | None
    token: ApiToken | None
    refused: str | None  # None, "invalid", "expired", "revoked" or "disabled"


def _token(row: sa.Row[tuple[object, ...]]) -> ApiToken:
    m = row._mapping
    return ApiToken(
        int(m["id"]),
        str(m["user_name"]),
        str(m["created_at"]),
        str(m["created_by"]),
        m["expires_at"],
        m["last_used"],
        m["revoked_at"],
    )


def check_days(days: int | None) -> int | None:
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise AccountError("bad-expiry", f"a token expires after 1 to {MAX_DAYS} days", Location("--expires"))
    return days


class ApiTokens:
    """The API tokens kept in a decision store."""

    def __init__(self, store: LogStore, accounts: Accounts, clock: Callable[[], datetime] = utc_now) -> None:
        self.tables = WebTables(store)
        self.accounts = accounts
        self.clock = clock

    def create(self, name: str, created_by: str, days: int | None = None) -> tuple[ApiToken, str]:
        """A new token for account ``name`` -> (what is kept of it, the token: shown once, never again)."""
        check_days(days)
        account = self.accounts.get(name)
        if account is None:
            raise AccountError("no-such-account", "there is no account with this name", Location(normal_name(name)))
        secret = PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        expires = stamp(now + timedelta(days=days)) if days is not None else None
        with self.tables.writing() as conn:
            done = conn.execute(
                sa.insert(api_tokens).values(
                    user_name=account.name,
                    token_hash=token_hash(secret),
                    created_at=stamp(now),
                    created_by=created_by,
                    expires_at=expires,
                )
            )
            (key,) = done.inserted_primary_key or (None,)
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == key)).one()
        return _token(row), secret

    def of(self, name: str) -> list[ApiToken]:
        """Every token of account ``name``, oldest first (revoked and expired ones too)."""
        with self.tables.reading() as conn:
            query = sa.select(api_tokens).where(api_tokens.c.user_name == normal_name(name)).order_by(api_tokens.c.id)
            return [_token(row) for row in conn.execute(query)]

    def revoke(self, name: str, token_id: int) -> ApiToken:
        """Revoke token ``token_id`` of account ``name`` (revoking it again changes nothing)."""
        key = normal_name(name)
        with self.tables.writing() as conn:
            where = (api_tokens.c.id == token_id, api_tokens.c.user_name == key)
            row = conn.execute(sa.select(api_tokens).where(*where)).first()
            if row is None:
                raise AccountError("no-such-token", f"{key} has no token {token_id}", Location(str(token_id)))
            if row._mapping["revoked_at"] is None:
                conn.execute(sa.update(api_tokens).where(*where).values(revoked_at=stamp(self.clock())))
                row = conn.execute(sa.select(api_tokens).where(*where)).one()
        return _token(row)

    def find(self, secret: str | None) -> Bearer:
        """The account that ``secret`` acts for, or why it does not."""
        if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
            return Bearer(None, None, "invalid")
        digest = token_hash(secret)
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == digest)).first()
        # The row was found by its hash; comparing again in constant time costs nothing and keeps
        # the check independent of how the database compares text.
        if row is None or not hmac.compare_digest(str(row._mapping["token_hash"]), digest):
            return Bearer(None, None, "invalid")
        token = _token(row)
        now = self.clock()
        state = token.state(now)
        if state != "active":
            return Bearer(None, token, state)
        account = self.accounts.get(token.user_name)
        if account is None or not account.active:
            return Bearer(None, token, "disabled")
        if token.last_used is None or now - datetime.fromisoformat(token.last_used) > TOUCH_EVERY:
            with self.tables.writing() as conn:
                conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token.id).values(last_used=stamp(now)))
        return Bearer(account, token, None)
