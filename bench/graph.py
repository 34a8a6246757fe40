"""`make bench-graph` (issue 14): the GraphStore port's hierarchy and attribution questions,
the Neo4j adapter beside the SQL adapter (recursive CTEs on PostgreSQL) in one run.

One tenant (bench/graph_data.py: 10,000 accounts in trees to depth 9, 100,000 touchpoints on
25,000 leads and their contacts) is COPYed into PostgreSQL and projected into Neo4j by the
project's own rebuild (crmgraph.graph.rebuild, what `crmgraph graph rebuild --tenant T`
runs). Each case is asked of both adapters through the port, as the GraphQL loaders and
crmgraph.domain.revenue_report ask it (a batch of accounts per call; the attribution report
with its models), one call at a time: the same warm-up for each, then repetitions with the
adapters alternating first. Every answer is checked: hierarchy answers against the truth
the generator computed in Python, attribution answers against the other adapter's answer
of the same repetition (and the won deals' count and revenue against the truth). Only
correct answers are timed. Which backend answered is counted (Cypher statements from the
port's metric, PostgreSQL statements from an engine hook) and recorded per case and
adapter. Results: bench/results/<date>-<sha>[-dirty]-graph.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from graph_data import EPOCH, YEAR, GraphData, Sizes, Truth, copy
from neo4j import AsyncGraphDatabase
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

import crmgraph.runtime  # noqa: F401  # first: the processes' import order (no import cycle)
from crmgraph.config import DEV_JWT_SECRET, Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.migrate import upgrade
from crmgraph.domain.revenue_report import request_of, revenue_report
from crmgraph.graph import rebuild
from crmgraph.graph.cli import bar
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.port import GraphStore, Ranked
from crmgraph.graph.sql_store import SqlGraphStore
from crmgraph.rest.metrics import REGISTRY
from crmgraph.secrets_at_rest import new_key

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "crmgraph_bench_graph"
TENANT = "bench_graph"
BATCH = 50  # accounts per call: a page of accounts, one loader batch per request level
CENT = Decimal("0.01")
MODELS = ("linear", "time_decay", "data_driven")
# (adapter, round, its answer, the answers of the round so far by adapter) -> correct?
Check = Callable[[str, int, Any, dict[str, Any]], bool]


def git(*args: str) -> str:
    found = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
    return found.stdout.strip()


def graph_statements() -> dict[str, float]:
    """crmgraph_graph_queries_total by backend, summed over queries."""
    totals: dict[str, float] = {}
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            if sample.name == "crmgraph_graph_queries_total":
                backend = sample.labels["backend"]
                totals[backend] = totals.get(backend, 0.0) + sample.value
    return totals


class SqlCounter:
    """Statements the engine sent to PostgreSQL (a hook on the engine: every path counts)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 2)


# --- The truth of the hierarchy questions ---------------------------------------------------


class Expected:
    def __init__(self, truth: Truth) -> None:
        self.truth, self.kids = truth, truth.children()

    def children(self, ids: list[UUID]) -> dict[UUID, list[UUID]]:
        return {i: sorted(self.kids.get(i, []), key=str) for i in ids}

    def ancestors(self, ids: list[UUID]) -> dict[UUID, list[Ranked]]:
        found = {}
        for i in ids:
            chain, node, depth = [], self.truth.parent[i], 1
            while node is not None:
                chain.append(Ranked(depth, node))
                node, depth = self.truth.parent[node], depth + 1
            found[i] = chain
        return found

    def _below(self, i: UUID) -> list[Ranked]:
        found, level, depth = [], [i], 0
        while level:
            depth += 1
            level = [c for p in level for c in self.kids.get(p, [])]
            found += [Ranked(depth, c) for c in level]
        return sorted(found, key=lambda r: (r.depth, str(r.account_id)))

    def descendants(self, ids: list[UUID]) -> dict[UUID, list[Ranked]]:
        return {i: self._below(i) for i in ids}

    def rollup(self, ids: list[UUID]) -> dict[UUID, Decimal]:
        value = self.truth.active_value
        below = {i: sum((value[r.account_id] for r in self._below(i)), value[i]) for i in ids}
        return {i: total.quantize(CENT) for i, total in below.items()}


def samples(truth: Truth, rounds: int, seed: int) -> dict[str, list[list[UUID]]]:
    """Each hierarchy case's batch of accounts for each round (warm-up and repetitions)."""
    rng = random.Random(seed)
    by_level: dict[int, list[UUID]] = {}
    for account, level in truth.level.items():
        by_level.setdefault(level, []).append(account)
    every = list(truth.level)
    deep = [a for a, lvl in truth.level.items() if lvl >= 5] or every
    middle = [a for a, lvl in truth.level.items() if 1 <= lvl <= 3] or every
    roots = by_level[0]
    trees = sorted(roots, key=lambda r: -len(Expected(truth)._below(r)))  # biggest first
    # The rollup's batch holds the biggest tree once: a loader never asks for an id twice.
    others = [a for a in every if a != trees[0]]

    def pick(pool: list[UUID], n: int = BATCH) -> list[UUID]:
        return rng.sample(pool, min(n, len(pool)))

    return {
        "children": [pick(every) for _ in range(rounds)],
        "ancestors": [pick(deep) for _ in range(rounds)],
        "descendants": [pick(middle) for _ in range(rounds)],
        "descendants_whole_tree": [[trees[r % min(3, len(trees))]] for r in range(rounds)],
        "deal_value_rollup": [[*pick(others, BATCH - 1), trees[0]] for _ in range(rounds)],
    }


# --- Measuring --------------------------------------------------------------------------------


class Bench:
    def __init__(self, stores: dict[str, GraphStore], engine: AsyncEngine, counter: SqlCounter,
                 warmup: int, saved: Callable[[list[dict[str, Any]]], None]) -> None:  # fmt: skip
        self.stores, self.engine, self.counter, self.warmup = stores, engine, counter, warmup
        self.results: list[dict[str, Any]] = []
        self.saved = saved  # after each case: a stopped run keeps what it measured

    async def case(self, name: str, rounds: list[Any],
                   ask: Callable[[GraphStore, Any], Awaitable[Any]],
                   check: Check) -> None:  # fmt: skip
        """rounds[:warmup] warm each adapter up; the rest are measured, adapters alternating."""
        names = list(self.stores)
        timed: dict[str, list[float]] = {n: [] for n in names}
        wrong = dict.fromkeys(names, 0)
        counts = {n: {"neo4j": 0.0, "sql_graph": 0.0, "postgresql": 0.0} for n in names}
        first_wrong: dict[str, str] = {}
        for r, arg in enumerate(rounds):
            order = names if r % 2 == 0 else names[::-1]
            answers: dict[str, Any] = {}
            for adapter in order:
                before, sql_before = graph_statements(), self.counter.count
                started = time.perf_counter()
                answer = await ask(self.stores[adapter], arg)
                elapsed = (time.perf_counter() - started) * 1000
                after = graph_statements()
                answers[adapter] = answer
                if r < self.warmup:
                    continue
                c = counts[adapter]
                c["neo4j"] += after.get("neo4j", 0) - before.get("neo4j", 0)
                c["sql_graph"] += after.get("sql", 0) - before.get("sql", 0)
                c["postgresql"] += self.counter.count - sql_before
                if check(adapter, r, answer, answers):
                    timed[adapter].append(elapsed)
                else:
                    wrong[adapter] += 1
                    first_wrong.setdefault(adapter, repr(answer)[:500])
        measured = max(1, len(rounds) - self.warmup)
        for adapter in names:
            per_call = {k: round(v / measured, 2) for k, v in counts[adapter].items()}
            self.results.append({
                "case": name, "adapter": adapter, "calls": len(rounds) - self.warmup,
                "correct": len(timed[adapter]), "wrong": wrong[adapter],
                "p50_ms": percentile(timed[adapter], 50), "p95_ms": percentile(timed[adapter], 95),
                "min_ms": percentile(timed[adapter], 0), "statements_per_call": per_call,
                "answered_by": answered_by(per_call),
                "first_wrong": first_wrong.get(adapter, ""),
            })  # fmt: skip
            print(f"{name:28} {adapter:6} p50 {self.results[-1]['p50_ms']} ms  "
                  f"p95 {self.results[-1]['p95_ms']} ms  wrong {wrong[adapter]}  "
                  f"{per_call}", file=sys.stderr)  # fmt: skip
        self.saved(self.results)


def answered_by(per_call: dict[str, float]) -> str:
    if per_call["neo4j"] and per_call["postgresql"]:
        return "neo4j+postgresql"
    return "neo4j" if per_call["neo4j"] else "postgresql"


async def hierarchy(bench: Bench, truth: Truth, tenant: str, rounds: int, seed: int) -> None:
    expected = Expected(truth)
    batches = samples(truth, rounds, seed)
    questions: dict[str, tuple[Callable[[GraphStore], Any], Callable[[list[UUID]], Any]]] = {
        "children": (lambda g: g.children, expected.children),
        "ancestors": (lambda g: g.ancestors, expected.ancestors),
        "descendants": (lambda g: g.descendants, expected.descendants),
        "descendants_whole_tree": (lambda g: g.descendants, expected.descendants),
        "deal_value_rollup": (
            lambda g: lambda t, ids: g.deal_value_rollup(t, ids, include_descendants=True),
            expected.rollup,
        ),
    }
    for name, (method, truth_of) in questions.items():
        wanted = [truth_of(batch) for batch in batches[name]]

        async def ask(store: GraphStore, ids: list[UUID], m: Any = method) -> Any:
            return await m(store)(tenant, ids)

        def check(_a: str, r: int, answer: Any, _all: Any, w: list[Any] = wanted) -> bool:
            return bool(answer == w[r])

        await bench.case(name, batches[name], ask, check)


async def attribution(bench: Bench, truth: Truth, tenant: str, rounds: int) -> None:
    """Both adapters' journeys and reports over the whole range: equal to each other and to
    the first answer, with the truth's won deals and revenue."""
    start, end = EPOCH - YEAR, EPOCH + 2 * YEAR

    def agreeing(won: Callable[[Any], tuple[int, Any]]) -> Check:
        first: list[Any] = []

        def check(adapter: str, _r: int, answer: Any, answers: dict[str, Any]) -> bool:
            first.append(answer) if not first else None
            others = [a for n, a in answers.items() if n != adapter]
            return (answer == first[0] and all(answer == o for o in others)
                    and won(answer) == (truth.won, truth.won_revenue))  # fmt: skip

        return check

    def won_journeys(answer: Any) -> tuple[int, Any]:
        won = [j for j in answer if j.converted]
        return len(won), sum((j.revenue for j in won), truth.won_revenue * 0)

    for non_converting in (False, True):
        name = "revenue_journeys" + ("_with_open_leads" if non_converting else "")

        async def read(store: GraphStore, _: Any, nc: bool = non_converting) -> Any:
            return await store.revenue_journeys(tenant, start, end, non_converting=nc)

        await bench.case(name, [None] * rounds, read, agreeing(won_journeys))
    for model in MODELS:
        request = request_of(start_date=start.date(), end_date=end.date(), model=model)

        async def report(store: GraphStore, _: Any, req: Any = request) -> Any:
            async with AsyncSession(bench.engine) as session:
                return await revenue_report(store, session, tenant, req)

        won = agreeing(lambda rep: (rep.summary.deals, rep.summary.total_revenue))
        await bench.case(f"revenue_attribution_{model}", [None] * rounds, report, won)


# --- The run ------------------------------------------------------------------------------------


async def prepare(settings: Settings, admin_url: str | None, tenant: str, sizes: Sizes,
                  seed: int, *, reuse: bool) -> tuple[GraphData, dict[str, Any]]:  # fmt: skip
    """The tenant's rows COPYed (into a fresh database unless admin_url is None: then into
    settings' migrated one, which must not hold the tenant yet). With reuse, the rows an
    earlier run with the same sizes and seed COPYed stay: only their truth is made again
    (the generator is seeded, ids included)."""
    if reuse:
        data = GraphData(tenant, sizes, seed).build()
        return data, _shape(data, {table: len(rows) for table, rows in data.tables()}, None)
    if admin_url is not None:
        name = make_url(settings.database_url).database
        admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        await upgrade(settings)
    started = time.monotonic()
    data = GraphData(tenant, sizes, seed).build()
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            counts = await copy(raw.driver_connection, data)
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return data, _shape(data, counts, round(time.monotonic() - started, 1))


def _shape(data: GraphData, counts: dict[str, int], load_seconds: float | None) -> dict[str, Any]:
    levels = list(data.truth.level.values())
    shape = {"rows": counts, "load_seconds": load_seconds, "reused": load_seconds is None,
             "roots": levels.count(0), "max_depth": max(levels), "won_deals": data.truth.won,
             "closed_deals": data.truth.closed,
             "won_revenue": str(data.truth.won_revenue)}  # fmt: skip
    print(f"data set: {shape}", file=sys.stderr)
    return shape


async def forget(settings: Settings, tenant: str) -> None:
    """The tenant's nodes of an earlier run deleted: the projection is then this run's."""
    auth = (settings.neo4j_user, settings.neo4j_password)
    driver = AsyncGraphDatabase.driver(settings.neo4j_uri, auth=auth)
    async with driver, driver.session() as session:
        result = await session.run(
            "MATCH (n {tenant_id: $tenant}) CALL (n) { DETACH DELETE n } "
            "IN TRANSACTIONS OF 5000 ROWS", tenant=tenant)  # fmt: skip
        await result.consume()


async def measure(settings: Settings, tenant: str, truth: Truth, args: argparse.Namespace,
                  write: Callable[..., None]) -> None:  # fmt: skip
    engine = create_engine(settings)
    counter = SqlCounter(engine)
    sql = SqlGraphStore(engine)
    neo4j = Neo4jGraphStore(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password,
                            sql=sql)  # fmt: skip
    try:
        projected: dict[str, Any] = {"reused": True, "neo4j": await neo4j.ping()}
        if not args.reuse:
            await forget(settings, tenant)
            started = time.monotonic()
            done = await rebuild.rebuild(create_session_factory(engine), neo4j, tenant=tenant,
                                         progress=bar if args.progress else None)  # fmt: skip
            projected = {"rows": done.rows, "batches": done.batches,
                         "seconds": round(time.monotonic() - started, 1),
                         "neo4j": projected["neo4j"]}  # fmt: skip
        print(f"projection: {projected}", file=sys.stderr)
        bench = Bench({"neo4j": neo4j, "sql": sql}, engine, counter, args.warmup,
                      lambda results: write(projection=projected, results=results))  # fmt: skip
        await hierarchy(bench, truth, tenant, args.warmup + args.repetitions, args.seed)
        await attribution(bench, truth, tenant, args.warmup + args.attribution_repetitions)
        write(projection=projected, results=bench.results, complete=True)
    finally:
        await neo4j.close()
        await engine.dispose()


def settings_for(database_url: str) -> Settings:
    env = os.environ
    env.setdefault("CRMGRAPH_SECRETS_KEY", new_key())  # required with PostgreSQL; unused here
    return Settings(database_url=database_url, redis_url=env["REDIS_URL"],
                    jwt_secret=DEV_JWT_SECRET, neo4j_uri=env["NEO4J_URI"],
                    neo4j_user=env.get("NEO4J_USER", "neo4j"),
                    neo4j_password=env["NEO4J_PASSWORD"])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=Sizes.accounts)
    parser.add_argument("--leads", type=int, default=Sizes.leads)
    parser.add_argument("--touchpoints", type=int, default=Sizes.touchpoints)
    parser.add_argument("--repetitions", type=int, default=30, help="of each hierarchy case")
    parser.add_argument("--attribution-repetitions", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2, help="calls of each case per adapter")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--tenant", default=TENANT)
    parser.add_argument("--database", default=os.environ.get("BENCH_GRAPH_DATABASE", DATABASE),
                        help="the fresh database's name (BENCH_GRAPH_DATABASE): two runs on "
                        "shared services need two")  # fmt: skip
    parser.add_argument("--existing", action="store_true",
                        help="load into DATABASE_URL's (migrated) database instead of a fresh "
                        "--database; the tenant must not be in it")  # fmt: skip
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the rows and projection an earlier run with the same "
        "--database, --tenant, sizes and --seed left (no COPY, no rebuild: "
        "projecting 10,000 accounts took 2 to 18 minutes on a shared machine)",
    )
    parser.add_argument("--out", type=Path, default=None, help="the results file")
    parser.add_argument("--progress", action="store_true", help="the rebuild's progress bar")
    args = parser.parse_args()
    measured = {"sha": git("rev-parse", "HEAD") or "unknown",
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}  # fmt: skip
    admin_url = os.environ["DATABASE_URL"]
    url = admin_url if args.existing else make_url(admin_url).set(database=args.database) \
        .render_as_string(hide_password=False)  # fmt: skip
    settings = settings_for(url)
    sizes = Sizes(args.accounts, args.leads, args.touchpoints)
    load = os.getloadavg()
    data, shape = asyncio.run(prepare(settings, None if args.existing else admin_url,
                                      args.tenant, sizes, args.seed,
                                      reuse=args.reuse))  # fmt: skip
    sha = measured["sha"][:7] + ("-dirty" if measured["dirty"] else "")
    path = args.out or ROOT / "bench" / "results" / f"{time.strftime('%Y-%m-%d')}-{sha}-graph.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}

    def write(*, projection: Any, results: list[Any], complete: bool = False) -> None:
        """The file as it stands: rewritten after each case, `complete` after the last."""
        passed = complete and all(r["wrong"] == 0 and r["correct"] == r["calls"] for r in results)
        result.update({"commit": measured, "complete": complete, "passed": passed,
                       "sizes": vars(sizes), "data": shape, "batch": BATCH,
                       "warmup": args.warmup, "repetitions": args.repetitions,
                       "attribution_repetitions": args.attribution_repetitions,
                       "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0],
                                   "load_before": [round(x, 2) for x in load],
                                   "load_now": [round(x, 2) for x in os.getloadavg()]},
                       "projection": projection, "results": results})  # fmt: skip
        path.write_text(json.dumps(result, indent=2) + "\n")

    asyncio.run(measure(settings, args.tenant, data.truth, args, write))
    passed = bool(result.get("passed"))
    print(f"bench: {path}{'' if passed else ' FAILED: wrong answers'}", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
