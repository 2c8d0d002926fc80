"""How much a request body may hold, enforced while it streams in, before anything parses it.

Starlette reads a form (and spools its files to disk) when a page asks for it; a limit
checked afterwards has already let a 2 GB body reach ``/tmp``.  This ASGI middleware
stands in front of the application: a body whose ``Content-Length`` is over the route's
limit is refused at once, and a body sent without one (chunked) is counted as it arrives
and cut off at the limit.  Either way the answer is 413 and the application never sees it.

Limits are per route: the file uploads (a batch, a candidate rule file) take
``max_upload_bytes`` plus room for the form around the file; every other form is small.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FORM_BYTES = 256 * 1024  # a request form with every list filled is a few kilobytes
UPLOAD_ROUTES = ("/batch", "/rules/impact")  # pages that take a file
FORM_OVERHEAD = 64 * 1024  # the other fields and the multipart framing around an uploaded file


class TooLarge(Exception):
    """The body went over its limit while it was being read."""


def limit_for(path: str, max_upload_bytes: int) -> int:
    """The most bytes a body sent to ``path`` may hold."""
    return max_upload_bytes + FORM_OVERHEAD if path in UPLOAD_ROUTES else FORM_BYTES


class BodyLimit:
    """Refuse (413) any request body over its route's limit, without reading more of it than the limit."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int, refuse: Callable[[Scope], Awaitable[Any]]) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.refuse = refuse  # the 413 page for this request, as an ASGI application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"], self.max_upload_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = exceeded = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise TooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BaseException:
            # The framework may wrap TooLarge (in an exception group, or as the cause of its own
            # error): what counts is that the limit was hit, which only counted() can say.
            if not exceeded:
                raise
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.refuse(scope)
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
