"""The REST shim's request body limit (REST_MAX_BODY_BYTES), as ASGI middleware.

A declared Content-Length over the limit is refused before the route runs; a chunked body is
counted as it arrives and refused at the first byte over the limit. Either way the rest of the
body is never read: the 413 closes the connection, so the server stops receiving it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.errors import error_response


class BodyTooLarge(Exception):
    """Raised from receive() once a streamed body passes the limit."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.limit:
            await self._refuse(scope, receive, send)
            return
        read = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.limit:
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
            await self._refuse(scope, receive, send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0  # uvicorn refuses a malformed Content-Length before we run
        return 0

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = DomainError(
            ErrorCode.REQUEST_ENTITY_TOO_LARGE,
            f"Request body is larger than {self.limit} bytes",
            details={"limit": self.limit},
        )
        response = error_response(Request(scope, receive), error)
        # Closing the connection is what stops the server reading the rest of the body.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
