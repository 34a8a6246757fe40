"""The per-request GraphQL context: runtime, caller scope and a fresh set of loaders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar, cast

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from crmgraph.auth.recheck import rechecked
from crmgraph.db.errors import is_write_conflict
from crmgraph.db.scoping import LiveTeam, Scope
from crmgraph.db.types import utcnow
from crmgraph.errors import CONCURRENT_WRITE, DomainError, ErrorCode
from crmgraph.events.envelope import Envelope
from crmgraph.events.payloads import Payload
from crmgraph.events.stream import readable_events
from crmgraph.graph.loaders import GraphLoaders
from crmgraph.graph.read_your_writes import RequestGraph
from crmgraph.runtime import Runtime
from subgraphs.loaders import Loaders

R = TypeVar("R")
# The ASGI scope's key for an outcome of authentication made before Context.build.
AUTHENTICATED = "crmgraph.authenticated"
P = TypeVar("P", bound=Payload)


@dataclass
class Context:
    runtime: Runtime
    request: Request | WebSocket
    response: Response | WebSocket | None = None
    connection_params: dict[str, Any] | None = field(default=None)
    _auth: Scope | DomainError | None = None
    # crmgraph.gql.selection.child_names, per query position (id of its field node).
    selections: dict[int, frozenset[str]] = field(default_factory=dict)
    _instant: datetime | None = None

    @classmethod
    async def build(
        cls, runtime: Runtime, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """Authenticates the request once; a failure surfaces when a field needs the scope.
        A WebSocket is authenticated at connection_init instead (authenticate_connection)."""
        context = cls(runtime=runtime, request=request, response=response)
        if not isinstance(request, WebSocket):
            # The compiled-reads front (crmgraph.compiled.hook) authenticated it already when
            # it passed the request on: once per request, one security log line per failure.
            known = request.scope.get(AUTHENTICATED)
            if known is not None:
                context._auth = known
            else:
                await context._authenticate({k.lower(): v for k, v in request.headers.items()})
        return context

    def now(self) -> datetime:
        """The instant computed fields (daysInStage, isOverdue, daysUntilDue) count from: one
        per HTTP request, so no answer straddles two clocks (the compiled reads bind one
        instant too); a fresh reading over a WebSocket, whose operations outlive any instant."""
        if isinstance(self.request, WebSocket):
            return utcnow()
        if self._instant is None:
            self._instant = utcnow()
        return self._instant

    async def authenticate_connection(self) -> None:
        """WebSocket: credentials from the connection_init payload (graphql-ws
        connectionParams), else from the upgrade request's headers. Run again before each
        operation on the connection and while a subscription is open (reauthenticate)."""
        headers = {k.lower(): v for k, v in self.request.headers.items()}
        for key, value in (self.connection_params or {}).items():
            if isinstance(value, str) and value:
                headers[key.lower()] = value
        await self._authenticate(headers)

    async def _authenticate(self, headers: dict[str, str]) -> None:
        # The client's address: gql.router_gate has put the router's X-Forwarded-For hop here.
        client = self.request.client.host if self.request.client else None
        try:
            self._auth = await self.runtime.authenticator.authenticate(headers, client)
        except DomainError as exc:
            if exc.code is ErrorCode.SERVICE_UNAVAILABLE and isinstance(self._auth, Scope):
                # A WebSocket whose credentials were checked before, and could not be checked
                # again now (the database is down): they stand, and the caller hears why
                # (TransportWSHandler.run_operation refuses its operation; a stream checks
                # again later: auth.recheck). Its open streams go on meanwhile.
                raise
            self._auth = exc

    async def reauthenticate(self) -> Scope:
        """The same credentials checked again (a key may have been revoked since); raises
        the failure, which later fields of the connection see too, or SERVICE_UNAVAILABLE
        when they could not be checked (the earlier answer then stands)."""
        await self.authenticate_connection()
        return self.scope

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
        return Loaders(self.runtime.read_sessions, self.scope, self.runtime.settings.max_page_size)

    @cached_property
    def graph(self) -> RequestGraph:
        """The request's graph reads: Neo4j in full mode while the projection has the
        tenant's writes, else SQL (crmgraph.graph.read_your_writes)."""
        return self.runtime.graph_reads.for_request()

    @cached_property
    def graph_loaders(self) -> GraphLoaders:
        """Hierarchy questions over self.graph, batched per request level."""
        return GraphLoaders(self.graph, self.scope, self.session)

    def _forget_reads(self) -> None:
        """After a write or before a subscription's next event: what this context read
        (loaders' rows, the graph and whether its projection was current) may be old."""
        for cached in ("loaders", "graph", "graph_loaders"):
            self.__dict__.pop(cached, None)

    async def events(self, *kinds: type[P]) -> AsyncIterator[Envelope[P]]:
        """The caller's tenant's events of kinds (payload classes: `events(DealUpdated)`)
        that its permissions may read, duplicates dropped, each decoded once per process
        and typed: `event.payload` is a `P`. Each comes with fresh loaders: a WebSocket's
        context lives as long as the connection, and its cached rows would otherwise be as
        old. Every subscription reads here, so here its credentials are re-checked while it
        is open; once they fail it ends with UNAUTHENTICATED."""
        topics = [kind.TOPIC for kind in kinds]
        every = self.runtime.settings.credential_check_seconds
        team = await LiveTeam(self.runtime.teams, self.scope, every).fresh()
        stream = readable_events(self.runtime.broadcast, self.scope, topics, team=team)
        async for event in rechecked(stream, self.reauthenticate, every):
            self._forget_reads()
            # The topic picks the payload class (codec.decode): the narrowing always holds.
            yield cast(Envelope[P], event)

    def session(self) -> AsyncSession:
        """A session for reads only (autocommit); writes go through write()."""
        return self.runtime.read_sessions()

    async def write(self, change: Callable[[AsyncSession, Scope], Awaitable[R]]) -> R:
        """Run change in one transaction: it commits on return and rolls back on any error.
        When the database fails it for a concurrent write of the same rows (a deadlock of
        their row locks), that is a CONFLICT."""
        scope = self.scope
        try:
            async with self.runtime.sessions() as session, session.begin():
                result = await change(session, scope)
        except DBAPIError as exc:
            if not is_write_conflict(exc):
                raise
            raise DomainError(ErrorCode.CONFLICT, CONCURRENT_WRITE) from exc
        self.runtime.wake_consumers(session)  # its outbox rows are committed now
        self._forget_reads()
        return result


Info = StrawberryInfo[Context, None]
