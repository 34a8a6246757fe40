"""What the soak samples each interval: each process's resident memory, open sockets and TCP
connections to given ports (from /proc), Redis' connected clients (CLIENT LIST) and
PostgreSQL's backends (pg_stat_activity)."""

from __future__ import annotations

import os
from pathlib import Path


def rss_kb(pid: int) -> int:
    """Resident memory (VmRSS) in KiB; 0 for a process that is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _socket_inodes(pid: int) -> set[str]:
    """The inodes of the process's sockets (its /proc/<pid>/fd links `socket:[inode]`)."""
    found: set[str] = set()
    try:
        entries = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return found
    for fd in entries:
        try:
            link = os.readlink(fd)
        except OSError:  # closed while we looked
            continue
        if link.startswith("socket:["):
            found.add(link[8:-1])
    return found


def connections_to(pid: int, ports: dict[str, int]) -> dict[str, int]:
    """The process's TCP connections (any state but LISTEN) by the name of the remote port
    they go to: ports maps a name (postgres, redis) to a port; 0 each for a gone process."""
    counts = dict.fromkeys(ports, 0)
    inodes = _socket_inodes(pid)
    by_port = {port: name for name, port in ports.items()}
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local, remote (hex addr:port), state (0A = LISTEN), ..., inode (10th column)
            remote_port, state, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if state != "0A" and inode in inodes and remote_port in by_port:
                counts[by_port[remote_port]] += 1
    return counts


def open_sockets(pid: int) -> int:
    """File descriptors of the process that are sockets (TCP, unix; listening included)."""
    return len(_socket_inodes(pid))


class Shared:
    """Counts of the shared services' connections, through one connection to each held for
    the whole run (so that a crowded server cannot refuse the probe half way)."""

    def __init__(self, redis_url: str, database_url: str) -> None:
        from redis.asyncio import Redis
        from sqlalchemy.ext.asyncio import create_async_engine

        self.redis = Redis.from_url(redis_url)
        # The shared Redis of a development machine serves other runs too: count only the
        # clients on this run's database number (CLIENT LIST's db field).
        self.redis_db = int(self.redis.connection_pool.connection_kwargs.get("db") or 0)
        self.engine = create_async_engine(database_url, pool_size=1, max_overflow=0)

    async def redis_clients(self) -> int:
        """Connections to Redis on this run's database number now (CLIENT LIST), this
        probe's own not counted."""
        clients = await self.redis.client_list()
        return sum(int(c.get("db", -1)) == self.redis_db for c in clients) - 1

    async def postgres_backends(self) -> int:
        """Client backends connected to the database (pg_stat_activity), this probe's not
        counted."""
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            found = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
            )
        return int(found or 0)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()
