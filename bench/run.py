"""`make bench`: the full stack (PostgreSQL, Redis, Neo4j, one process per subgraph, Hive
Gateway) on a generated data set, loaded by wrk at several concurrency levels.

Every answer is checked (bench/answers.py, bench/graphql.lua): req/s counts correct answers
only, and a run with any wrong answer or error exits non-zero and names the failing points.
Results go to bench/results/<date>-<sha>.json (a list "results" of {operation, target,
concurrency, rps, p50_ms, p95_ms, p99_ms, errors, ...}, medians of the repetitions, with the
commit measured) and a Markdown table beside it. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import report
from answers import (
    WrongAnswer,
    agree,
    fetch_answers,
)  # bench/*.py: the script's directory is on sys.path
from load import WrkRun, run_wrk, write_answers
from processes import PG_DIR, cpu_rate, node, only_running, terminate, wait_quiet
from report import Result, summarize
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from crmgraph import native_router
from crmgraph.auth.tokens import issue_token
from crmgraph.config import DEV_JWT_SECRET, Settings
from crmgraph.dataset import load
from crmgraph.db.engine import create_engine
from crmgraph.db.migrate import upgrade
from crmgraph.secrets_at_rest import new_key
from subgraphs.registry import PORTS

ROOT = Path(__file__).resolve().parents[1]
PORT_OFFSET = 20000  # away from `make run` and the tests
TENANT = "bench00"
# The router's per-caller limits (1,000/min by default) would turn a load test into 429s;
# raise them out of reach so the limiter still runs (its Redis round trips are counted).
BENCH_RATE_LIMITS = json.dumps(
    {
        "authenticated_user": {
            "requests_per_minute": 10**9,
            "requests_per_hour": 10**9,
            "requests_per_day": 10**9,
            "burst_limit": 10**9,
        }
    }
)
PIDS: dict[str, int] = {}  # process ids of the running stack, by subgraph name and "router"
# The processes of each part of the stack, by subgraph name, "router" and peer: while a
# target is measured only the parts that serve it run (SERVES), the others are stopped.
GROUPS: dict[str, list[int]] = {}
# Subgraphs take requests only from the router (issue 11): the router and a direct call
# (the `subgraph` target, fetch_answers and wrk) share this per-run secret.
ROUTER_SECRET = secrets.token_urlsafe(32)
ROUTER_SECRET_HEADER = "x-router-secret"
WARMUP_CONCURRENCY = 8

DEAL_BY_ID = "query($id: ID!) { deal(id: $id) { id title value stage probability } }"
DEALS_PAGE = """{ deals(first: 50) { edges { node { title value stage
  contact { fullName email account { name } } account { name industry } } } } }"""
COMPLEX = """{ deals(filter: { value: { gte: 10000, lte: 100000 }
  stage: { in: ["qualification", "proposal"] }
  expectedCloseDate: { gte: "2025-01-01", lte: "2025-06-30" }
  account: { industry: { eq: "Technology" } } }
  sort: { field: VALUE, direction: DESC } pagination: { first: 20 }) {
  edges { node { id title value stage expectedCloseDate contact { fullName email company }
  account { name industry } activities(first: 5) { edges { node {
  ... on Task { title dueDate isOverdue } ... on Event { title startTime duration } } } } }
  cursor } pageInfo { hasNextPage endCursor } totalCount } }"""
# PostGraphile 5 (amber preset) names: allDeals with condition/orderBy, rowId for the uuid
# column (id is its global Node id), relations from the foreign keys (…ByContactId).
# Tenant filtering through `condition`, as ours filter through the token's tenant.
PG_DEAL_BY_ID = """query($id: UUID!) { allDeals(condition: { rowId: $id, tenantId: "bench00" }
  first: 1) { nodes { rowId title value probability pipelineStageByStageId { name } } } }"""
PG_DEALS_PAGE = """{ allDeals(first: 50, condition: { tenantId: "bench00" }
  orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { title value
  pipelineStageByStageId { name }
  contactByContactId { firstName lastName email accountByAccountId { name } }
  accountByAccountId { name industry } } } }"""
NATIVE_PORT = 4100 + PORT_OFFSET  # Hive Router, the `native` target
PEERS = {"postgraphile", "sql"}  # side-by-side targets; they answer these operations only
PEER_OPERATIONS = {"deal_by_id", "deals_page_50"}
SQL_PATHS = {"deal_by_id": "/deal", "deals_page_50": "/deals"}
PG_PORT = 5000 + PORT_OFFSET
SQL_PORT = 6000 + PORT_OFFSET
OVERVIEW = """query($id: ID!) { customerOverview(customerId: $id) { contact { fullName }
  account { name } deals { title value } totalValue lastInteraction } }"""


def settings_for(database: str) -> Settings:
    env = os.environ
    # Stored secrets' key: the processes started here inherit it.
    env.setdefault("CRMGRAPH_SECRETS_KEY", new_key())
    url = make_url(env["DATABASE_URL"]).set(database=database)
    return Settings(
        database_url=url.render_as_string(hide_password=False),
        redis_url=env["REDIS_URL"],
        neo4j_uri=env["NEO4J_URI"],
        neo4j_password=env["NEO4J_PASSWORD"],
        jwt_secret=DEV_JWT_SECRET,
    )


async def fresh_database(settings: Settings, admin_url: str) -> None:
    """settings' database dropped, created again and migrated to the head."""
    name = make_url(settings.database_url).database
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    await upgrade(settings)


async def prepare(settings: Settings, admin_url: str, scale: float) -> dict[str, Any]:
    """A fresh database with the data set; returns ids to query."""
    await fresh_database(settings, admin_url)
    engine = create_engine(settings)
    try:
        report = await load(engine, scale=scale, seed=42)
        print(
            f"data set: {sum(report.rows.values()):,} rows in {report.seconds:.1f} s "
            f"({report.rows_per_second:,.0f} rows/s)",
            file=sys.stderr,
        )
        async with engine.connect() as conn:
            deals = [
                str(r[0])
                for r in await conn.execute(
                    text("SELECT id FROM deals WHERE tenant_id = :t LIMIT 500"), {"t": TENANT}
                )
            ]
            contacts = [
                str(r[0])
                for r in await conn.execute(
                    text("SELECT contact_id FROM deals WHERE tenant_id = :t LIMIT 500"),
                    {"t": TENANT},
                )
            ]
            stages = [
                (str(r[0]), str(r[1]), str(r[2]), str(r[3]))
                for r in await conn.execute(
                    text(
                        "SELECT d.id, s.id, d.pipeline_id, d.stage_id FROM deals d"
                        " JOIN pipeline_stages s"
                        " ON s.pipeline_id = d.pipeline_id WHERE d.tenant_id = :t"
                        " AND s.id <> d.stage_id AND d.status = 'ACTIVE'"
                        " AND s.probability BETWEEN 1 AND 99 ORDER BY d.id, s.position"
                        " LIMIT 2000"
                    ),
                    {"t": TENANT},
                )
            ]
    finally:
        await engine.dispose()
    return {
        "deals": deals,
        "contacts": contacts,
        "moves": [f"{d} {s}" for d, s, _, _ in stages],
        "pipeline_of": {d: p for d, _, p, _ in stages},
        "stage_of": {d: c for d, _, _, c in stages},
    }


@contextmanager
def stack(
    settings: Settings,
    workdir: Path,
    peers: Collection[str] = (),
    workers: dict[str, int] | None = None,
    peer_workers: int = 1,
    native: bool = False,
) -> Iterator[dict[str, str]]:
    """One process per subgraph (workers: more for some, sharing the port with
    SO_REUSEPORT) plus the router, and the requested peers (postgraphile, sql) with
    peer_workers worker processes each; yields the URLs. The processes started here are
    the ones GROUPS lists."""
    workers = workers or {}
    names: list[str] = []
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "JWT_SECRET": DEV_JWT_SECRET,
        "REST_PORT": str(8000 + PORT_OFFSET),
        "CRMGRAPH_ROUTER_SECRET": ROUTER_SECRET,
        # As deployed (docker-compose.yml, deploy/values.yaml): the outbox consumers run in
        # one `crmgraph worker`, not in every server process, where each would poll the
        # outbox and the webhook jobs on its own (about 17 % of a core per process at rest).
        "CONSUMERS_IN_PROCESS": "false",
        "WORKER_HEALTH_PORT": "0",
    }
    procs: list[subprocess.Popen[bytes]] = []
    urls = {}
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        for name, port in PORTS.items():
            sub_env = {**env, f"{name.upper()}_PORT": str(port + PORT_OFFSET)}
            command = [sys.executable, "-m", "crmgraph.cli", "serve", name]
            command += ["--port", str(port + PORT_OFFSET)]
            count = workers.get(name, 1)
            for n in range(count):
                procs.append(
                    subprocess.Popen(
                        command + (["--reuse-port"] if count > 1 else []),
                        env=sub_env,
                        cwd=ROOT,
                        stdout=(logs / f"{name}{'' if n == 0 else n + 1}.log").open("wb"),
                        stderr=subprocess.STDOUT,
                    )
                )
                names.append(name if n == 0 else f"{name}{n + 1}")
                GROUPS.setdefault(name, []).append(procs[-1].pid)
            urls[name] = f"http://127.0.0.1:{port + PORT_OFFSET}/graphql"
        supergraph = workdir / "supergraph.graphql"
        sub_urls = {f"CRMGRAPH_{n.upper()}_URL": u for n, u in urls.items()}
        subprocess.run(
            [str(node()), "compose.mjs", "--out", str(supergraph)],
            cwd=ROOT / "router-config",
            env={**env, **sub_urls},
            check=True,
            capture_output=True,
        )
        # The REST shim tells the router who a caller is (verified identity for the rate
        # limits, cached 5 s per credential): measured with the router, as deployed.
        rest_url = f"http://127.0.0.1:{8000 + PORT_OFFSET}"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "crmgraph.cli", "serve", "--rest"],
                env=env,
                cwd=ROOT,
                stdout=(logs / "rest.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        rest_pid = procs[-1].pid
        _wait(f"{rest_url}/health")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "crmgraph.cli", "worker"],
                env=env,
                cwd=ROOT,
                stdout=(logs / "worker.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        worker_pid = procs[-1].pid
        router_port = 4000 + PORT_OFFSET
        procs.append(
            subprocess.Popen(
                [
                    # The same Node binary as PostGraphile's (processes.node), not the PATH's.
                    str(node()),
                    str(ROOT / "router-config/node_modules/@graphql-hive/gateway/dist/bin.js"),
                    "supergraph",
                    str(supergraph),
                    "--port",
                    str(router_port),
                ],
                cwd=ROOT / "router-config",
                env={
                    **env,
                    **sub_urls,
                    "CRMGRAPH_SUPERGRAPH": str(supergraph),
                    "CRMGRAPH_GATEWAY_LOG_LEVEL": "error",
                    "CRMGRAPH_RATE_LIMITS": BENCH_RATE_LIMITS,
                    "CRMGRAPH_AUTH_URL": f"{rest_url}/internal/introspect",
                    # Hive Gateway's worker processes (node cluster); 1 = a single process.
                    "FORK": str(workers.get("router", 1)),
                },
                stdout=(logs / "router.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        urls["router"] = f"http://127.0.0.1:{router_port}/graphql"
        for name, url in urls.items():
            health = url.replace("/graphql", "/healthcheck" if name == "router" else "/health")
            _wait(health)
        PIDS.update(
            {
                name: proc.pid
                for name, proc in zip([*names, "rest", "worker", "router"], procs, strict=True)
            }
        )
        GROUPS["router"] = [procs[-1].pid, rest_pid, worker_pid]
        if native:  # Hive Router beside Hive Gateway, on the same subgraphs
            native_env = {**env, **sub_urls, "CRMGRAPH_AUTH_URL": f"{rest_url}/internal/introspect"}
            started = _native_router(native_env, supergraph, logs, workers)
            procs.extend(started)
            PIDS["native"] = started[-1].pid
            GROUPS["native"] = [*(p.pid for p in started), rest_pid, worker_pid]
            urls["native"] = f"http://127.0.0.1:{NATIVE_PORT}/graphql"
            _wait(urls["native"].replace("/graphql", "/health"))
        if "postgraphile" in peers:
            procs.append(_postgraphile(settings, logs, peer_workers))
            PIDS["postgraphile"] = procs[-1].pid
            GROUPS["postgraphile"] = [procs[-1].pid]
            urls["postgraphile"] = f"http://127.0.0.1:{PG_PORT}/graphql"
            _wait_graphql(urls["postgraphile"])
        if "sql" in peers:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "floor:app",
                        "--app-dir",
                        str(ROOT / "bench"),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(SQL_PORT),
                        "--workers",
                        str(peer_workers),
                        "--log-level",
                        "warning",
                        "--no-access-log",
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=(logs / "sql.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
            PIDS["sql"] = procs[-1].pid
            GROUPS["sql"] = [procs[-1].pid]
            urls["sql"] = f"http://127.0.0.1:{SQL_PORT}"
            _wait(urls["sql"] + "/health")
        yield urls
    finally:
        terminate(procs)
        GROUPS.clear()


def _native_router(
    env: dict[str, str], supergraph: Path, logs: Path, workers: dict[str, int]
) -> list[subprocess.Popen[bytes]]:
    """Our Hive Router build (`make hive-router`) with as many worker threads as Hive Gateway
    has processes and no in-flight deduplication; its rate-limit plugin counts in Redis, with
    limits as high as Hive Gateway's here, unless BENCH_NATIVE_LIMITS=off."""
    config = logs / "hive-router.json"
    env = {**env, "CRMGRAPH_GATEWAY_LOG_LEVEL": "error", "CRMGRAPH_RATE_LIMITS": BENCH_RATE_LIMITS}
    if os.environ.get("BENCH_NATIVE_LIMITS", "on") == "off":
        env["CRMGRAPH_RATE_LIMITS_ENABLED"] = "false"
    native_router.write_config(env, supergraph=supergraph, port=NATIVE_PORT, out=config)
    router = subprocess.Popen(
        [str(native_router.binary())],
        env={
            **env,
            "ROUTER_CONFIG_FILE_PATH": str(config),
            "ROUTER_HTTP_WORKERS": str(workers.get("router", 1)),
        },
        stdout=(logs / "native.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    return [router]


def _postgraphile(settings: Settings, logs: Path, workers: int) -> subprocess.Popen[bytes]:
    """PostGraphile 5.1.5 on Node 22 (both pinned in bench/postgraphile), amber preset,
    serving the bench database's public schema, in `workers` cluster workers
    (bench/postgraphile/cluster.js)."""
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    return subprocess.Popen(
        [
            str(node()),
            str(PG_DIR / "cluster.js"),
            str(workers),
            "--connection",
            dsn.render_as_string(hide_password=False),
            "--schema",
            "public",
            "--preset",
            "postgraphile/presets/amber",
            "--host",
            "127.0.0.1",
            "--port",
            str(PG_PORT),
        ],
        cwd=PG_DIR,
        env={**os.environ, "NODE_ENV": "production", "GRAPHILE_ENV": "production"},
        stdout=(logs / "postgraphile.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_graphql(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, json={"query": "{ __typename }"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


# Eight Python processes importing at once took over 60 s at load 20-30 (other engineers'
# tests on the 2 cores); the tests' routers wait 120 s for the same reason.
def _wait(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


def bodies(operation: str, ids: dict[str, Any], target: str = "router") -> list[str]:
    def body(query: str, variables: dict[str, Any] | None = None) -> str:
        return json.dumps({"query": query, "variables": variables or {}})

    if target == "postgraphile":
        if operation == "deal_by_id":
            return [body(PG_DEAL_BY_ID, {"id": i}) for i in ids["deals"]]
        return [body(PG_DEALS_PAGE)]
    if target == "sql":
        if operation == "deal_by_id":
            return [json.dumps({"id": i, "tenant": TENANT}) for i in ids["deals"]]
        return [json.dumps({"tenant": TENANT})]

    if operation == "deal_by_id":
        return [body(DEAL_BY_ID, {"id": i}) for i in ids["deals"]]
    if operation == "deals_page_50":
        return [body(DEALS_PAGE)]
    if operation == "complex_filter":
        return [body(COMPLEX)]
    if operation == "customer_overview":
        return [body(OVERVIEW, {"id": i}) for i in ids["contacts"]]
    if operation == "move_deal_stage":
        move = (
            "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"
        )
        return [body(move, {"d": d, "s": s}) for d, s in back_and_forth(ids["moves"])]
    raise ValueError(operation)


def back_and_forth(pairs: list[str], passes: int = 4) -> list[tuple[str, str]]:
    """Moves that never ask for the stage a deal is already in (a CONFLICT): each deal with
    two other stages A and B goes to A, B, A, B, ..., one pass over all deals at a time, so
    the list can be replayed in a loop. An even number of deals keeps each deal on one wrk
    thread (graphql.lua shares lines out by index)."""
    stages: dict[str, list[str]] = {}
    for pair in pairs:
        deal, stage = pair.split()
        stages.setdefault(deal, []).append(stage)
    deals = [d for d, found in stages.items() if len(found) >= 2]
    deals = deals[: len(deals) - len(deals) % 2]
    return [(d, stages[d][n % 2]) for n in range(passes) for d in deals]


async def reset_stages(settings: Settings, ids: dict[str, Any]) -> None:
    """Put the moved deals back in the stage they started in (neither A nor B of
    back_and_forth), so that each wrk run, which starts at the first line again, asks for
    no stage a deal is already in. Bench setup, straight in SQL."""
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE deals SET stage_id = CAST(:s AS uuid) WHERE id = CAST(:d AS uuid)"),
            [{"d": d, "s": s} for d, s in ids["stage_of"].items()],
        )
    await engine.dispose()


async def transactions(settings: Settings) -> int:
    """PostgreSQL's committed+rolled back transactions of the bench database. Each loader
    batch and each mutation is one transaction, so this counts SQL round trips closely."""
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
        )
        value = int(found.scalar_one())
    await engine.dispose()
    return value


def parse_workers(text: str) -> dict[str, int]:
    """`deals=2,router=2` -> {"deals": 2, "router": 2}: processes per subgraph (router: Hive
    Gateway's forked workers) where more than one."""
    return {name: int(n) for name, _, n in (w.partition("=") for w in text.split(",") if w)}


def peer_workers_for(workers: dict[str, int]) -> int:
    """The peers' worker processes: as many as crmgraph has on the path of the operations
    they answer (deal by id and the page are answered by the deals subgraph alone, behind
    the router): the router's workers plus the deals processes. 3 with the defaults."""
    return workers.get("router", 1) + workers.get("deals", 1)


def serves(target: str) -> set[str]:
    """The GROUPS that run while `target` is measured; every other one is stopped."""
    if target in ("router", "native"):
        return {*PORTS, target}
    if target == "subgraph":
        return {"deals"}
    return {target}


def headers_for(target: str) -> dict[str, str]:
    """Headers besides the bearer token (which the peers ignore): a direct call to a
    subgraph carries what the router would send it."""
    return {ROUTER_SECRET_HEADER: ROUTER_SECRET} if target == "subgraph" else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 1.0)))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 8)))
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--concurrency", default="1,8,32,128")
    parser.add_argument(
        "--operations",
        default="deal_by_id,deals_page_50,complex_filter,customer_overview,move_deal_stage",
    )
    parser.add_argument(
        "--targets",
        default="router,native,subgraph,postgraphile,sql",
        help="router (Hive Gateway), native (Hive Router, `make hive-router`) and subgraph "
        "are ours; postgraphile and sql are the peers",
    )
    parser.add_argument(
        "--hold",
        action="store_true",
        help="start the stack on the data set, print its URLs and a token, and wait "
        "(for profiling by hand); --reuse skips reloading the data set",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the existing bench database")
    parser.add_argument(
        "--merge-into",
        default="",
        help="a results .json of an earlier run: replace its rows of the operations run now "
        "(and rewrite its .md and .png); --rerun-reason says why, recorded in the file",
    )
    parser.add_argument("--rerun-reason", default="")
    parser.add_argument(
        "--workers",
        default=os.environ.get("BENCH_WORKERS", "deals=2"),
        help="processes per subgraph where more than one, e.g. deals=2,contacts=2 "
        "(they share the port with SO_REUSEPORT); router=N: Hive Gateway's workers",
    )
    parser.add_argument(
        "--peer-workers",
        type=int,
        default=0,
        help="worker processes of PostGraphile and of the SQL floor; default: the router's "
        "workers plus the deals processes (crmgraph's processes on the peers' operations)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=int(os.environ.get("BENCH_WARMUP", 5)),
        help=f"seconds of wrk at {WARMUP_CONCURRENCY} clients before each target is measured",
    )
    args = parser.parse_args()
    # A SIGTERM (kill, pkill) unwinds like Ctrl-C, so the stack's finally stops every process
    # it started, the stopped ones included; Python's default would leave them all running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    wanted = set(args.targets.split(","))
    operations = args.operations.split(",")
    peers = wanted & PEERS if PEER_OPERATIONS & set(operations) else set()
    measured = report.commit()  # before anything is written into the tree
    settings = settings_for("crmgraph_bench")
    workdir = ROOT / ".run" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    ids_file = workdir / "ids.json"
    if args.reuse and ids_file.exists():
        ids = json.loads(ids_file.read_text())
    else:
        ids = asyncio.run(prepare(settings, os.environ["DATABASE_URL"], args.scale))
        ids["scale"] = args.scale  # what a later --reuse measures
        ids_file.write_text(json.dumps(ids))
    token = issue_token(settings, tenant_id=TENANT, subject="bench", roles=("tenant_admin",))
    workers = parse_workers(args.workers)
    peer_workers = args.peer_workers or peer_workers_for(workers)
    if args.hold:
        return hold(settings, workdir, peers, ids, token, workers, peer_workers,
                    "native" in wanted)  # fmt: skip
    results: list[Result] = []
    failures: list[dict[str, Any]] = []
    native = "native" in wanted
    with stack(settings, workdir, peers, workers, peer_workers, native) as urls:
        for operation in operations:
            targets = {"router": urls["router"]}
            if native:
                targets["native"] = urls["native"]
            if operation == "deal_by_id":
                targets["subgraph"] = urls["deals"]
            if operation in PEER_OPERATIONS:
                for peer in sorted(peers):
                    targets[peer] = urls[peer] + (SQL_PATHS[operation] if peer == "sql" else "")
            targets = {t: u for t, u in targets.items() if t in wanted}
            try:
                files = expect(settings, workdir, operation, targets, ids, token)
            except WrongAnswer as wrong:  # no target of this operation is measured
                failures.append(report.failure(operation, wrong.target, "answers", wrong))
                print(f"bench: {wrong}", file=sys.stderr)
                continue
            points = [Point(operation, t, u, *files[t], token) for t, u in targets.items()]
            measure(points, args, settings, ids, results, failures)
    run = {
        "commit": measured,
        "scale": ids.get("scale", args.scale),
        "seconds": args.seconds,
        "repetitions": args.repetitions,
        "order": "rounds: each repetition runs every concurrency on every target of an"
        " operation in turn, the targets' order reversed every other round",
        "processes": {
            "crmgraph": {
                **{name: workers.get(name, 1) for name in PORTS},
                "router": workers.get("router", 1),
            },
            "postgraphile": peer_workers if "postgraphile" in peers else 0,
            "sql": peer_workers if "sql" in peers else 0,
            "rule": "peers: as many workers as the router's plus the deals subgraph's processes"
            " (crmgraph's processes on deal by id and the page); only the measured side runs,"
            " the other is stopped (SIGSTOP)",
        },
        "warmup": {
            "answers": "each distinct body once, in order, every target running",
            "seconds": args.warmup,
            "concurrency": WARMUP_CONCURRENCY,
            "bodies": "the measured bodies",
        },
    }
    if args.rerun_reason:
        run["why"] = args.rerun_reason
    report.write(results, failures, run, args.merge_into)
    for found in failures:
        print(
            f"bench: FAILED {found['operation']} {found['target']} {found['phase']}: "
            f"{found['wrong']} wrong answers, {found['socket_errors']} socket errors of "
            f"{found['requests']}; first wrong: {found['first_wrong'][:200]}",
            file=sys.stderr,
        )
    return 1 if failures else 0


@dataclass
class Point:
    """One target of one operation, with the files wrk sends and checks against."""

    operation: str
    target: str
    url: str
    body_file: Path
    answers_file: Path
    token: str

    def load(self, concurrency: int, seconds: int) -> WrkRun:
        pids = [pid for group in serves(self.target) for pid in GROUPS.get(group, [])]
        idle = cpu_rate(pids)
        found = run_wrk(
            self.url, self.body_file, self.answers_file, concurrency, seconds, self.token,
            headers_for(self.target),
        )  # fmt: skip
        if not wait_quiet(pids, idle=idle):
            print(f"bench: {self.target} still busy 30 s after wrk stopped", file=sys.stderr)
        return found


def measure(
    points: list[Point],
    args: argparse.Namespace,
    settings: Settings,
    ids: dict[str, Any],
    results: list[Result],
    failures: list[dict[str, Any]],
) -> None:
    """One operation's targets side by side: each target's warm-up (the same for every
    target), then the repetitions in rounds. A round runs each concurrency on every target in
    turn, the order reversed every other round, so a change of the machine's speed during the
    minutes of a run falls on every target alike rather than on the one measured then. Only
    the measured target runs (the others are stopped, SIGSTOP). A point with any wrong answer
    or error goes to `failures`."""
    operation = points[0].operation
    for point in points:
        with only_running(GROUPS, serves(point.target)):
            if operation == "move_deal_stage":
                asyncio.run(reset_stages(settings, ids))
            warm = point.load(WARMUP_CONCURRENCY, args.warmup)
        if warm.failures:
            failures.append(report.failure(operation, point.target, "warm-up", warm))
    levels = [int(c) for c in args.concurrency.split(",")]
    runs: dict[tuple[str, int], list[tuple[WrkRun, float]]] = {}
    for repetition in range(args.repetitions):
        for concurrency in levels:
            for point in points if repetition % 2 == 0 else points[::-1]:
                with only_running(GROUPS, serves(point.target)):
                    if operation == "move_deal_stage":
                        asyncio.run(reset_stages(settings, ids))
                    before = asyncio.run(transactions(settings))
                    found = point.load(concurrency, args.seconds)
                    after = asyncio.run(transactions(settings))
                per_request = (after - before) / max(1, found.requests)
                runs.setdefault((point.target, concurrency), []).append((found, per_request))
    for concurrency in levels:
        for point in points:
            results.append(
                summarize(operation, point.target, concurrency, runs[(point.target, concurrency)])
            )
            print(json.dumps(asdict(results[-1])), file=sys.stderr)
            if results[-1].errors:
                failures.append(
                    report.failure(operation, point.target, f"c={concurrency}", results[-1])
                )


def expect(
    settings: Settings,
    workdir: Path,
    operation: str,
    targets: dict[str, str],
    ids: dict[str, Any],
    token: str,
) -> dict[str, tuple[Path, Path]]:
    """Each target's bodies file and verified answers file (bench/answers.py): every target
    answers every distinct body once and all agree, before any is measured."""
    answers: dict[str, list[bytes]] = {}
    files = {}
    if operation == "move_deal_stage":
        asyncio.run(reset_stages(settings, ids))
    for target, url in targets.items():
        lines = bodies(operation, ids, target)
        if not lines:
            raise RuntimeError(f"no request bodies for {operation} ({target})")
        body_file = workdir / f"{operation}-{target}.txt"
        answers_file = body_file.with_suffix(".answers")
        body_file.write_text("\n".join(lines) + "\n")
        auth = {"authorization": f"Bearer {token}", **headers_for(target)}
        answers[target] = fetch_answers(target, url, operation, lines, auth)
        write_answers(answers_file, answers[target])
        files[target] = (body_file, answers_file)
    agree(operation, answers)
    return files


def hold(
    settings: Settings,
    workdir: Path,
    peers: Collection[str],
    ids: dict[str, Any],
    token: str,
    workers: dict[str, int],
    peer_workers: int,
    native: bool = False,
) -> int:
    """Keep the stack up for profiling: writes each operation's bodies beside the URLs."""
    with stack(settings, workdir, peers, workers, peer_workers, native) as urls:
        for operation in ("deal_by_id", "deals_page_50", "complex_filter", "customer_overview"):
            for target in ("router", *sorted(peers)):
                if target in PEERS and operation not in PEER_OPERATIONS:
                    continue
                path = workdir / f"{operation}-{target}.txt"
                path.write_text("\n".join(bodies(operation, ids, target)) + "\n")
        (workdir / "token").write_text(token)
        (workdir / "router-secret").write_text(ROUTER_SECRET)  # for subgraphs called directly
        print(json.dumps({"urls": urls, "pids": PIDS, "workdir": str(workdir)}), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
