"""The process-wide resources (engine, bus, graph store), opened and closed in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from uuid import UUID

from broadcaster import Broadcast
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crmgraph.auth.authenticate import Authenticator
from crmgraph.config import Settings, mask_url
from crmgraph.db import direct_reads
from crmgraph.db import engine as db_engine
from crmgraph.db.direct_reads import DirectReads
from crmgraph.db.scoping import TeamKey, team_reads
from crmgraph.db.shared_reads import SharedReads
from crmgraph.errors import ServiceUnavailable
from crmgraph.events import bus, written
from crmgraph.events.consumers import CONSUMERS, consumer_names
from crmgraph.events.consumers.metrics import ConsumerLag, consumer_lag
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.events.consumers.runner import pool_size as runner_pool_size
from crmgraph.events.outbox_listener import asyncpg_dsn
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.port import GraphStore
from crmgraph.graph.read_your_writes import GraphReads
from crmgraph.graph.sql_store import SqlGraphStore
from crmgraph.lifecycle import Lifecycle


def connection_budget(settings: Settings, *, consumers: bool) -> int:
    """The most PostgreSQL connections one process opens: its read and write pools and,
    where it runs the outbox consumers, the runner's pool and its NOTIFY listener. Processes
    x this must stay under PostgreSQL's max_connections (README, DB_POOL_SIZE)."""
    requests = db_engine.default_pool_size(settings, reads=True)
    requests += db_engine.default_pool_size(settings)
    if direct_reads.applies(settings):
        requests += direct_reads.direct_size(settings)
    return requests + (runner_pool_size(CONSUMERS) + 1 if consumers else 0)


log = logging.getLogger("crmgraph.runtime")


@dataclass(frozen=True)
class ServiceHealth:
    service: str
    url: str
    ok: bool
    detail: str


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broadcast: Broadcast
    graph: GraphStore
    authenticator: Authenticator
    # Read-only requests (loaders, lists): autocommit, one round trip per SELECT.
    read_engine: AsyncEngine
    read_sessions: async_sessionmaker[AsyncSession]
    # Requests' graph reads: Neo4j while the projection has their tenant's writes, else SQL.
    graph_reads: GraphReads = field(init=False)
    # Team members for open streams, one read per team and interval (db.scoping.LiveTeam).
    teams: SharedReads[TeamKey, frozenset[UUID]] = field(init=False)
    # Compiled reads' connections (PostgreSQL with COMPILED_READS on), else None.
    direct_reads: DirectReads | None = None
    # Draining after SIGTERM, and the open WebSockets (crmgraph.server's shutdown).
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    _runner_engines: list[AsyncEngine] = field(default_factory=list)
    _runners: list[ConsumerRunner] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings) -> Runtime:
        """Connect everything; ServiceUnavailable names the first service that does not answer
        (a Neo4j that is down excepted: _ping_graph)."""
        engine = db_engine.create_engine(settings)
        tables = SqlGraphStore(engine)
        graph: GraphStore = (
            Neo4jGraphStore(
                settings.neo4j_uri,
                settings.neo4j_user,
                settings.neo4j_password,
                sql=tables,
            )
            if settings.neo4j_uri
            else tables
        )
        broadcast = bus.create_broadcast(settings.redis_url)
        sessions = db_engine.create_session_factory(engine)
        read_engine = db_engine.create_engine(settings, reads=True)
        runtime = cls(
            settings,
            engine,
            sessions,
            broadcast,
            graph,
            Authenticator(settings, sessions),
            read_engine,
            db_engine.create_session_factory(read_engine),
        )
        projection = graph if settings.neo4j_uri else None
        runtime.graph_reads = GraphReads(projection, tables, runtime.read_sessions)
        runtime.teams = team_reads(runtime.read_sessions)
        if direct_reads.applies(settings):
            size = direct_reads.direct_size(settings)
            runtime.direct_reads = DirectReads(settings.database_url, size)
        try:
            await db_engine.ping(engine)
            await bus.ping(settings.redis_url)
            await _ping_graph(graph)
            await broadcast.connect()
        except BaseException:
            await runtime._close_quietly()
            raise
        return runtime

    def create_runner(self) -> ConsumerRunner:
        """A runner of every registered consumer (crmgraph.events.consumers), on an engine
        of its own (runner_pool_size: a connection per consumer, the dispatcher's share, one
        for the due-task scan), so its work never waits for, or holds, a connection that
        requests need. close() disposes of it."""
        engine = db_engine.create_engine(self.settings, pool_size=runner_pool_size(CONSUMERS))
        self._runner_engines.append(engine)
        runner = ConsumerRunner(
            db_engine.create_session_factory(engine),
            [consumer.from_runtime(self) for consumer in CONSUMERS],
            listen_dsn=asyncpg_dsn(self.settings.database_url),
        )
        self._runners.append(runner)
        return runner

    def wake_consumers(self, session: AsyncSession | None = None) -> None:
        """A write of this process committed: hand it to consumers now, not at the next poll.
        With its session, only to the consumers it wrote for (none if it wrote no event)."""
        done = None if session is None else written.taken(session)
        for runner in self._runners:
            runner.wake_after_write(done)

    async def consumer_lag(self) -> list[ConsumerLag]:
        """Lag and dead letters of every consumer, read from the database now."""
        async with self.read_sessions() as session:
            return await consumer_lag(session, consumer_names())

    async def close(self) -> None:
        await self.broadcast.disconnect()
        await self.graph.close()
        for engine in self._runner_engines:
            await engine.dispose()
        if self.direct_reads is not None:
            await self.direct_reads.close()
        await self.read_engine.dispose()
        await self.engine.dispose()

    async def _close_quietly(self) -> None:
        # Closing after a failed open: the first error is the one to show.
        for close in (self.graph.close, self.read_engine.dispose, self.engine.dispose):
            with contextlib.suppress(Exception):
                await close()

    async def ready(self) -> bool:
        """Does every dependency answer? All that an unauthenticated /health may tell."""
        return all(check.ok for check in await self.health())

    async def health(self) -> list[ServiceHealth]:
        """Each dependency's status, checked concurrently."""
        db_url = mask_url(self.engine.url.render_as_string(hide_password=False))
        checks = {
            "database": (db_url, db_engine.ping(self.engine)),
            "pubsub": (mask_url(self.settings.redis_url), bus.ping(self.settings.redis_url)),
            "graph": (self.settings.neo4j_uri or "sql", self.graph.ping()),
        }
        results = await asyncio.gather(*(c for _, c in checks.values()), return_exceptions=True)
        out = []
        for (service, (url, _)), result in zip(checks.items(), results, strict=True):
            if isinstance(result, ServiceUnavailable):
                out.append(ServiceHealth(service, url, False, result.reason))
            elif isinstance(result, BaseException):
                out.append(ServiceHealth(service, url, False, type(result).__name__))
            else:
                out.append(ServiceHealth(service, url, True, result))
        return out


async def _ping_graph(graph: GraphStore) -> None:
    """A Neo4j that does not answer yet does not keep a process from starting: its graph
    questions are answered from PostgreSQL meanwhile (GraphReads), and the projection's
    deliveries wait for it in the outbox (README, The graph). Refused credentials do."""
    try:
        await graph.ping()
    except ServiceUnavailable as exc:
        if not exc.down:
            raise
        log.warning("starting without Neo4j: %s; graph reads use PostgreSQL until it answers", exc)
