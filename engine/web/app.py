"""The application factory: ``create_app(engine, store)`` -> a FastAPI application.

Pages are server-rendered (Jinja2, autoescaped); the one stylesheet and the one small
script are served by the application itself, so it works on a closed network.  Every
response carries a Content-Security-Policy that allows nothing from elsewhere.
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ..evaluation.evaluator import Engine
from ..log.store import LogStore
from .api import create_api
from .api.problems import too_large as api_too_large
from .api.routes import PREFIX as API_PREFIX
from .context import Web, WebConfig
from .limits import BodyLimit, limit_for
from .pages import PAGE_MODULES
from .routing import Forbidden, NotSignedIn, Pages
from .views import redirect, render

STATIC = Path(__file__).resolve().parent / "static"
LOG = logging.getLogger("engage.web")
SECURITY_HEADERS = {
    # styles: 'unsafe-inline' for the style attributes of the inline SVG charts; scripts: only our file
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(engine: Engine, store: LogStore, config: WebConfig | None = None) -> FastAPI:
    """The web application over ``engine`` (the rules in force) and ``store`` (the decision log)."""
    web = Web(engine, store, config or WebConfig())
    # Jobs left running by a server that was killed: nothing runs them now (engine/web/uploads.py).
    web.uploads.interrupt_unfinished()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        web.runner.stop()  # running uploads end after their chunk, marked interrupted

    app = FastAPI(title="Engage", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.web = web
    pages = Pages(app.router)
    for module in PAGE_MODULES:
        module.register(pages)
    app.state.declared = pages.declared
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(API_PREFIX, create_api(app.state.web), name="api")  # its own application: see engine/web/api

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        target = request.url.path if request.method == "GET" else "/"
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        return redirect("/login", next=target)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", {"kind": "csrf" if exc.reason == "csrf" else "forbidden"}, status=403)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        kind = {404: "not_found", 405: "not_allowed", 413: "too_large"}.get(exc.status_code, "error")
        return render(request, "error.html", {"kind": kind}, status=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _exc: RequestValidationError) -> Response:
        return render(request, "error.html", {"kind": "bad_request"}, status=400)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PREFIX + "/"):  # answered (and logged) by the API's own handler
            return Response(status_code=500)
        # A defect: the person sees the application's page with a number to quote, and the
        # server's log holds the same number with the traceback.
        incident = secrets.token_hex(4)
        LOG.error("incident %s: %s %s", incident, request.method, request.url.path, exc_info=exc)
        try:
            return render(request, "error.html", {"kind": "crash", "incident": incident}, status=500)
        except Exception:
            LOG.exception("incident %s: the error page could not be rendered", incident)
            text = f"<!doctype html><title>Engage</title><p>Something went wrong. Incident {html.escape(incident)}.</p>"
            return HTMLResponse(text, status_code=500)

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            if name == "Cache-Control" and request.url.path.startswith("/static/"):
                continue
            response.headers.setdefault(name, value)
        return response

    async def too_large(scope: MutableMapping[str, Any]) -> Response:
        if str(scope["path"]).startswith(API_PREFIX + "/"):
            response: Response = api_too_large(limit_for(scope["path"], app.state.web.config.max_upload_bytes))
        else:
            response = render(Request(scope), "error.html", {"kind": "too_large"}, status=413)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # Outermost but for Starlette's error middleware: a body over its limit never reaches a page.
    app.add_middleware(BodyLimit, max_upload_bytes=app.state.web.config.max_upload_bytes, refuse=too_large)
    return app
