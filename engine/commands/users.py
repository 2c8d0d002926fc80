"""``engage users``: accounts of the web application (add, list, set a password, disable, enable) and API tokens."""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING, Any

from ..errors import EngageError, Location
from .common import action_adder, current_user, open_store

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "users"
HELP = "accounts of the web application (engage serve): add, list, password, disable, enable; API tokens"
DESCRIPTION = (
    "Accounts sign in to the web application. Roles: intake (enters and triages requests), board (reviews"
    " decisions, the log and the rules), author (rules and the impact of a change), admin (accounts and the"
    " audit). Passwords are prompted for (or read from standard input with --password-stdin) and stored as"
    " argon2id hashes in the decision-log database. A token (engage users token NAME) lets another system call"
    " the JSON API under /api/v1/ as the account, with its roles; it is printed once and stored only as a hash."
)
ROLE_HELP = "intake, board, author or admin (repeat --role for several)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    action = action_adder(parser)

    add = action("add", "add an account", run_add)
    add.add_argument("name", metavar="NAME", help="the sign-in name (lower case letters, digits, . _ @ -)")
    add.add_argument("--role", action="append", required=True, metavar="ROLE", help=ROLE_HELP)
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of standard input")

    action("list", "list the accounts", run_list)

    password = action("password", "set a new password for an account (ends its sessions)", run_password)
    password.add_argument("name", metavar="NAME")
    password.add_argument("--password-stdin", action="store_true", help="read the password from the first line of standard input")

    for verb, text in (("disable", "disable an account (ends its sessions)"), ("enable", "enable a disabled account")):
        child = action(verb, text, run_disable if verb == "disable" else run_enable)
        child.add_argument("name", metavar="NAME")

    token = action("token", "make a new API token for an account and print it (once: it is stored only as a hash)", run_token)
    token.add_argument("name", metavar="NAME")
    token.add_argument("--expires", type=int, metavar="DAYS", help="the token stops working after DAYS days (default: never)")

    tokens = action("tokens", "list an account's API tokens: id, created, expires, last used, revoked", run_tokens)
    tokens.add_argument("name", metavar="NAME")

    revoke = action("revoke", "revoke one of an account's API tokens (at once: its next call is refused)", run_revoke)
    revoke.add_argument("name", metavar="NAME")
    revoke.add_argument("token_id", type=int, metavar="TOKEN_ID", help="the id that engage users tokens NAME lists")


def run(args: argparse.Namespace, streams: Streams) -> int:  # pragma: no cover - each action sets its own
    return 2


def _password(args: argparse.Namespace, streams: Streams) -> str:
    if args.password_stdin:
        line = streams.stdin.readline() if streams.stdin is not None else ""
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    again = getpass.getpass("Password again: ")
    if first != again:
        raise EngageError("passwords-differ", "the two passwords differ; nothing was changed", Location(args.name))
    return first


def _accounts(args: argparse.Namespace) -> Any:
    from ..web.accounts import Accounts

    return Accounts(open_store(args))


def run_add(args: argparse.Namespace, streams: Streams) -> int:
    from ..web.accounts import check_name, check_roles

    name, roles = check_name(args.name), check_roles(args.role)  # refuse a bad name before asking for a password
    secret = _password(args, streams)
    accounts = _accounts(args)
    try:
        account = accounts.add(name, roles, secret, current_user(args))
    finally:
        accounts.tables.store.close()
    streams.stdout.write(f"added {account.name} ({', '.join(account.roles)}) to {accounts.tables.store.where}\n")
    return 0


def run_list(args: argparse.Namespace, streams: Streams) -> int:
    accounts = _accounts(args)
    try:
        found = accounts.all()
    finally:
        accounts.tables.store.close()
    if not found:
        streams.stdout.write("no accounts yet: engage users add NAME --role admin\n")
    for a in found:
        state = "" if a.active else "  (disabled)"
        streams.stdout.write(f"{a.name}  {', '.join(a.roles)}  created {a.created_at[:10]} by {a.created_by}{state}\n")
    return 0


def run_password(args: argparse.Namespace, streams: Streams) -> int:
    from ..web.auth import Sessions

    secret = _password(args, streams)
    accounts = _accounts(args)
    try:
        account = accounts.set_password(args.name, secret)
        Sessions(accounts.tables.store, accounts).end_all(account.name)
    finally:
        accounts.tables.store.close()
    streams.stdout.write(f"new password set for {account.name}\n")
    return 0


def _set_active(args: argparse.Namespace, streams: Streams, active: bool) -> int:
    from ..web.auth import Sessions

    accounts = _accounts(args)
    try:
        account = accounts.set_active(args.name, active)
        if not active:
            Sessions(accounts.tables.store, accounts).end_all(account.name)
    finally:
        accounts.tables.store.close()
    streams.stdout.write(f"{account.name} {'enabled' if active else 'disabled'}\n")
    return 0


def run_disable(args: argparse.Namespace, streams: Streams) -> int:
    return _set_active(args, streams, False)


def run_enable(args: argparse.Namespace, streams: Streams) -> int:
    return _set_active(args, streams, True)


def _tokens(args: argparse.Namespace) -> Any:
    from ..web.tokens import ApiTokens

    accounts = _accounts(args)
    return ApiTokens(accounts.tables.store, accounts)


def run_token(args: argparse.Namespace, streams: Streams) -> int:
    from ..web.tokens import check_days

    check_days(args.expires)
    tokens = _tokens(args)
    try:
        made, secret = tokens.create(args.name, current_user(args), args.expires)
    finally:
        tokens.tables.store.close()
    until = f"expires {made.expires_at[:10]}" if made.expires_at else "never expires"
    streams.stdout.write(f"token {made.id} for {made.user_name} ({until}); it is shown this once, keep it safe:\n{secret}\n")
    return 0


def run_tokens(args: argparse.Namespace, streams: Streams) -> int:
    from ..web.db import utc_now

    tokens = _tokens(args)
    try:
        if tokens.accounts.get(args.name) is None:
            raise EngageError("no-such-account", "there is no account with this name", Location(args.name))
        found = tokens.of(args.name)
    finally:
        tokens.tables.store.close()
    if not found:
        streams.stdout.write(f"{args.name} has no API token: engage users token {args.name}\n")
        return 0
    now = utc_now()
    streams.stdout.write("id  created     expires     last used         revoked     state\n")
    for t in found:
        used = t.last_used[:16].replace("T", " ") if t.last_used else "never"
        streams.stdout.write(
            f"{t.id:<3} {t.created_at[:10]}  {(t.expires_at or 'never')[:10]:<10}  {used:<16}  "
            f"{(t.revoked_at or '-')[:10]:<10}  {t.state(now)}\n"
        )
    return 0


def run_revoke(args: argparse.Namespace, streams: Streams) -> int:
    tokens = _tokens(args)
    try:
        done = tokens.revoke(args.name, args.token_id)
    finally:
        tokens.tables.store.close()
    streams.stdout.write(f"token {done.id} of {done.user_name} revoked ({done.revoked_at})\n")
    return 0
