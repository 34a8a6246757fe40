"""The per-request GraphQL context: runtime, caller scope and a fresh set of loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.loaders import Loaders
from crmgraph.runtime import Runtime

R = TypeVar("R")


@dataclass
class Context:
    runtime: Runtime
    request: Request | WebSocket
    response: Response | WebSocket | None = None
    connection_params: dict[str, Any] | None = field(default=None)
    _auth: Scope | DomainError | None = None

    @classmethod
    async def build(
        cls, runtime: Runtime, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """Authenticates the request once; a failure surfaces when a field needs the scope."""
        context = cls(runtime=runtime, request=request, response=response)
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            peer = request.client.host if request.client else None
            context._auth = await runtime.authenticator.authenticate(headers, peer)
        except DomainError as exc:
            context._auth = exc
        return context

    @property
    def scope(self) -> Scope:
        """The caller's scope; raises UNAUTHENTICATED for a request without valid credentials."""
        auth = self._auth
        if isinstance(auth, DomainError):
            raise auth
        if auth is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "missing credentials")
        return auth

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.runtime.sessions, self.scope, self.runtime.settings.max_page_size)

    def session(self) -> AsyncSession:
        return self.runtime.sessions()

    async def write(self, change: Callable[[AsyncSession, Scope], Awaitable[R]]) -> R:
        """Run change in one transaction: it commits on return and rolls back on any error."""
        scope = self.scope
        async with self.runtime.sessions() as session, session.begin():
            return await change(session, scope)


Info = StrawberryInfo[Context, None]
