"""`make chaos` (`python -m bench.chaos`): its own full stack on private services, a steady
mixed load for --seconds while a seeded fault schedule acts, then the checker and the report
(text, and JSON in --report). Exits 1 on any loss or duplicate, 2 when the run itself failed.
README.md, Reliability, says what each check proves."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.chaos import checker, report
from bench.chaos.faults import KINDS, Injector, Service, schedule
from bench.chaos.load import Load
from bench.chaos.services import ChaosNeo4j, PrivatePostgres, PrivateRedis
from bench.chaos.stack import ROOT, ChaosStack
from bench.chaos.world import TENANT, make_world
from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.secrets_at_rest import new_key

UNLIMITED = {
    "requests_per_minute": 10**9,
    "requests_per_hour": 10**9,
    "requests_per_day": 10**9,
    "burst_limit": 10**9,
}
SETTLE_SECONDS = 1200.0  # at most, after the load, for the consumers to catch up
STALL_SECONDS = 90.0  # ... and no longer than this without one more delivery handled
WRITERS = 4
SUBSCRIBERS = 3


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--seconds", type=float, default=300.0, help="load time [300]")
    parser.add_argument("--faults", type=int, default=20, help="faults injected [20]")
    parser.add_argument("--seed", type=int, default=17, help="the schedule's and load's seed")
    parser.add_argument("--kinds", default="", help="only these, e.g. kill:worker,outage:redis")
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="processes of every tier; above 1, the scale-out layout behind HAProxy [1]",
    )
    parser.add_argument("--report", type=Path, default=ROOT / ".run/chaos/report.json")
    return parser.parse_args(argv)


def kinds_of(text: str) -> list[tuple[str, str]]:
    if not text:
        return KINDS
    chosen = [tuple(part.split(":", 1)) for part in text.split(",")]
    unknown = [c for c in chosen if c not in KINDS]
    if unknown:
        raise SystemExit(f"unknown fault kinds {unknown}; known: {KINDS}")
    return chosen  # type: ignore[return-value]


def environment(pg: PrivatePostgres, redis: PrivateRedis, neo4j: ChaosNeo4j) -> dict[str, str]:
    """The stack's environment: the private services, fresh secrets, no limiter in the way."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "NEO4J_URI"}
    }
    return {
        **base,
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        "NEO4J_URI": neo4j.uri,
        "NEO4J_USER": "neo4j",
        "NEO4J_PASSWORD": "chaos-no-auth",
        "JWT_SECRET": secrets.token_urlsafe(32),
        "CRMGRAPH_ROUTER_SECRET": secrets.token_urlsafe(32),
        "CRMGRAPH_SECRETS_KEY": new_key(),
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_LEASE_SLACK_SECONDS": "5",
        "CRMGRAPH_RATE_LIMITS": json.dumps(
            {"authenticated_user": UNLIMITED, "api_integration": UNLIMITED}
        ),
    }


async def settle(settings: Settings) -> tuple[float, int]:
    """Until no outbox delivery and no webhook job of the tenant is left, or none has been
    handled for STALL_SECONDS (or SETTLE_SECONDS in all): (seconds taken, how many left).
    Progress, not a fixed time: the Neo4j projection caught up at about 4 events a second
    after an outage at a load average of 32."""
    from sqlalchemy import text

    engine = create_engine(settings)
    started = last_progress = time.monotonic()
    left = best = -1
    sql = text("SELECT (SELECT count(*) FROM outbox_deliveries d JOIN outbox_events o ON"
               " o.id = d.outbox_id WHERE o.tenant_id = :t AND d.state = 'pending')"
               " + (SELECT count(*) FROM webhook_jobs WHERE tenant_id = :t)")  # fmt: skip
    try:
        while True:
            now = time.monotonic()
            if now - started > SETTLE_SECONDS or now - last_progress > STALL_SECONDS:
                break
            try:
                async with engine.connect() as conn:
                    left = int(await conn.scalar(sql, {"t": TENANT}) or 0)
            except Exception:  # PostgreSQL may still be coming back
                left = -1
            if left == 0:
                break
            if left > 0 and (best < 0 or left < best):
                best, last_progress = left, now
            await asyncio.sleep(1)
    finally:
        await engine.dispose()
    return time.monotonic() - started, left


def measured() -> dict[str, str]:
    """What the report says the run measured: the commit and the machine's load before."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, capture_output=True
    ).stdout.strip()
    return {"commit": commit, "load_before": Path("/proc/loadavg").read_text()[:15].strip()}


async def run(args: argparse.Namespace, before: dict[str, str]) -> int:
    workdir = ROOT / ".run" / "chaos" / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    pg, redis, neo4j = PrivatePostgres(workdir), PrivateRedis(workdir), ChaosNeo4j(workdir)
    stack: ChaosStack | None = None
    faults = schedule(args.seconds, args.faults, args.seed, kinds_of(args.kinds), args.copies)
    planned = ", ".join(f"+{f.at}s {f.kind} {f.member or f.target}" for f in faults) or "none"
    print(f"chaos: fault schedule (seed {args.seed}): {planned}", flush=True)
    try:
        print(f"chaos: starting PostgreSQL, Redis and Neo4j under {workdir}", flush=True)
        await asyncio.gather(
            asyncio.to_thread(pg.init),
            asyncio.to_thread(redis.start),
            asyncio.to_thread(neo4j.start),
        )
        env = environment(pg, redis, neo4j)
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "crmgraph.cli", "migrate"],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        stack = ChaosStack(env, workdir, args.copies)
        stack.build()
        print(f"chaos: starting {args.copies} of each subgraph, REST shim, router and worker",
              flush=True)  # fmt: skip
        await asyncio.to_thread(stack.start)
        settings = Settings(
            database_url=pg.url,
            jwt_secret=env["JWT_SECRET"],
            secrets_key=env["CRMGRAPH_SECRETS_KEY"],
        )
        token = issue_token(
            settings,
            tenant_id=TENANT,
            subject=f"dev:{TENANT}",
            roles=("tenant_admin",),
            ttl=timedelta(days=1),
        )
        world = await asyncio.to_thread(make_world, stack.router_url, stack.rest_url, token, env)
        load = Load(
            stack.router_url,
            stack.ws_url,
            stack.rest_url,
            token,
            world,
            args.seed,
            run=f"r{int(time.time())}",
        )
        services: dict[str, Service] = {"postgres": pg, "redis": redis, "neo4j": neo4j}
        supervisor = asyncio.create_task(stack.supervise())
        print(f"chaos: load for {args.seconds:.0f} s", flush=True)
        started = time.monotonic()
        subscribers = [asyncio.create_task(load.subscriber(n)) for n in range(SUBSCRIBERS)]
        workers = [asyncio.create_task(load.writer()) for _ in range(WRITERS)]
        workers += [asyncio.create_task(load.reader()), asyncio.create_task(load.zoho())]
        injector = asyncio.create_task(Injector(stack, services).run(faults, started, load.stop))
        await asyncio.sleep(args.seconds)
        load.stop.set()
        await asyncio.gather(*workers, return_exceptions=True)
        await injector  # a fault under way finishes: what it stopped comes back
        took, left = await settle(settings)
        print(f"chaos: load over; after {took:.1f} s, {left} deliveries left", flush=True)
        await asyncio.sleep(3)  # the last publications reach the subscribers
        load.unsubscribe.set()
        await asyncio.gather(*subscribers, return_exceptions=True)
        supervisor.cancel()
        engine = create_engine(settings)
        sessions = create_session_factory(engine)
        try:
            checks = [
                await checker.guarded("mutations_persisted",
                                      checker.mutations_persisted(sessions, load.ledger)),
                await checker.guarded("zoho_mapped_once",
                                      checker.zoho_mapped_once(sessions, load.ledger)),
                await checker.guarded("subscribers_reached",
                                      checker.subscribers_reached(sessions, load.ledger, faults)),
                await checker.guarded("neo4j_projection",
                                      checker.projection_equal(sessions, neo4j.uri)),
                await checker.guarded("outbound_deliveries",
                                      checker.deliveries_done(sessions, world)),
                await checker.guarded("automation_once", checker.automation_once(sessions)),
                await checker.guarded("outbox_drained", checker.consumers_drained(sessions)),
            ]  # fmt: skip
        finally:
            await engine.dispose()
        meta: dict[str, Any] = {
            "seconds": args.seconds,
            "seed": args.seed,
            "copies": args.copies,
            **before,
            "settle_seconds": took,
            "restarts": {n: m.starts - 1 for n, m in stack.processes.items()},
            "workdir": str(workdir),
        }
        built = report.build(load.ledger, faults, checks, meta)
        report.write(built, args.report)
        (workdir / "ledger.json").write_text(json.dumps(load.ledger.as_json(), default=str))
        print(report.text(built), flush=True)
        print(f"chaos: report in {args.report}", flush=True)
        if built["unchecked"]:
            return 2
        return 1 if built["lost"] or built["duplicated"] else 0
    finally:
        if stack is not None:
            stack.stop()
        for stop in (redis.stop, neo4j.stop, lambda: pg.stop("fast")):
            with contextlib.suppress(Exception):
                stop()


def main(argv: list[str] | None = None) -> int:
    # The Neo4j driver logs each refused connection while a server starts or is down.
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    return asyncio.run(_stoppable(run(parse(argv), measured())))


async def _stoppable(job: Coroutine[Any, Any, int]) -> int:
    """SIGTERM or SIGINT cancels the run, so its finally stops what it started: the
    processes live in sessions of their own and would outlive it."""
    task = asyncio.ensure_future(job)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        print("chaos: stopped by a signal; everything it started is stopped", flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
