"""The load balancer of the scale-out layout: HAProxy (Debian's haproxy package), one
frontend per tier on its own address, each balancing over that tier's processes with active
health checks. Also reads its per-server statistics from the admin socket (`show stat`).

Why HAProxy: it is the balancer deployments put in front of such tiers (and what a
Kubernetes Service or ingress does in its place), it speaks HTTP and WebSocket, checks
health actively and retries a refused connection elsewhere; a Python balancer would share
the interpreter's limits with the processes it measures.
"""

from __future__ import annotations

import csv
import io
import shutil
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Health checks: every CHECK_INTERVAL_MS, then FAST_INTERVAL_MS once one has failed; FALL
#: failed checks in a row take a server out, RISE good ones bring it back. A check may take
#: CHECK_TIMEOUT_MS: on a loaded 2-core machine (load 30) a 12-minute soak saw the only
#: deals process answer its health check (then /health, PostgreSQL, Redis and Neo4j; now
#: /readyz, PostgreSQL only) in over 1 s twice in a row; with a 1 s timeout the balancer
#: took it out and answered 503 for the tier.
CHECK_INTERVAL_MS = 1000
FAST_INTERVAL_MS = 250
CHECK_TIMEOUT_MS = 3000
FALL = 3
RISE = 2
#: How long after a SIGKILL the balancer has taken the process out at the latest: the wait
#: for the next check, then FALL - 1 fast ones (a killed process refuses at once).
DETECTION_BOUND_S = (CHECK_INTERVAL_MS + (FALL - 1) * FAST_INTERVAL_MS) / 1000
#: The same for a process that hangs (SIGSTOP, a stuck event loop): each check waits out
#: its timeout.
HANG_DETECTION_BOUND_S = DETECTION_BOUND_S + FALL * CHECK_TIMEOUT_MS / 1000


@dataclass(frozen=True)
class Tier:
    """A frontend (`name` on `port`) over the servers (host, port) of one tier; `health`:
    the path its checks GET (200 = in rotation)."""

    name: str
    port: int
    health: str
    servers: Sequence[tuple[str, int]]
    #: leastconn for long-lived connections (WebSocket subscriptions), else roundrobin.
    balance: str = "roundrobin"


def config(tiers: Sequence[Tier], stats_socket: Path) -> str:
    """haproxy.cfg for the tiers."""
    lines = [
        "global",
        # Two descriptors per connection must fit the usual open-file limit (20,000 here).
        "    maxconn 8000",
        f"    stats socket {stats_socket} mode 600 level admin",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        # Below the servers' 75 s keep-alive (README), so the balancer closes first.
        "    timeout client 70s",
        "    timeout server 70s",
        "    timeout http-keep-alive 5s",
        # A WebSocket, once upgraded, is a tunnel: subscriptions live for hours.
        "    timeout tunnel 1h",
        f"    timeout check {CHECK_TIMEOUT_MS}ms",
        # A refused connection (a dead process the checks have not noticed yet) is tried
        # again on another server. Only connection failures: a request that reached a server
        # is never sent twice (a mutation must not run twice).
        "    retries 3",
        "    option redispatch 1",
        f"    default-server check inter {CHECK_INTERVAL_MS}ms fastinter {FAST_INTERVAL_MS}ms"
        f" downinter {CHECK_INTERVAL_MS}ms fall {FALL} rise {RISE}",
    ]
    for tier in tiers:
        lines += [
            f"frontend {tier.name}",
            f"    bind 127.0.0.1:{tier.port}",
            f"    default_backend {tier.name}",
            f"backend {tier.name}",
            f"    balance {tier.balance}",
            f"    option httpchk GET {tier.health}",
            "    http-check expect status 200",
        ]
        lines += [
            f"    server {tier.name}-{i} {host}:{port}"
            for i, (host, port) in enumerate(tier.servers, start=1)
        ]
    return "\n".join(lines) + "\n"


def binary() -> str:
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("haproxy is not installed: apt-get install haproxy (Debian package)")
    return found


def start(tiers: Sequence[Tier], workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """HAProxy in the foreground (-db) with the tiers' config; returns it and its socket."""
    stats_socket = workdir / "haproxy.sock"
    cfg = workdir / "haproxy.cfg"
    cfg.write_text(config(tiers, stats_socket))
    check = subprocess.run([binary(), "-c", "-q", "-f", str(cfg)], capture_output=True)
    if check.returncode != 0:
        raise RuntimeError(f"haproxy config refused: {check.stderr.decode()}")
    log = (workdir / "haproxy.log").open("wb")
    process = subprocess.Popen(
        [binary(), "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT
    )
    return process, stats_socket


def command(stats_socket: Path, line: str) -> str:
    """One command on the admin socket, its whole answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(stats_socket))
        sock.sendall(line.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


@dataclass(frozen=True)
class ServerStat:
    """One server's line of `show stat`: its state (UP, DOWN, ...) and what it served."""

    tier: str
    server: str
    status: str
    sessions: int  # stot: connections (requests, in http mode) sent to it so far
    responses_2xx: int
    responses_5xx: int


def stats(stats_socket: Path) -> list[ServerStat]:
    """Every server of every backend (not the FRONTEND/BACKEND summary lines)."""
    text = command(stats_socket, "show stat").lstrip("# ")
    rows: list[Mapping[str, str]] = list(csv.DictReader(io.StringIO(text)))
    return [
        ServerStat(
            tier=row["pxname"],
            server=row["svname"],
            status=row["status"],
            sessions=int(row["stot"] or 0),
            responses_2xx=int(row["hrsp_2xx"] or 0),
            responses_5xx=int(row["hrsp_5xx"] or 0),
        )
        for row in rows
        if row.get("svname") not in (None, "FRONTEND", "BACKEND")
    ]
