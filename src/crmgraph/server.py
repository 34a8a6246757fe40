"""Run subgraphs and the REST shim: one uvicorn server per port, all in one event loop; and
`crmgraph worker`. Both shut down gracefully on SIGTERM (README, Health and shutdown):
/readyz turns 503 (draining), WebSockets close with 1001, in-flight requests and outbox
batches get SHUTDOWN_DRAIN_SECONDS to finish; a second signal exits at once."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import signal
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from crmgraph.config import Settings
from crmgraph.events.consumers.runner import ConsumerRunner, drain_runner, serve_runner
from crmgraph.gql.router_gate import require_router_secret
from crmgraph.lifecycle import Lifecycle
from crmgraph.probes import probe_routes
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from subgraphs.registry import PORTS, create_app

log = logging.getLogger("crmgraph.server")
# Allocations between young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 20_000
# Young collections between collections of the middle generation (CPython's default is 10).
# At 10, one in about 120 50-deal pages paid a middle-generation collection of several
# hundred ms of CPU (bench/README.md, per-request costs): 4.1 of the page's 32 ms went to
# GC; at 50, 1.5 of 28 ms.
GC_MIDDLE_THRESHOLD = 50
# How long an idle keep-alive connection stays open. Longer than any client in front keeps
# one idle (the router's Node agent: 5 s; load balancers: often 60 s), so the client always
# closes first: with uvicorn's 5 s both ends timed out together, and a request the router
# sent on a connection the subgraph was closing failed.
KEEP_ALIVE_SECONDS = 75


class _Server(uvicorn.Server):
    # Several servers share one process: the runner, not each server, owns the signals.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Servers:
    """The uvicorn servers of one process; stop() asks them all to exit."""

    servers: list[_Server] = field(default_factory=list)
    consumers: ConsumerRunner | None = None
    # reuse_port: bind with SO_REUSEPORT, so several processes can serve one port and the
    # kernel spreads connections over them (`crmgraph serve NAME --reuse-port`, run N times).
    reuse_port: bool = False
    # How long in-flight requests (and the consumers' batches) may take to finish once the
    # servers stop; then they are cancelled. None: as long as they take.
    drain_seconds: float | None = None
    _sockets: dict[int, list[socket.socket]] = field(default_factory=dict)
    _shutting_down: asyncio.Task[None] | None = None

    def add(self, app: ASGIApp, host: str, port: int, log_level: str) -> None:
        # proxy_headers off: uvicorn would otherwise replace the peer address with the
        # first untrusted X-Forwarded-For hop, which a client can write. Subgraphs believe the
        # router's hop by its secret (gql.router_gate), the REST shim only TRUSTED_PROXIES'.
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            log_level=log_level,
            access_log=False,
            proxy_headers=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=(
                None if self.drain_seconds is None else math.ceil(self.drain_seconds)
            ),
        )
        self.servers.append(_Server(config))
        if self.reuse_port:
            sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            self._sockets[len(self.servers) - 1] = [sock]

    async def run(self) -> None:
        """Serve until stop(); the consumers run alongside, as long as the servers do."""
        running = None if self.consumers is None else asyncio.create_task(self.consumers.run())
        try:
            await asyncio.gather(
                *(s.serve(sockets=self._sockets.get(n)) for n, s in enumerate(self.servers))
            )
        finally:
            if running is not None and self.consumers is not None:
                await drain_runner(self.consumers, running, self.drain_seconds)

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True

    def signalled(self, lifecycle: Lifecycle, delay: float) -> None:
        """SIGTERM or SIGINT: the first shuts down gracefully (shut_down), another at once."""
        if self._shutting_down is None:
            self._shutting_down = asyncio.create_task(self.shut_down(lifecycle, delay))
            return
        log.warning("second signal: exiting without waiting for in-flight requests")
        for server in self.servers:
            server.should_exit = server.force_exit = True

    async def shut_down(self, lifecycle: Lifecycle, delay: float) -> None:
        """Not ready (/readyz: 503 draining) but still serving for delay seconds, so a load
        balancer takes the process out first; then close the WebSockets with 1001, stop
        accepting and let in-flight requests finish (drain_seconds, uvicorn's graceful
        shutdown)."""
        lifecycle.draining = True
        log.info("shutting down: draining for up to %s s", self.drain_seconds)
        if delay:
            await asyncio.sleep(delay)
        closed = await lifecycle.close_sockets()
        if closed:
            log.info("closed %d WebSocket(s) with 1001 going away", closed)
        self.stop()

    @property
    def started(self) -> bool:
        return all(s.started for s in self.servers)


def build_servers(
    runtime: Runtime,
    names: Sequence[str],
    *,
    rest: bool,
    ports: dict[str, int] | None = None,
    log_level: str = "info",
    consumers: bool | None = None,
    reuse_port: bool = False,
) -> Servers:
    """consumers: also run the outbox consumers in this process; by default when
    CONSUMERS_IN_PROCESS is on (`make run`, tests), off where `crmgraph worker` runs them."""
    settings: Settings = runtime.settings
    ports = {**PORTS, **(ports or {})}
    if consumers is None:
        consumers = settings.consumers_in_process
    runner = runtime.create_runner() if consumers else None
    servers = Servers(
        consumers=runner, reuse_port=reuse_port, drain_seconds=settings.shutdown_drain_seconds
    )
    for name in names:
        app = create_app(name, runtime)
        servers.add(app, settings.host, ports[name], log_level)
    if rest:
        servers.add(create_rest_app(runtime), settings.host, settings.rest_port, log_level)
    return servers


async def serve(
    settings: Settings,
    names: Sequence[str],
    *,
    rest: bool,
    ports: dict[str, int] | None = None,
    reuse_port: bool = False,
) -> None:
    """Open the runtime, serve until SIGINT/SIGTERM, close the runtime."""
    if names:  # before connecting anywhere: a subgraph without the router's secret won't run
        require_router_secret(settings)
    runtime = await Runtime.open(settings)
    servers = build_servers(runtime, names, rest=rest, ports=ports, reuse_port=reuse_port)
    settle_garbage_collector()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(
            sig, servers.signalled, runtime.lifecycle, settings.shutdown_delay_seconds
        )
    try:
        await servers.run()
    finally:
        await runtime.close()


def settle_garbage_collector() -> None:
    """Once the schemas and apps are built: move everything alive into the permanent
    generation (gc.freeze), so the cyclic collector stops walking the schema on every
    collection, and collect the young generation less often. A request allocates many
    short-lived objects (ORM rows, GraphQL results); collections then cost less. The middle
    generation is collected less often too: its collections were the larger part of GC."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, GC_MIDDLE_THRESHOLD, gc.get_threshold()[2])


async def worker(settings: Settings) -> None:
    """`crmgraph worker`: only the outbox consumers, and /livez and /readyz on
    WORKER_HEALTH_PORT, until SIGINT/SIGTERM; then the batches in flight finish (within
    SHUTDOWN_DRAIN_SECONDS) and commit before it exits, while /readyz says draining."""
    runtime = await Runtime.open(settings)
    stop = asyncio.Event()

    def signalled() -> None:
        runtime.lifecycle.draining = True
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, signalled)
    runner = runtime.create_runner()
    probes = _Server(
        uvicorn.Config(
            Starlette(routes=probe_routes(runtime)),
            host=settings.host,
            port=settings.worker_health_port,
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
    )
    probing = asyncio.create_task(probes.serve())
    log.info("worker running consumers: %s", ", ".join(c.name for c in runner.consumers))
    try:
        await serve_runner(runner, stop, drain_seconds=settings.shutdown_drain_seconds)
    finally:
        probes.should_exit = True
        await probing
        await runtime.close()
