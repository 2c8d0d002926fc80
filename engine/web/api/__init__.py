"""The JSON API under ``/api/v1/``: its own application, mounted beside the pages.

One module per job: :mod:`.problems` (errors as RFC 9457 problem details), :mod:`.access`
(bearer tokens, roles, the rate limit), :mod:`.routes` (the routes), :mod:`.docs` (the
documentation page).  Being a separate application keeps the pages out of its OpenAPI
description and keeps its errors out of the pages' HTML handlers.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from ... import __version__
from ..context import Web
from ..limits import TooLarge, limit_for
from .access import REFUSED_PER_CLIENT, Limits, RateLimit
from .docs import render_docs
from .problems import SCHEMA, Problem, too_large
from .routes import PREFIX, build, request_schema

LOG = logging.getLogger("engage.web")


def _field(loc: Any) -> str:
    """``("query", "limit")`` -> ``limit``; ``("body", "outcome")`` -> ``outcome``."""
    parts = [str(p) for p in loc if p not in ("query", "body", "path")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def _body_limit(exc: BaseException | None, depth: int = 0) -> bool:
    """Whether ``exc`` is (or wraps, in a group or as its cause) the body limit's :class:`TooLarge`."""
    if exc is None or depth > 10:
        return False
    if isinstance(exc, TooLarge):
        return True
    if isinstance(exc, BaseExceptionGroup) and any(_body_limit(e, depth + 1) for e in exc.exceptions):
        return True
    return _body_limit(exc.__cause__ or exc.__context__, depth + 1)


def create_api(web: Web) -> FastAPI:
    """The API's application over the pages' ``web`` (the same engine, log, accounts and clock)."""
    api = FastAPI(
        title="Engage API",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description="Triage of requests for technical cooperation in human rights, for other systems.",
    )
    api.state.web = web
    api.state.limits = Limits(
        RateLimit(web.config.api_calls_per_minute, web.config.now), RateLimit(REFUSED_PER_CLIENT, web.config.now)
    )
    router = APIRouter()
    api.state.declared = build(router)
    api.include_router(router)
    described: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not described:
            found = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes)
            found["servers"] = [{"url": PREFIX}]
            schemas = found.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = SCHEMA
            schemas["Request"] = request_schema(web.engine.policy.request_schema)
            described.update(found)
        return described

    @api.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> JSONResponse:
        return JSONResponse(openapi())

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(openapi(), PREFIX))

    @api.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        return exc.response(request.url.path)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"code": "bad-parameter", "message": str(e.get("msg", "")), "path": _field(e.get("loc", ()))} for e in exc.errors()
        ]
        first = errors[0] if errors else {"path": "", "message": "not valid"}
        detail = f"{first['path']}: {first['message']}"
        return Problem(422, "bad-parameter", detail, errors=errors).response(request.url.path)

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        known = {404: "no such route in the API", 405: "this route does not take this method"}
        detail = known.get(exc.status_code, str(exc.detail))
        return Problem(exc.status_code, code, detail).response(request.url.path)

    @api.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        if _body_limit(exc):  # the body went over its limit while a route read it
            return too_large(limit_for(request.url.path, web.config.max_upload_bytes))
        # A defect: the caller gets a number to quote; the server's log has it with the traceback.
        incident = secrets.token_hex(4)
        LOG.error("incident %s: %s %s", incident, request.method, request.url.path, exc_info=exc)
        return Problem(500, "internal-error", f"something went wrong; incident {incident}").response(request.url.path)

    return api
