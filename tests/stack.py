"""A running crmgraph for tests: our subgraphs and REST shim in a background thread, and the
real Hive Gateway (a Node subprocess) composed against them. Nothing is replaced or mocked.
Every server listens on a port the kernel picks (tests/ports.py), so runs never collide."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import event

from crmgraph import native_router
from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings
from crmgraph.runtime import Runtime
from crmgraph.server import Servers, build_servers
from subgraphs.registry import NAMES
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
ROUTER = ROOT / "router-config"
#: Which router the stack runs: hive-gateway (Node, the default) or hive-router (Rust, built by
#: `make hive-router`; configured by crmgraph.native_router).
ROUTER_KIND = os.environ.get("CRMGRAPH_ROUTER", "hive-gateway")
R = TypeVar("R")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s: Hive Router logged "router stopped" and was still
    running 10 s later on a loaded machine."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class Stack:
    def __init__(self, settings: Settings, *, workdir: Path) -> None:
        # A fresh router secret per stack: its router sends it, its subgraphs require it.
        self.router_secret = secrets.token_urlsafe(32)
        # Port 0: each subgraph and the REST shim bind a port of the kernel's choice; start()
        # reads back which.
        self.settings = settings.model_copy(
            update={"rest_port": 0, "router_secret": self.router_secret}
        )
        self.ports = dict.fromkeys(NAMES, 0)
        self.router_port = 0
        self.rest_url = ""
        self.router_url = ""
        self.workdir = workdir
        self.statements = 0
        self._recorders: list[list[str]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: Servers | None = None
        self._serving: Future[None] | None = None
        self._router: subprocess.Popen[bytes] | None = None
        self.runtime: Runtime

    # lifecycle
    def start(self) -> None:
        self._thread.start()
        self.runtime = self.call(lambda: Runtime.open(self.settings))
        for engine in (self.runtime.engine, self.runtime.read_engine):
            event.listen(engine.sync_engine, "before_cursor_execute", self._count)
        if self.runtime.direct_reads is not None:  # compiled reads, beside SQLAlchemy
            self.runtime.direct_reads.observers.append(lambda sql: self._count(None, None, sql))
        self._servers = build_servers(
            self.runtime, NAMES, rest=True, ports=self.ports, log_level="warning"
        )
        # Requests each subgraph received (the servers come in NAMES order): lets a test see
        # which subgraphs the router called. Counting only; the apps are the real ones.
        self.requests = dict.fromkeys(NAMES, 0)
        for name, server in zip(NAMES, self._servers.servers, strict=False):
            server.config.app = self._counted(name, server.config.app)
        self._serving = asyncio.run_coroutine_threadsafe(self._servers.run(), self._loop)
        _wait(lambda: self._servers is not None and self._servers.started, "subgraphs")
        bound = [server.servers[0].sockets[0].getsockname()[1] for server in self._servers.servers]
        self.ports = dict(zip(NAMES, bound, strict=False))
        self.settings = self.settings.model_copy(update={"rest_port": bound[-1]})
        self.rest_url = f"http://127.0.0.1:{bound[-1]}"
        self._start_router()

    def stop(self) -> None:
        if self._router is not None:
            stop_process(self._router)
        if self._servers is not None and self._serving is not None:
            self._servers.stop()
            self._serving.result(timeout=10)
        self.call(self.runtime.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _start_router(self, attempts: int = 3) -> None:
        """On a free port; another one if a process took it before the router could bind it."""
        for attempt in range(1, attempts + 1):
            self.router_port = free_port()
            self.router_url = f"http://127.0.0.1:{self.router_port}/graphql"
            try:
                self._try_router()
                return
            except RuntimeError as exc:
                taken = "EADDRINUSE" in str(exc) or "Address already in use" in str(exc)
                if not taken or attempt == attempts:
                    raise

    def _try_router(self) -> None:
        env = {**os.environ, **self._router_env()}
        supergraph = self.workdir / "supergraph.graphql"
        subprocess.run(
            ["node", "compose.mjs", "--out", str(supergraph)],
            cwd=ROUTER,
            env=env,
            check=True,
            capture_output=True,
        )
        env["CRMGRAPH_SUPERGRAPH"] = str(supergraph)
        env["CRMGRAPH_GATEWAY_PORT"] = str(self.router_port)
        # Concurrent test runs share one Redis and one client address: rate limits would make
        # unrelated tests interfere. tests/e2e/test_rate_limits.py starts its own routers.
        env.setdefault("CRMGRAPH_RATE_LIMITS_ENABLED", "false")
        log = (self.workdir / "router.log").open("wb")
        command, health = self._router_command(env, supergraph)
        self._router = subprocess.Popen(
            command, cwd=ROUTER, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            # A loaded machine (2 cores shared by many test runs) can take a minute and more.
            _wait(lambda: self._router_ready(health), "router", timeout=120)
        except BaseException:
            self._router.kill()  # not left running when the stack gives up on it
            self._router.wait(timeout=10)
            raise

    def _router_command(self, env: dict[str, str], supergraph: Path) -> tuple[list[str], str]:
        """The router's command line and its health URL, for ROUTER_KIND."""
        base = f"http://127.0.0.1:{self.router_port}"
        if ROUTER_KIND == "hive-gateway":
            gateway = str(ROUTER / "node_modules/.bin/hive-gateway")
            command = [gateway, "supergraph", str(supergraph), "--port", str(self.router_port)]
            return command, f"{base}/healthcheck"
        if ROUTER_KIND != "hive-router":
            raise RuntimeError(
                f"CRMGRAPH_ROUTER must be hive-gateway or hive-router, not {ROUTER_KIND!r}"
            )
        config = self.workdir / "hive-router.json"
        native_router.write_config(env, supergraph=supergraph, port=self.router_port, out=config)
        env["ROUTER_CONFIG_FILE_PATH"] = str(config)
        return [str(native_router.binary())], f"{base}/health"

    def _router_ready(self, url: str) -> bool:
        assert self._router is not None
        if self._router.poll() is not None:
            raise RuntimeError(
                f"router exited: {(self.workdir / 'router.log').read_text()[-2000:]}"
            )
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def _subgraph_env(self) -> dict[str, str]:
        """What a router needs to reach this stack's subgraphs: their URLs and the secret."""
        return {
            **{f"CRMGRAPH_{name.upper()}_URL": self.subgraph_url(name) for name in self.ports},
            "CRMGRAPH_ROUTER_SECRET": self.router_secret,
        }

    def _router_env(self) -> dict[str, str]:
        """Subgraph URLs, and where and how the router asks the REST shim who a caller is."""
        assert self.settings.router_secret is not None
        return {
            **self._subgraph_env(),
            "CRMGRAPH_AUTH_URL": f"{self.rest_url}/internal/introspect",
            "CRMGRAPH_ROUTER_SECRET": self.settings.router_secret,
        }

    def subgraph_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}/graphql"

    # helpers for tests
    def call(self, make: Callable[[], Awaitable[R]]) -> R:
        """Run a coroutine on the stack's event loop (where its engine lives) and wait."""

        async def run() -> R:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=60)

    def token(
        self,
        tenant: str,
        *,
        user_id: Any = None,
        roles: tuple[str, ...] = ("tenant_admin",),
        permissions: tuple[str, ...] = (),
        **extra: Any,
    ) -> str:
        """A token the stack accepts: tenant admin unless roles say otherwise."""
        subject = str(user_id) if user_id is not None else f"dev:{tenant}"
        return issue_token(self.settings, tenant_id=tenant, subject=subject, roles=roles,
                           permissions=permissions, extra=extra)  # fmt: skip

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        tenant: str | None = None,
        url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if tenant is not None:
            sent["authorization"] = f"Bearer {self.token(tenant)}"
        return httpx.post(
            url or self.router_url,
            json={"query": query, "variables": variables or {}},
            headers=sent,
            timeout=30,
        )

    @contextmanager
    def counting_statements(self) -> Iterator[list[int]]:
        """Yields a one-item list that holds, on exit, the SQL statements run inside.

        The per-tenant role lookup of authentication is left out: it is cached per process,
        so it runs on a tenant's first request only and says nothing about the query."""
        box = [0]
        before = self.statements
        yield box
        box[0] = self.statements - before

    @contextmanager
    def recording_statements(self) -> Iterator[list[str]]:
        """Yields a list that receives the text of each statement counting_statements counts
        while inside."""
        box: list[str] = []
        self._recorders.append(box)
        try:
            yield box
        finally:
            self._recorders.remove(box)

    def _counted(self, name: str, app: Any) -> Any:
        async def counted(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"] == "/graphql":
                self.requests[name] += 1
            await app(scope, receive, send)

        return counted

    def _count(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM tenant_roles" not in statement:
            self.statements += 1
            for box in self._recorders:
                box.append(statement)


def _wait(ready: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout}s")
