"""Errors of the JSON API as problem details (RFC 9457): ``application/problem+json``.

Every refusal is a :class:`Problem`: the HTTP status, a ``type`` (a link to the problem's
entry on the API's documentation page), a ``title`` that is the same for every occurrence
of the problem, a ``detail`` for this one, and the engine's stable ``code``.  A request that
fails validation also lists each of its ``errors``, with the field path, as the CLI reports
them (``code``, ``message``, ``path``, ``line``, ``col``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.responses import Response

from ...errors import EngageError

MEDIA_TYPE = "application/problem+json"
DOCS = "/api/v1/docs"
TITLES = {
    400: "Bad request",
    401: "A valid token is needed",
    403: "The token's account lacks the role this route needs",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflicts with the decision log",
    413: "The body is over its limit",
    422: "The request is not valid",
    429: "Too many requests",
    500: "Internal error",
}
# The schema of a problem, for the OpenAPI description (components/schemas/Problem).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "a link to this problem's entry in the API's documentation"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "the engine's stable error code"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "path": {"type": ["string", "null"], "description": "the field, as a dotted path"},
                    "line": {"type": ["integer", "null"]},
                    "col": {"type": ["integer", "null"]},
                },
            },
        },
        "instance": {"type": "string"},
    },
}


class Problem(Exception):
    """A refusal of the API, answered as problem details."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Iterable[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def of(cls, status: int, exc: EngageError) -> Problem:
        """The problem of an engine error, with every error it holds."""
        found: list[EngageError] = list(getattr(exc, "errors", None) or [exc])
        return cls(status, exc.code, exc.message, errors=[error_fields(e) for e in found])

    def body(self, instance: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": f"{DOCS}#problem-{self.code}",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors:
            data["errors"] = self.errors
        if instance:
            data["instance"] = instance
        data.update(self.extra)
        return data

    def response(self, instance: str | None = None) -> Response:
        text = json.dumps(self.body(instance), ensure_ascii=False, sort_keys=True) + "\n"
        return Response(text, status_code=self.status, media_type=MEDIA_TYPE, headers=self.headers)


def error_fields(error: EngageError) -> dict[str, Any]:
    loc = error.location
    return {"code": error.code, "message": error.message, "path": loc.path, "line": loc.line, "col": loc.col}


def too_large(limit: int) -> Response:
    """The 413 of the API, for the body limit that stands in front of the whole application."""
    return Problem(413, "body-too-large", f"a body sent to the API holds at most {limit} bytes").response()
