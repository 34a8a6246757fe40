"""Run subgraphs and the REST shim: one uvicorn server per port, all in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp

from crmgraph.config import Settings
from crmgraph.events.consumers.runner import ConsumerRunner, serve_runner
from crmgraph.gql.router_gate import require_router_secret
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
    _sockets: dict[int, list[socket.socket]] = field(default_factory=dict)

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
            if running is not None:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True

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
    servers = Servers(consumers=runner, reuse_port=reuse_port)
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
        loop.add_signal_handler(sig, servers.stop)
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
    """`crmgraph worker`: only the outbox consumers, until SIGINT/SIGTERM."""
    runtime = await Runtime.open(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = runtime.create_runner()
    log.info("worker running consumers: %s", ", ".join(c.name for c in runner.consumers))
    try:
        await serve_runner(runner, stop)
    finally:
        await runtime.close()
