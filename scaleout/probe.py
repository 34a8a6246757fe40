"""What the soak samples each interval: each process's resident memory and open sockets
(from /proc), Redis' connected clients (CLIENT LIST) and PostgreSQL's backends
(pg_stat_activity)."""

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


def open_sockets(pid: int) -> int:
    """File descriptors of the process that are sockets (TCP, unix; listening included)."""
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    try:
        entries = list(fds.iterdir())
    except OSError:
        return 0
    for fd in entries:
        try:
            if os.readlink(fd).startswith("socket:"):
                count += 1
        except OSError:  # closed while we looked
            continue
    return count


async def redis_clients(url: str) -> int:
    """Connections Redis has open now (CLIENT LIST), this probe's own not counted."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        return len(await client.client_list()) - 1
    finally:
        await client.aclose()


async def postgres_backends(url: str) -> int:
    """Client backends connected to url's database (pg_stat_activity), this probe's not
    counted."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await engine.dispose()
    return int(found or 0)
