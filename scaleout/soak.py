"""`make soak`: the scale-out layout under a steady load for a long time, sampled each
minute; fails on memory growth or connection growth after warm-up (scaleout.verdict).

    python -m scaleout.soak --minutes 30 --subscribers 200 --rate 10

Holds `--subscribers` graphql-ws subscriptions (dealStageChanged through the router's one
address) while `--rate` queries and mutations a second (one in five a mutation that moves a
deal, which every subscriber receives) go through the same address. Writes the samples to
.run/soak/<time>-<commit>.json and prints them as a table. Needs DATABASE_URL (its server:
the soak makes its own database, crmgraph_soak), REDIS_URL, NEO4J_*.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scaleout import probe
from scaleout.layout import ROOT, Cluster, Layout, start
from scaleout.load import Load
from scaleout.verdict import Sample, failures, per_process, table

DATABASE = "crmgraph_soak"


def warmup_samples(minutes: float, interval: float) -> int:
    """Intervals of warm-up: a fifth of the run, at least one, at most five minutes."""
    total = int(minutes * 60 // interval)
    return max(1, min(total // 5, int(300 // interval)))


async def fresh_database(url: str) -> str:
    """DATABASE dropped, created and migrated on url's server; its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from crmgraph.config import Settings
    from crmgraph.db.migrate import upgrade

    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    await admin.dispose()
    soak_url = make_url(url).set(database=DATABASE).render_as_string(hide_password=False)
    await upgrade(Settings(database_url=soak_url))
    return soak_url


def service_ports(env: dict[str, str]) -> dict[str, int]:
    """The ports of PostgreSQL and Redis (from DATABASE_URL and REDIS_URL): each process's
    connections to them are counted."""
    from urllib.parse import urlsplit

    return {"postgres": urlsplit(env["DATABASE_URL"]).port or 5432,
            "redis": urlsplit(env["REDIS_URL"]).port or 6379}  # fmt: skip


async def sample(
    cluster: Cluster, load: Load, shared: probe.Shared, started: float, ports: dict[str, int]
) -> Sample:
    members = cluster.members
    return Sample(
        minute=round((time.monotonic() - started) / 60, 2),
        rss_kb={m.name: probe.rss_kb(m.pid) for m in members},
        sockets={m.name: probe.open_sockets(m.pid) for m in members},
        connections={m.name: probe.connections_to(m.pid, ports) for m in members},
        redis_clients=await shared.redis_clients(),
        postgres_backends=await shared.postgres_backends(),
        subscribers=load.connected,
        events=load.events,
        requests=load.requests,
        errors=load.errors,
    )


async def soak(
    cluster: Cluster, env: dict[str, str], args: argparse.Namespace
) -> tuple[list[Sample], list[str]]:
    shared = probe.Shared(env["REDIS_URL"], env["DATABASE_URL"])
    await shared.postgres_backends()  # its connection, before the load takes them all
    load = Load(cluster.address("router"), env["JWT_SECRET"], rate=args.rate)
    await load.prepare()
    await load.subscribe(args.subscribers)
    started = time.monotonic()
    running = asyncio.create_task(load.run())
    samples = []
    ports = service_ports(env)
    try:
        for n in range(int(args.minutes * 60 // args.interval) + 1):
            if n:
                await asyncio.sleep(started + n * args.interval - time.monotonic())
            samples.append(await sample(cluster, load, shared, started, ports))
            print(table(samples).splitlines()[-1], file=sys.stderr, flush=True)
    finally:
        load.stop()
        await running
        await load.close()
        await shared.close()
    return samples, load.error_samples


def redis_database(url: str, db: int) -> str:
    """url with its database number set to db (redis://host:port/db)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def commit() -> str:
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    return sha + ("-dirty" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scaleout.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="queries+mutations a second")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--routers", type=int, default=2)
    parser.add_argument("--processes", type=int, default=1, help="of each subgraph")
    parser.add_argument("--rest", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / ".run" / "soak")
    parser.add_argument(
        "--redis-db",
        type=int,
        default=13,
        help="the Redis database number the layout uses: its clients are counted",
    )
    args = parser.parse_args(argv)
    measured, load_before = commit(), os.getloadavg()
    # Fresh secrets for this run unless given (Settings, here and in the servers, read them).
    os.environ["JWT_SECRET"] = os.environ.get("JWT_SECRET") or os.urandom(32).hex()
    os.environ["CRMGRAPH_SECRETS_KEY"] = os.environ.get("CRMGRAPH_SECRETS_KEY") or _fernet_key()
    env = {
        **os.environ,
        "DATABASE_URL": asyncio.run(fresh_database(os.environ["DATABASE_URL"])),
        "REDIS_URL": redis_database(os.environ["REDIS_URL"], args.redis_db),
        "CRMGRAPH_RATE_LIMITS_ENABLED": "false",  # one client; the limits are not under test
        # Small pools: the PostgreSQL a development machine shares (max_connections 100 by
        # default) has room for the layout's dozen processes.
        "DB_POOL_SIZE": os.environ.get("DB_POOL_SIZE", "2"),
    }
    layout = Layout(routers=args.routers, processes=args.processes, rest=args.rest,
                    workers=args.workers)  # fmt: skip
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    with start(layout, env, args.out / f"{stamp}-layout") as cluster:
        samples, errors = asyncio.run(soak(cluster, env, args))
    warmup = warmup_samples(args.minutes, args.interval)
    failed = failures(samples, warmup)
    report: dict[str, Any] = {
        "commit": measured,
        "load_average_before": load_before,
        "cores": os.cpu_count(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "db_pool_size": env["DB_POOL_SIZE"],
        "warmup_samples": warmup,
        "samples": [s.row() for s in samples],
        "failures": failed,
        "per_process": per_process(samples, warmup),
        "first_errors": errors,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{stamp}-{measured}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(samples))
    print(f"warm-up: {warmup} interval(s); report: {path}")
    print("".join(f"error: {e}\n" for e in errors), end="")
    print("\n".join(failed) if failed else "flat: no memory or connection growth after warm-up")
    return 1 if failed else 0


def _fernet_key() -> str:
    from crmgraph.secrets_at_rest import new_key

    return new_key()


if __name__ == "__main__":
    sys.exit(main())
