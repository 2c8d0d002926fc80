"""One module per page; each has ``register(pages)`` declaring its routes and their roles."""

from __future__ import annotations

from types import ModuleType

from . import accounts, audit, batch, decisions, editor, home, queue, releases, requests, rules

# editor before releases: its /releases/editor... routes must come before /releases/{number}
PAGE_MODULES: tuple[ModuleType, ...] = (home, requests, batch, queue, decisions, audit, rules, editor, releases, accounts)
