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

from crmgraph.auth import scope_from_headers
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError
from crmgraph.loaders import Loaders
from crmgraph.runtime import Runtime

R = TypeVar("R")


@dataclass
class Context:
    runtime: Runtime
    request: Request | WebSocket
    response: Response | WebSocket | None = None
    connection_params: dict[str, Any] | None = field(default=None)

    @cached_property
    def _auth(self) -> Scope | DomainError:
        headers = {k.lower(): v for k, v in self.request.headers.items()}
        for key, value in (self.connection_params or {}).items():
            if isinstance(value, str):
                headers[key.lower()] = value
        try:
            return scope_from_headers(headers, self.runtime.settings)
        except DomainError as exc:
            return exc

    @property
    def scope(self) -> Scope:
        """The caller's scope; raises UNAUTHENTICATED for a request without valid credentials."""
        auth = self._auth
        if isinstance(auth, DomainError):
            raise auth
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
