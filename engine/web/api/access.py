"""Who may call a route of the API: a bearer token, its account's roles, and a rate limit.

``Depends(caller("intake"))`` gives the account a route acts for, or answers 401 (no token,
an unknown, expired or revoked one, or a disabled account), 403 (the account lacks every
role the route allows) or 429 (too many calls).  Cookies are never read here, so a browser's
session opens nothing in the API, and no CSRF token is asked for: a token must be put in the
``Authorization`` header by the caller itself, which another site cannot make a browser do.

Calls are counted per token and, for tokens that open nothing, per client address (so that
guessing is bounded too), in a sliding window of one minute, per server process.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..accounts import Account
from ..context import Web
from .problems import Problem

WINDOW = timedelta(minutes=1)
REFUSED_PER_CLIENT = 20  # tokens that open nothing, per address and minute
bearer = HTTPBearer(auto_error=False, description="a token from `engage users token NAME` or the Accounts page")
WHY = {
    "missing": "send the header Authorization: Bearer TOKEN",
    "invalid": "the token is not one this server issued",
    "expired": "the token has expired; ask for a new one",
    "revoked": "the token was revoked; ask for a new one",
    "disabled": "the token's account is disabled",
}


@dataclass
class RateLimit:
    """At most ``limit`` calls per key within :data:`WINDOW` (a sliding window)."""

    limit: int
    clock: Callable[[], datetime]
    _seen: dict[str, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> int | None:
        """Count a call; None when it is allowed, else how many seconds until the next one is."""
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and now - times[0] >= WINDOW:
                times.popleft()
            if len(times) >= self.limit:
                return max(1, math.ceil((times[0] + WINDOW - now).total_seconds()))
            times.append(now)
            return None


@dataclass
class Limits:
    per_token: RateLimit
    refused: RateLimit


def web_of(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def limits_of(request: Request) -> Limits:
    found: Limits = request.app.state.limits
    return found


def _slow_down(wait: int) -> Problem:
    return Problem(429, "rate-limited", f"too many calls; try again in {wait} s", headers={"Retry-After": str(wait)})


@functools.cache
def caller(wanted: tuple[str, ...]) -> Callable[..., Account]:
    """The dependency of a route that allows ``wanted`` (one per set of roles: FastAPI runs it once per call)."""

    def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
    ) -> Account:
        w, limits = web_of(request), limits_of(request)
        found = w.tokens.find(credentials.credentials) if credentials is not None else None
        if found is None or found.account is None or found.token is None:
            reason = "missing" if found is None else found.refused or "invalid"
            client = request.client.host if request.client else "?"
            wait = limits.refused.hit(f"client:{client}")
            if wait is not None:
                raise _slow_down(wait)
            header = 'Bearer realm="engage"' + ("" if reason == "missing" else ', error="invalid_token"')
            raise Problem(401, f"token-{reason}", WHY[reason], headers={"WWW-Authenticate": header})
        wait = limits.per_token.hit(f"token:{found.token.id}")
        if wait is not None:
            raise _slow_down(wait)
        if not found.account.has(*wanted):
            raise Problem(
                403, "role-needed", f"this route needs one of the roles: {', '.join(wanted)}", extra={"roles": list(wanted)}
            )
        return found.account

    return check
