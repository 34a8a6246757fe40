"""A process's lifecycle as its probes and its shutdown see it: whether it drains (SIGTERM
came: /readyz says 503 while in-flight work finishes) and the WebSockets it must close
when it does, with 1001 "going away" (graphql-ws clients reconnect on it); and the answer
to a request the drain had to cut short (CutShort)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmgraph.errors import RETRY_AFTER_SECONDS, DomainError, ErrorCode

log = logging.getLogger("crmgraph.lifecycle")

# How an app answers an error (its error format: GraphQL errors or the REST envelope).
Answer = Callable[[Scope, DomainError], ASGIApp]
GOING_AWAY = 1001
GOING_AWAY_REASON = "server shutting down"


class Closable(Protocol):
    """A WebSocket as Strawberry's handlers hold it (AsyncWebSocketAdapter)."""

    async def close(self, code: int, reason: str) -> None: ...


@dataclass
class Lifecycle:
    draining: bool = False
    _sockets: set[Closable] = field(default_factory=set)

    @contextlib.contextmanager
    def open_socket(self, socket: Closable) -> Iterator[None]:
        """Holds socket while its connection runs, to close it when the process drains."""
        self._sockets.add(socket)
        try:
            yield
        finally:
            self._sockets.discard(socket)

    @property
    def open_sockets(self) -> int:
        return len(self._sockets)

    async def close_sockets(self) -> int:
        """Close every open WebSocket with 1001; how many there were."""
        sockets = list(self._sockets)
        results = await asyncio.gather(
            *(s.close(GOING_AWAY, GOING_AWAY_REASON) for s in sockets), return_exceptions=True
        )
        for failure in results:
            if isinstance(failure, Exception):  # already gone: nothing to tell it
                log.debug("closing a WebSocket: %s", failure)
        return len(sockets)


class CutShort:
    """ASGI middleware: a request the drain cut short (cancelled after SHUTDOWN_DRAIN_SECONDS)
    is answered 503 SERVICE_UNAVAILABLE with Retry-After, in the app's error format (answer),
    instead of uvicorn's bare 500: the client may safely send it again elsewhere."""

    def __init__(self, app: ASGIApp, draining: Callable[[], bool], answer: Answer) -> None:
        self.app = app
        self.draining = draining
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except asyncio.CancelledError:
            if self.draining() and not started:
                error = DomainError(
                    ErrorCode.SERVICE_UNAVAILABLE,
                    "the server shut down before this request finished; send it again",
                    details={"retryAfter": RETRY_AFTER_SECONDS},
                )
                await self.answer(scope, error)(scope, receive, send)
            raise
