"""The chaos run's stack: one OS process per subgraph, the REST shim, the router (Hive
Gateway) and `crmgraph worker` (or several of each behind HAProxy: ChaosStack.copies), each
in a process group of its own so that a fault (SIGKILL, SIGSTOP) hits one of them and its
children only. A supervisor restarts a process that died, after RESTART_DELAY, as a process
manager would; its port stays the same."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scaleout.layout import balance
from subgraphs.registry import NAMES
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
ROUTER_DIR = ROOT / "router-config"
RESTART_DELAY = 1.0  # seconds between a process's death and its restart
READY_TIMEOUT = 180.0


@dataclass
class Managed:
    """A supervised process: how to start it, where it logs, how to see it is up."""

    name: str
    tier: str  # a subgraph's name, rest, router or worker
    command: list[str]
    env: dict[str, str]
    log: Path
    health: str
    cwd: Path = ROOT
    port: int = 0  # what it serves on; 0 for a worker
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    # While True the supervisor leaves it alone (a fault holds it stopped or paused).
    held: bool = False
    died_at: float | None = None
    exits: list[int] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        self.died_at = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        """To its whole process group (Node's and uvicorn's children too)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(timeout=15)

    def ready(self) -> bool:
        if not self.health:
            return self.alive()
        try:
            return self.alive() and httpx.get(self.health, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


class ChaosStack:
    """The processes on one set of ports; env holds the services' URLs and secrets.

    copies > 1 is the scale-out layout (scaleout.layout) under the same faults: that many
    processes of every tier (each subgraph, the REST shim, the router, the worker), named
    <tier>-<n>, sharing the services, behind HAProxy with one address per tier
    (scaleout.haproxy). The routers and the load reach every tier through it, so a fault
    hits one process of a tier and the balancer sends its traffic to the others."""

    def __init__(self, env: dict[str, str], workdir: Path, copies: int = 1) -> None:
        self.env, self.workdir, self.copies = env, workdir, copies
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        # Each tier's address: its one process's port, or the balancer's frontend for it.
        self.front = {tier: free_port() for tier in [*NAMES, "rest", "router"]}
        self.rest_url = f"http://127.0.0.1:{self.front['rest']}"
        self.router_url = f"http://127.0.0.1:{self.front['router']}/graphql"
        self.ws_url = f"ws://127.0.0.1:{self.front['router']}/graphql"
        self.processes: dict[str, Managed] = {}
        self.balancer: subprocess.Popen[bytes] | None = None
        self._supervising = True

    def copies_of(self, tier: str) -> list[tuple[str, int]]:
        """(process name, port) of each copy of tier: one copy serves on the tier's address
        under the tier's name. A worker has no port (0)."""
        if self.copies == 1:
            return [(tier, self.front.get(tier, 0))]
        return [(f"{tier}-{n}", 0 if tier == "worker" else free_port())
                for n in range(1, self.copies + 1)]  # fmt: skip

    def build(self) -> None:
        crmgraph = [sys.executable, "-m", "crmgraph.cli"]
        server_env = {**self.env, "CONSUMERS_IN_PROCESS": "false", "DEBUG": "false"}
        for tier in NAMES:
            for name, port in self.copies_of(tier):
                self.processes[name] = Managed(
                    name,
                    tier,
                    [*crmgraph, "serve", tier, "--port", str(port)],
                    server_env,
                    self.logs / f"{name}.log",
                    f"http://127.0.0.1:{port}/health",
                    port=port,
                )
        for name, port in self.copies_of("rest"):
            self.processes[name] = Managed(
                name,
                "rest",
                [*crmgraph, "serve", "--rest"],
                {**server_env, "REST_PORT": str(port)},
                self.logs / f"{name}.log",
                f"http://127.0.0.1:{port}/health",
                port=port,
            )
        supergraph = self.workdir / "supergraph.graphql"
        urls = {f"CRMGRAPH_{n.upper()}_URL": f"http://127.0.0.1:{self.front[n]}/graphql"
                for n in NAMES}  # fmt: skip
        router_env = {**self.env, **urls}
        subprocess.run(
            ["node", "compose.mjs", "--out", str(supergraph)],
            cwd=ROUTER_DIR,
            env=router_env,
            check=True,
            capture_output=True,
        )
        router_env.update(
            {
                "CRMGRAPH_SUPERGRAPH": str(supergraph),
                "CRMGRAPH_GATEWAY_LOG_LEVEL": "error",
                "CRMGRAPH_AUTH_URL": f"{self.rest_url}/internal/introspect",
                "FORK": "1",
            }
        )
        gateway = str(ROUTER_DIR / "node_modules/.bin/hive-gateway")
        for name, port in self.copies_of("router"):
            self.processes[name] = Managed(
                name,
                "router",
                [gateway, "supergraph", str(supergraph), "--port", str(port)],
                {**router_env, "CRMGRAPH_GATEWAY_PORT": str(port)},
                self.logs / f"{name}.log",
                f"http://127.0.0.1:{port}/healthcheck",
                cwd=ROUTER_DIR,
                port=port,
            )
        # Its health listener on a port of the kernel's choice: 8010 may be another's here.
        worker_env = {**self.env, "WORKER_HEALTH_PORT": "0"}
        for name, _ in self.copies_of("worker"):
            self.processes[name] = Managed(
                name, "worker", [*crmgraph, "worker"], worker_env, self.logs / f"{name}.log", ""
            )

    def _balance(self) -> None:
        """HAProxy over the copies of each tier (scaleout.layout.balance); returns once
        every process is in rotation."""
        servers: dict[str, list[int]] = {}
        for managed in self.processes.values():
            if managed.port:
                servers.setdefault(managed.tier, []).append(managed.port)
        self.balancer, _ = balance(self.front, servers, self.workdir, READY_TIMEOUT)

    def start(self) -> None:
        for managed in self.processes.values():
            managed.start()
        self.wait_ready(list(self.processes))
        if self.copies > 1:
            self._balance()

    def wait_ready(self, names: list[str], timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting and time.monotonic() < deadline:
            waiting = [n for n in waiting if not self.processes[n].ready()]
            time.sleep(0.3)
        if waiting:
            raise TimeoutError(f"not ready after {timeout}s: {waiting} (logs in {self.logs})")

    async def supervise(self) -> None:
        """Restarts each process that died (not one a fault holds), RESTART_DELAY later."""
        while self._supervising:
            now = time.monotonic()
            for managed in self.processes.values():
                if managed.held or managed.process is None or managed.alive():
                    continue
                if managed.died_at is None:
                    managed.died_at = now
                    managed.exits.append(managed.process.returncode)
                elif now - managed.died_at >= RESTART_DELAY:
                    managed.start()
            await asyncio.sleep(0.2)

    def stop(self) -> None:
        self._supervising = False
        # The routers first: clients stop reaching the servers before they go.
        routers = [n for n, m in self.processes.items() if m.tier == "router"]
        for name in [*routers, *[n for n in self.processes if n not in routers]]:
            self.processes[name].held = True
            self.processes[name].stop()
        if self.balancer is not None and self.balancer.poll() is None:
            self.balancer.terminate()
            self.balancer.wait(timeout=15)
