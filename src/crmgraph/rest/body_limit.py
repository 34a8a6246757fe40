"""The REST shim's request body limits (REST_MAX_BODY_BYTES, and per path prefix: Zoho
webhooks' ZOHO_WEBHOOK_MAX_BODY_BYTES), as ASGI middleware.

A declared Content-Length over the limit is refused before the route runs; a chunked body is
counted as it arrives and refused at the first byte over the limit. Either way the rest of the
body is never read: the 413 closes the connection, so the server stops receiving it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.errors import error_response


class BodyTooLarge(Exception):
    """Raised from receive() once a streamed body passes the limit."""


class BodyLimitMiddleware:
    """`limit` for every path but those starting with a prefix of `by_prefix`, which get
    that prefix's limit."""

    def __init__(
        self, app: ASGIApp, limit: int, by_prefix: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = limit
        self.by_prefix = dict(by_prefix or {})

    def limit_for(self, path: str) -> int:
        return next((n for p, n in self.by_prefix.items() if path.startswith(p)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if self._declared_length(scope) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        read = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:  # a streaming response that reads its body late: nothing to answer
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0  # uvicorn refuses a malformed Content-Length before we run
        return 0

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = DomainError(
            ErrorCode.REQUEST_ENTITY_TOO_LARGE,
            f"Request body is larger than {limit} bytes",
            details={"limit": limit},
        )
        response = error_response(Request(scope, receive), error)
        # Closing the connection is what stops the server reading the rest of the body.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
