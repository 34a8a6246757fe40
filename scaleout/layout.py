"""Start the scale-out layout on this machine: N routers (Hive Gateway), N processes of each
subgraph, N REST shims and N `crmgraph worker`s sharing one PostgreSQL and one Redis, behind
HAProxy with one address per tier (scaleout.haproxy). The servers leave the outbox
consumers to the workers (CONSUMERS_IN_PROCESS=false), as a deployment does.

    with start(Layout(routers=2, workers=2), env, workdir) as cluster:
        cluster.address("router")      # http://127.0.0.1:P/graphql, the public one
        cluster.members                # every process: tier, index, pid, port
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scaleout import haproxy
from subgraphs.registry import NAMES

ROOT = Path(__file__).resolve().parents[1]
ROUTER_DIR = ROOT / "router-config"
GATEWAY = ROUTER_DIR / "node_modules" / ".bin" / "hive-gateway"
#: Health paths per kind of process, the ones the balancer checks (and deploy/ probes).
# What the balancer checks: readiness, so a process draining after SIGTERM or without its
# database leaves rotation (not /health, which also fails while Redis or Neo4j is down).
HEALTH = {"router": "/healthcheck", "rest": "/readyz", "subgraph": "/readyz"}


@dataclass(frozen=True)
class Layout:
    """How many processes of each tier; `subgraphs` overrides `processes` per subgraph."""

    routers: int = 2
    processes: int = 2  # of each subgraph
    subgraphs: Mapping[str, int] = field(default_factory=dict)
    rest: int = 2
    workers: int = 2

    def count(self, subgraph: str) -> int:
        return self.subgraphs.get(subgraph, self.processes)


@dataclass
class Member:
    """One process of the layout: its tier (router, rest, worker, balancer or a subgraph's
    name), its index in the tier, and the port it serves on (None for workers)."""

    tier: str
    index: int
    process: subprocess.Popen[bytes]
    port: int | None = None
    #: How it was started (command, environment, directory): restart() starts it again so.
    spawn: tuple[list[str], dict[str, str], Path] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def name(self) -> str:
        return f"{self.tier}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "tier": self.tier, "pid": self.pid, "port": self.port}

    def restart(self, workdir: Path) -> None:
        """Start it again, same command and port (after a kill; a live one is stopped)."""
        assert self.spawn is not None, f"{self.name} cannot be restarted"
        stop([self])
        command, env, cwd = self.spawn
        self.process = _spawn(self.tier, self.index, command, env, workdir, self.port, cwd).process


@dataclass
class Cluster:
    """The running layout: its members, the balancer's frontends and its admin socket."""

    members: list[Member]
    frontends: dict[str, int]  # tier -> the balancer's port for it
    stats_socket: Path
    router_secret: str
    workdir: Path

    def address(self, tier: str) -> str:
        """The one address of a tier: the router's and the subgraphs' end in /graphql."""
        base = f"http://127.0.0.1:{self.frontends[tier]}"
        return base if tier == "rest" else f"{base}/graphql"

    def tier(self, tier: str) -> list[Member]:
        return [m for m in self.members if m.tier == tier]

    def stats(self) -> list[haproxy.ServerStat]:
        return haproxy.stats(self.stats_socket)

    def server_status(self, member: Member) -> str:
        """The balancer's view of a member: UP, DOWN, ... (its checks)."""
        name = f"{member.tier}-{member.index}"
        return next(s.status for s in self.stats() if s.server == name)

    def wait_status(self, member: Member, status: str, timeout: float = 60) -> float:
        """Seconds until the balancer holds member in status (UP, DOWN)."""
        started = time.monotonic()
        _wait(lambda: self.server_status(member).startswith(status), f"{member.name} {status}",
              timeout)  # fmt: skip
        return time.monotonic() - started

    def restart(self, member: Member, timeout: float = 240) -> None:
        """Start a member again and wait until the balancer has it back in rotation."""
        member.restart(self.workdir)
        if member.port is not None:
            _wait_healthy(member, f"{member.url}{HEALTH.get(member.tier, '/health')}",
                          self.workdir)  # fmt: skip
            self.wait_status(member, "UP", timeout)

    def describe(self) -> dict[str, Any]:
        """What chaos and soak need: every process and every tier's address."""
        return {
            "addresses": {tier: self.address(tier) for tier in self.frontends},
            "processes": [m.describe() for m in self.members],
            "stats_socket": str(self.stats_socket),
            "check_bound_seconds": haproxy.DETECTION_BOUND_S,
            "hang_check_bound_seconds": haproxy.HANG_DETECTION_BOUND_S,
        }


def free_ports(n: int) -> list[int]:
    """n ports on 127.0.0.1 nothing listens on now, all held at once so they differ."""
    with ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(n)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


@contextmanager
def start(layout: Layout, env: Mapping[str, str], workdir: Path) -> Iterator[Cluster]:
    """The layout, running until the block ends (then every process is stopped). env: the
    servers' environment (DATABASE_URL, REDIS_URL, JWT_SECRET, ...; the database already
    migrated); the router secret is made here."""
    workdir.mkdir(parents=True, exist_ok=True)
    members: list[Member] = []
    try:
        cluster = _start(layout, env, workdir, members)
        yield cluster
    finally:
        stop(members)


def _start(layout: Layout, env: Mapping[str, str], workdir: Path, members: list[Member]) -> Cluster:
    router_secret = secrets.token_urlsafe(32)
    tiers = [*NAMES, "rest", "router"]
    front = dict(zip(tiers, free_ports(len(tiers)), strict=True))
    base = {**os.environ, **env, "CRMGRAPH_ROUTER_SECRET": router_secret,
            "CONSUMERS_IN_PROCESS": "false"}  # fmt: skip
    urls = {f"CRMGRAPH_{n.upper()}_URL": f"http://127.0.0.1:{front[n]}/graphql" for n in NAMES}
    cli = [sys.executable, "-m", "crmgraph.cli"]
    for name in NAMES:
        for i, port in enumerate(free_ports(layout.count(name)), start=1):
            command = [*cli, "serve", name, "--port", str(port)]
            members.append(_spawn(name, i, command, base, workdir, port))
    for i, port in enumerate(free_ports(layout.rest), start=1):
        members.append(_spawn("rest", i, [*cli, "serve", "--rest"],
                              {**base, "REST_PORT": str(port)}, workdir, port))  # fmt: skip
    for i in range(1, layout.workers + 1):
        # Several workers on one host: each health listener on a port of the kernel's choice.
        members.append(_spawn("worker", i, [*cli, "worker"],
                              {**base, "WORKER_HEALTH_PORT": "0"}, workdir))  # fmt: skip
    supergraph = workdir / "supergraph.graphql"
    subprocess.run(["node", "compose.mjs", "--out", str(supergraph)], cwd=ROUTER_DIR,
                   env={**base, **urls}, check=True, capture_output=True)  # fmt: skip
    router_env = {
        **base,
        **urls,
        "CRMGRAPH_SUPERGRAPH": str(supergraph),
        "CRMGRAPH_AUTH_URL": f"http://127.0.0.1:{front['rest']}/internal/introspect",
        # One Node process per router: the balancer spreads over routers, and a SIGKILL of
        # the pid is the whole router's death (no cluster workers left behind).
        "FORK": "1",
    }
    for i, port in enumerate(free_ports(layout.routers), start=1):
        command = [str(GATEWAY), "supergraph", str(supergraph), "--port", str(port)]
        members.append(_spawn("router", i, command, router_env, workdir, port, cwd=ROUTER_DIR))
    servers = {tier: [m.port for m in members if m.tier == tier and m.port] for tier in tiers}
    for member in members:
        if member.port is not None:
            health = HEALTH.get(member.tier, HEALTH["subgraph"])
            _wait_healthy(member, f"{member.url}{health}", workdir)
    balancer, stats_socket = balance(front, servers, workdir)
    members.append(Member("balancer", 1, balancer))
    cluster = Cluster(members, front, stats_socket, router_secret, workdir)
    return cluster


def _spawn(
    tier: str, index: int, command: list[str], env: Mapping[str, str], workdir: Path,
    port: int | None = None, cwd: Path = ROOT,
) -> Member:  # fmt: skip
    log = (workdir / f"{tier}-{index}.log").open("ab")
    process = subprocess.Popen(
        command, cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # a signal to the launcher's group does not reach them
    )  # fmt: skip
    return Member(tier, index, process, port, (command, dict(env), cwd))


def _wait_healthy(member: Member, url: str, workdir: Path) -> None:
    def ready() -> bool:
        if member.process.poll() is not None:
            log = (workdir / f"{member.name}.log").read_text()[-2000:]
            raise RuntimeError(f"{member.name} exited ({member.process.returncode}): {log}")
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    # A loaded machine (2 cores shared by several runs) takes minutes to start them all.
    _wait(ready, member.name, 240)


def balance(
    front: Mapping[str, int], servers: Mapping[str, list[int]], workdir: Path,
    timeout: float = 60,
) -> tuple[subprocess.Popen[bytes], Path]:  # fmt: skip
    """HAProxy with one address per tier (front: tier -> its port) over the tier's processes
    (servers: tier -> their ports on 127.0.0.1), checked at HEALTH; returns the balancer and
    its admin socket once every server is UP."""
    tiers = [
        haproxy.Tier(
            name=tier,
            port=port,
            health=HEALTH.get(tier, HEALTH["subgraph"]),
            servers=[("127.0.0.1", p) for p in servers.get(tier, [])],
            # Subscriptions hold a router (and, behind it, a subgraph) for their lifetime.
            balance="leastconn" if tier != "rest" else "roundrobin",
        )
        for tier, port in front.items()
    ]
    balancer, stats_socket = haproxy.start(tiers, workdir)

    def all_up() -> bool:
        if balancer.poll() is not None:
            log = (workdir / "haproxy.log").read_text()[-2000:]
            raise RuntimeError(f"haproxy exited ({balancer.returncode}): {log}")
        try:
            return all(s.status == "UP" for s in haproxy.stats(stats_socket))
        except OSError:
            return False

    try:
        _wait(all_up, "the balancer's checks of every server", timeout)
    except BaseException:
        balancer.terminate()
        raise
    return balancer, stats_socket


def _wait(ready: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def stop(members: list[Member]) -> None:
    """SIGTERM to all, then SIGKILL what is left after 10 s."""
    for member in members:
        if member.process.poll() is None:
            member.process.terminate()
    deadline = time.monotonic() + 10
    for member in members:
        try:
            member.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            member.process.kill()
            member.process.wait(timeout=10)
