"""Accounts of the web application: a name, one or more roles, an argon2id password hash.

Roles: ``intake`` (enters and triages requests), ``board`` (reviews decisions, the log and
the rules), ``author`` (writes rules and measures the impact of a change), ``admin``
(accounts and the audit).  Names are lower case.  Passwords are never stored, only their
argon2id hash (argon2-cffi's defaults, rehashed on sign-in when the defaults change).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import EngageError, Location
from ..i18n.languages import LANGUAGES
from ..log.store import LogStore
from .db import WebTables, stamp, users, utc_now

ROLES = ("intake", "board", "author", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")


class AccountError(EngageError):
    """An account that cannot be created or changed as asked (exit status 2)."""


@dataclass(frozen=True)
class Account:
    name: str
    roles: tuple[str, ...]
    active: bool
    created_at: str
    created_by: str
    language: str | None = None  # the pages' language; None: the browser's

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


def normal_name(name: str) -> str:
    return name.strip().lower()


def check_name(name: str) -> str:
    text = normal_name(name)
    if not NAME_PATTERN.match(text):
        raise AccountError(
            "bad-name",
            "a name is 1 to 100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
            Location(name or "NAME"),
        )
    return text


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    given = [r.strip().lower() for r in roles if r.strip()]
    if not given:
        raise AccountError("no-role", f"give at least one role: {', '.join(ROLES)}", Location("--role"))
    for role in given:
        if role not in ROLES:
            raise AccountError("bad-role", f"'{role}' is not a role; choose from: {', '.join(ROLES)}", Location("--role"))
    return tuple(r for r in ROLES if r in given)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError("weak-password", f"a password needs at least {MIN_PASSWORD} characters", Location("password"))
    if len(password) > MAX_PASSWORD:
        raise AccountError("bad-password", f"a password has at most {MAX_PASSWORD} characters", Location("password"))
    return password


def _account(row: sa.Row[tuple[object, ...]]) -> Account:
    m = row._mapping
    language = m["language"]
    return Account(
        str(m["name"]),
        tuple(str(m["roles"]).split(",")),
        bool(m["active"]),
        str(m["created_at"]),
        str(m["created_by"]),
        str(language) if language else None,
    )


class Accounts:
    """The accounts kept in a decision store."""

    def __init__(self, store: LogStore, hasher: PasswordHasher | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.tables = WebTables(store)
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        self._dummy = self.hasher.hash("not a password of anyone")

    def add(self, name: str, roles: Sequence[str], password: str, created_by: str) -> Account:
        name, wanted, secret = check_name(name), check_roles(roles), check_password(password)
        now = stamp(self.clock())
        digest = self.hasher.hash(secret)
        with self.tables.writing() as conn:
            if conn.execute(sa.select(users.c.name).where(users.c.name == name)).first() is not None:
                raise AccountError("name-taken", "an account with this name already exists", Location(name))
            conn.execute(
                sa.insert(users).values(
                    name=name,
                    roles=",".join(wanted),
                    password_hash=digest,
                    active=True,
                    created_at=now,
                    created_by=created_by,
                    password_changed_at=now,
                )
            )
        return Account(name, wanted, True, now, created_by)

    def get(self, name: str) -> Account | None:
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == normal_name(name))).first()
        return None if row is None else _account(row)

    def all(self) -> list[Account]:
        with self.tables.reading() as conn:
            return [_account(row) for row in conn.execute(sa.select(users).order_by(users.c.name))]

    def count(self) -> int:
        with self.tables.reading() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())

    def _update(self, name: str, **values: object) -> Account:
        key = normal_name(name)
        with self.tables.writing() as conn:
            done = conn.execute(sa.update(users).where(users.c.name == key).values(**values))
            if done.rowcount == 0:
                raise AccountError("no-such-account", "there is no account with this name", Location(key))
            row = conn.execute(sa.select(users).where(users.c.name == key)).one()
        return _account(row)

    def set_password(self, name: str, password: str) -> Account:
        digest = self.hasher.hash(check_password(password))
        return self._update(name, password_hash=digest, password_changed_at=stamp(self.clock()))

    def set_active(self, name: str, active: bool) -> Account:
        return self._update(name, active=active)

    def set_language(self, name: str, language: str | None) -> Account:
        """The language of the account's pages; None (or ``""``) for the browser's."""
        if language and language not in LANGUAGES:
            choices = ", ".join(LANGUAGES)
            message = f"'{language}' is not a language of the pages; choose from: {choices}"
            raise AccountError("bad-language", message, Location(name))
        return self._update(name, language=language or None)

    def set_roles(self, name: str, roles: Sequence[str]) -> Account:
        return self._update(name, roles=",".join(check_roles(roles)))

    def authenticate(self, name: str, password: str) -> Account | None:
        """The active account whose password this is, or None (as slow for an unknown name as for a known one)."""
        key = normal_name(name)
        with self.tables.reading() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == key)).first()
        digest = str(row._mapping["password_hash"]) if row is not None else self._dummy
        try:
            self.hasher.verify(digest, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        account = _account(row)
        if not account.active:
            return None
        if self.hasher.check_needs_rehash(digest):
            self._update(key, password_hash=self.hasher.hash(password))
        return account
