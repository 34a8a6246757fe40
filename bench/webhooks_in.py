"""`make bench-webhooks`: a sustained rate of signed Zoho webhooks into the REST shim.

A fresh database, one REST shim process running the outbox consumers (as `crmgraph serve
--rest` does by default), one registered Zoho organisation. An open-loop sender (asyncio +
httpx in this process: each body needs its own HMAC, which wrk's Lua has no library for)
starts request i at t0 + i/rate whether or not earlier ones have answered, each a distinct
CRM contact in 000's format. Timed per request: from its start to a correct 202 (status and
body checked, webhook_checks.check_answer). Per event: from that 202 to the moment a poller
(every POLL s) first sees its zoho_inbound_events row with processed_at set, i.e. the
mapper's transaction committed. At the end every contact must exist by zoho_id. Results go
to bench/results/<date>-<sha>-webhooks-in-<rate>rps.json. With --workers N the consumers
run in N `crmgraph worker` processes instead of the shim (-<N>workers in the file's name).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from report import RESULTS, commit  # bench/*.py: the script's directory is on sys.path
from run import ROOT, fresh_database, settings_for
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from webhook_checks import check_answer, contact_event, signed_headers, summary

from crmgraph.config import DEV_JWT_SECRET, Settings
from crmgraph.db.engine import create_engine
from crmgraph.db.scoping import Scope
from crmgraph.zoho import orgs

# BENCH_WEBHOOK_DATABASE: another name, so that two runs on shared services do not collide.
DATABASE = os.environ.get("BENCH_WEBHOOK_DATABASE", "crmgraph_bench_webhooks")
TENANT = "bench_webhooks"
ORG_ID = "bench-org-1"
POLL = 0.01  # seconds between looks for committed events: the commit times' resolution
SETTLE = 30.0  # seconds to wait after the load for the last events to commit
# The org's webhooks count against the api_integration tier (1,000/min by default): raised
# out of reach so the limiter still runs (its Redis round trip is in the figures).
RATE_LIMITS = json.dumps({"api_integration": {"requests_per_minute": 10**9,
                          "requests_per_hour": 10**9, "requests_per_day": 10**9,
                          "burst_limit": 10**9}})  # fmt: skip


async def prepare(settings: Settings, admin_url: str, secret: str) -> None:
    """An empty database with one Zoho organisation registered, signing with secret."""
    await fresh_database(settings, admin_url)
    engine = create_engine(settings)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await orgs.add_org(session, scope=Scope(tenant_id=TENANT), org_id=ORG_ID,
                               secret=secret)  # fmt: skip
    finally:
        await engine.dispose()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process pid so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backends(settings: Settings) -> list[int]:
    """The process ids of the PostgreSQL backends connected to the bench database."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            query = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                     " AND pid <> pg_backend_pid()")  # fmt: skip
            return [int(pid) for pid in (await conn.scalars(text(query))).all()]
    finally:
        await engine.dispose()


def cpu_of(pids: list[int]) -> dict[int, float]:
    """cpu_seconds of each of pids still running (PostgreSQL runs on this machine)."""
    found: dict[int, float] = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


async def transactions(settings: Settings) -> int:
    """Transactions committed in the bench database so far (pg_stat_database)."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            query = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            return int(await conn.scalar(text(query)))
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Run:
    """One load run: the sender's and the poller's records."""

    def __init__(self, url: str, secret: str, rate: float, seconds: float) -> None:
        self.url, self.secret, self.rate, self.seconds = url, secret, rate, seconds
        self.tag = secrets.token_hex(4)
        self.acks: list[float] = []
        self.acked_at: dict[str, float] = {}  # stored event id -> time of its 202
        self.committed: dict[str, float] = {}  # stored event id -> time first seen committed
        self.zoho_ids: list[str] = []
        self.wrong: list[str] = []
        self.lag = 0.0  # how late the sender started a request, at most

    async def send(self, client: httpx.AsyncClient, n: int, due: float) -> None:
        zoho_id, body = contact_event(ORG_ID, n, self.tag)
        self.zoho_ids.append(zoho_id)
        headers = signed_headers(ORG_ID, self.secret, body)
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        self.lag = max(self.lag, time.monotonic() - due)
        started = time.monotonic()
        try:
            answer = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.wrong.append(f"{zoho_id}: {exc!r}")
            return
        now = time.monotonic()
        event_id = check_answer(answer.status_code, answer.content, zoho_id)
        if event_id is None:
            self.wrong.append(f"{zoho_id}: {answer.status_code} {answer.text[:300]}")
            return
        self.acks.append(now - started)
        self.acked_at[event_id] = now

    async def poll(self, engine: Any, done: asyncio.Event) -> None:
        query = text("SELECT id::text FROM zoho_inbound_events WHERE processed_at IS NOT NULL"
                     " AND id = ANY(CAST(:ids AS uuid[]))")  # fmt: skip
        while True:
            pending = [i for i in self.acked_at if i not in self.committed]
            if pending:
                async with engine.connect() as conn:
                    rows = await conn.execute(query, {"ids": pending})
                    now = time.monotonic()
                    for (event_id,) in rows:
                        self.committed[event_id] = now
            elif done.is_set():
                return
            await asyncio.sleep(POLL)

    async def go(self, settings: Settings) -> dict[str, Any]:
        engine = create_engine(settings)
        total = int(self.rate * self.seconds)
        done = asyncio.Event()
        poller = asyncio.create_task(self.poll(engine, done))
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            t0 = time.monotonic() + 0.5
            await asyncio.gather(*(self.send(client, n, t0 + n / self.rate)
                                   for n in range(total)))  # fmt: skip
            duration = time.monotonic() - t0
        done.set()
        try:
            await asyncio.wait_for(asyncio.shield(poller), SETTLE)
        except TimeoutError:
            poller.cancel()
        async with engine.connect() as conn:
            contacts = await conn.scalar(
                text("SELECT count(*) FROM contacts WHERE tenant_id = :t"
                     " AND zoho_id = ANY(:ids)"), {"t": TENANT, "ids": self.zoho_ids})  # fmt: skip
        await engine.dispose()
        commits = [self.committed[i] - at for i, at in self.acked_at.items() if i in self.committed]
        result = summary(total, self.acks, commits, len(self.wrong),
                         len(self.acked_at) - len(commits), duration)  # fmt: skip
        result["contacts_committed"] = contacts
        result["passed"] = result["passed"] and contacts == total
        result["sender_max_lag_ms"] = round(self.lag * 1000, 1)
        result["first_wrong"] = self.wrong[:3]
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="of sustained load")
    parser.add_argument(
        "--workers", type=int, default=0, help="run the consumers in N `crmgraph worker` processes"
    )
    args = parser.parse_args()
    measured = commit()  # before anything is written into the tree
    settings = settings_for(DATABASE)
    secret = secrets.token_hex(24)
    asyncio.run(prepare(settings, os.environ["DATABASE_URL"], secret))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "JWT_SECRET": DEV_JWT_SECRET,
           "REST_PORT": str(port), "CRMGRAPH_RATE_LIMITS": RATE_LIMITS,
           "CONSUMERS_IN_PROCESS": "false" if args.workers else "true"}  # fmt: skip
    logs = ROOT / ".run" / "bench" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    shim = subprocess.Popen([sys.executable, "-m", "crmgraph.cli", "serve", "--rest"], env=env,
                            cwd=ROOT, stdout=(logs / "webhooks-rest.log").open("wb"),
                            stderr=subprocess.STDOUT)  # fmt: skip
    # Several workers on one host: each its own probe port (WORKER_HEALTH_PORT=0).
    workers = [subprocess.Popen([sys.executable, "-m", "crmgraph.cli", "worker"],
                                env={**env, "WORKER_HEALTH_PORT": "0"},
                                cwd=ROOT, stdout=(logs / f"webhooks-worker{i}.log").open("wb"),
                                stderr=subprocess.STDOUT)
               for i in range(args.workers)]  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or shim.poll() is not None:
                raise RuntimeError(f"the REST shim did not start; see {logs}/webhooks-rest.log")
            time.sleep(0.2)
        run = Run(f"{base}/webhooks/zoho/crm", secret, args.rate, args.seconds)
        load_before, cpu_before = os.getloadavg(), cpu_seconds(shim.pid)
        workers_before = sum(cpu_seconds(w.pid) for w in workers)
        postgres_before = cpu_of(asyncio.run(backends(settings)))
        commits_before = asyncio.run(transactions(settings))
        result = asyncio.run(run.go(settings))
        workers_cpu = sum(cpu_seconds(w.pid) for w in workers) - workers_before
        # Backends that were there before count from then, new ones (pools growing) whole.
        postgres_cpu = sum(
            cpu - postgres_before.get(pid, 0.0)
            for pid, cpu in cpu_of(asyncio.run(backends(settings))).items()
        )
        # Per delivery: the shim's CPU (202 path and, by default, the consumers) and the
        # database's committed transactions (each consumer batch is one, an empty claim too;
        # the poller's reads roll back and are not counted).
        result["shim_cpu_ms_per_delivery"] = round(
            (cpu_seconds(shim.pid) - cpu_before) * 1000 / max(result["correct"], 1), 2
        )
        # CPU per delivery of each kind of process: the sum over the machine's share of it.
        result["cpu_ms_per_delivery"] = {
            name: round(seconds * 1000 / max(result["correct"], 1), 2)
            for name, seconds in (("shim", cpu_seconds(shim.pid) - cpu_before),
                                  ("workers", workers_cpu), ("postgres", postgres_cpu))
        }  # fmt: skip
        time.sleep(2)  # backends report their counts to pg_stat_database within about 1 s
        result["commits_per_delivery"] = round(
            (asyncio.run(transactions(settings)) - commits_before) / max(result["correct"], 1), 2
        )
        result["loadavg_before"] = [round(x, 2) for x in load_before]
        result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        for process in (shim, *workers):
            process.terminate()
        for process in (shim, *workers):
            process.wait(timeout=15)
    result.update(rate=args.rate, seconds=args.seconds, workers=args.workers, commit=measured,
                  poll_ms=POLL * 1000, machine={"cores": os.cpu_count(),
                  "note": "sender, shim, PostgreSQL and Redis share the machine"})  # fmt: skip
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    sha = measured["sha"][:7] + ("-dirty" if measured["dirty"] else "")
    split = f"-{args.workers}workers" if args.workers else ""
    path = RESULTS / f"{time.strftime('%Y-%m-%d')}-{sha}-webhooks-in-{args.rate:g}rps{split}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"bench: {path}", file=sys.stderr)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
