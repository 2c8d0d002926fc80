"""Declaring pages: every route names the roles it allows, and every POST checks its CSRF token.

``pages = Pages(); @pages.get("/queue", roles=("intake", "board"))`` registers a route with
two dependencies: a signed-in session holding one of the roles (else a redirect to the
sign-in page, or 403), and for POST the session's CSRF token in the form (else 403).
``roles=PUBLIC`` is for the sign-in page alone.  The declarations are kept
(:attr:`Pages.declared`) so that the tests can prove each one, route by route and role by
role, and so that the navigation shows only what a user may open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData

from .auth import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, Session, same_token
from .context import Web

PUBLIC: tuple[str, ...] = ()
Declared = dict[tuple[str, str], tuple[str, ...]]


class NotSignedIn(Exception):
    """No live session: the visitor is sent to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but without a role the page allows (403)."""

    def __init__(self, reason: str = "role") -> None:
        super().__init__(reason)
        self.reason = reason  # "role" or "csrf"


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def session_of(request: Request) -> Session | None:
    """The visitor's live session (looked up once per request)."""
    if not hasattr(request.state, "session"):
        request.state.session = web(request).sessions.find(request.cookies.get(SESSION_COOKIE))
    found: Session | None = request.state.session
    return found


def signed_in(request: Request) -> Session:
    found = session_of(request)
    if found is None:
        raise NotSignedIn()
    return found


def allowing(roles: Sequence[str]) -> Callable[[Request], Session]:
    wanted = tuple(roles)

    def check(request: Request) -> Session:
        found = signed_in(request)
        if not found.account.has(*wanted):
            raise Forbidden("role")
        return found

    return check


async def form_of(request: Request) -> FormData:
    """The submitted form (parsed once; the CSRF check and the page read the same one)."""
    return await request.form()


async def csrf_checked(request: Request, form: FormData = Depends(form_of)) -> None:  # noqa: B008
    found = session_of(request)
    given = form.get(CSRF_FIELD)
    if found is None:
        raise NotSignedIn()
    if not same_token(given if isinstance(given, str) else None, found.csrf):
        raise Forbidden("csrf")


async def sign_in_csrf_checked(request: Request, form: FormData = Depends(form_of)) -> None:  # noqa: B008
    given = form.get(CSRF_FIELD)
    if not same_token(given if isinstance(given, str) else None, request.cookies.get(CSRF_COOKIE)):
        raise Forbidden("csrf")


class Pages:
    """Routes with their roles declared."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.declared: Declared = {}

    def get(self, path: str, *, roles: Sequence[str], **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("GET", path, roles, **kwargs)

    def post(self, path: str, *, roles: Sequence[str], **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._add("POST", path, roles, **kwargs)

    def _add(
        self, method: str, path: str, roles: Sequence[str], **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        dependencies = []
        if roles:
            dependencies.append(Depends(allowing(roles)))
        if method == "POST":
            dependencies.append(Depends(csrf_checked if roles else sign_in_csrf_checked))

        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            # Every page answers HEAD as it answers GET (link checkers and uptime probes ask for it).
            methods = [method, "HEAD"] if method == "GET" else [method]
            self.router.add_api_route(path, endpoint, methods=methods, dependencies=dependencies, **kwargs)
            self.declared[(method, path)] = tuple(roles)
            return endpoint

        return register
