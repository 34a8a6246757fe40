"""`make bench-reports` (issue 15): the sales reports through the router on the benchmark data
set (crmgraph.dataset, 200,000 deals with stage history, two pipelines per tenant) in two
shapes: the standard 10 tenants x 20,000 deals, and all 200,000 deals in one tenant.

For each shape a database is loaded (`--reuse`: the one an earlier run loaded, migrated to
the head and analysed again), the stack is started (bench/run.py's stack: one process per
subgraph, the REST shim, Hive Gateway) and each case of bench/report_cases.py is asked at
concurrency 1 and 8: every body once to fix its first answer (checked, and its totals
recounted with direct SQL), a warm-up, then requests in turn over the case's bodies, each
answer checked. Latency p50/p95/p99 of correct answers, and CPU seconds per request of the
stack's processes (from /proc). Results: bench/results/<date>-<sha>[-dirty]-reports.json;
exits 1 if any answer was wrong. See bench/README.md ("Sales reports").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import report
import run
from processes import cpu_seconds
from report_cases import TARGET_MS, TARGETED, cases, problem, sql_checks
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from crmgraph.auth.tokens import issue_token
from crmgraph.dataset import load
from crmgraph.db.engine import create_engine
from crmgraph.db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
PORT_OFFSET = 23000  # beside bench/run.py's 20000: both can run on one machine
STARTUP_SECONDS = 300
LIMITED_FIELDS = ("dealForecast", "salesReport", "performanceMetrics", "dashboardData",
                  "pipelineAnalytics", "pipelineReport", "salesDashboard")  # fmt: skip
SHAPES = {10: "crmgraph_bench_reports_t10", 1: "crmgraph_bench_reports_t1"}


async def prepare(settings: Any, tenants: int, reuse: bool) -> dict[str, Any]:
    """The data set in its database (fresh unless reuse), analysed; the ids to ask about."""
    if not reuse:
        await run.fresh_database(settings, os.environ["DATABASE_URL"])
    else:
        await upgrade(settings)  # indexes of migrations newer than the load
    engine = create_engine(settings)
    try:
        if not reuse:
            done = await load(engine, scale=1.0, seed=42, tenants=tenants)
            print(f"data set: {sum(done.rows.values()):,} rows in {done.seconds:.0f} s",
                  file=sys.stderr)  # fmt: skip
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE" if not reuse else "ANALYZE"))
            return await _ids(conn)
    finally:
        await engine.dispose()


async def _ids(conn: AsyncConnection) -> dict[str, Any]:
    t = {"t": run.TENANT}
    pipelines = await conn.scalars(text(
        "SELECT id FROM pipelines WHERE tenant_id = :t ORDER BY name"), t)  # fmt: skip
    users = await conn.scalars(text(
        "SELECT id FROM users WHERE tenant_id = :t ORDER BY email"), t)  # fmt: skip
    deals = await conn.scalar(text("SELECT count(*) FROM deals WHERE tenant_id = :t"), t)
    return {"pipelines": [str(p) for p in pipelines], "users": [str(u) for u in users],
            "tenant_deals": deals}  # fmt: skip


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


async def first_answers(client: httpx.AsyncClient, url: str, bodies: list[str]) -> list[Any]:
    found = []
    for line in bodies:
        response = await client.post(url, content=line)
        payload = response.json() if response.status_code == 200 else None
        wrong = problem(response.status_code, payload, None)
        if wrong:
            raise RuntimeError(f"{line[:120]}: {wrong}")
        found.append(payload)
    return found


async def load_point(client: httpx.AsyncClient, url: str, bodies: list[str], firsts: list[Any],
                     concurrency: int, requests: int) -> dict[str, Any]:  # fmt: skip
    """`requests` requests by `concurrency` clients over the bodies in turn."""
    latencies: list[float] = []
    wrong: list[str] = []
    turn = iter(range(requests))

    async def client_loop() -> None:
        for n in turn:
            i = n % len(bodies)
            started = time.perf_counter()
            response = await client.post(url, content=bodies[i])
            elapsed = (time.perf_counter() - started) * 1000
            try:
                payload = response.json()
            except ValueError:
                payload = None
            why = problem(response.status_code, payload, firsts[i])
            if why:
                wrong.append(why)
            else:
                latencies.append(elapsed)

    pids = [pid for group in run.GROUPS.values() for pid in group]
    cpu, started = cpu_seconds(pids), time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    seconds, cpu = time.perf_counter() - started, cpu_seconds(pids) - cpu
    return {"concurrency": concurrency, "requests": requests, "correct": len(latencies),
            "wrong": len(wrong), "first_wrong": wrong[0] if wrong else None,
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "rps": round(len(latencies) / seconds, 1),
            "cpu_s_per_request": round(cpu / max(1, requests), 4)}  # fmt: skip


async def measure(url: str, token: str, ids: dict[str, Any], settings: Any,
                  args: argparse.Namespace) -> list[dict[str, Any]]:  # fmt: skip
    results = []
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    limits = httpx.Limits(max_connections=16)
    wanted = set(args.cases.split(",")) if args.cases else None
    async with httpx.AsyncClient(timeout=120, headers=headers, limits=limits) as client:
        firsts: dict[str, list[Any]] = {}
        for case, bodies in cases(ids).items():
            if wanted is not None and case not in wanted:
                continue
            firsts[case] = await first_answers(client, url, bodies)
            await load_point(client, url, bodies, firsts[case], 2, args.warmup * len(bodies))
            for concurrency in (1, 8):
                n = max(args.requests, len(bodies)) * (1 if concurrency == 1 else 2)
                point = await load_point(client, url, bodies, firsts[case], concurrency, n)
                point.update(case=case, bodies=len(bodies),
                             target_p95_ms=TARGET_MS if case in TARGETED else None)  # fmt: skip
                print(json.dumps(point), file=sys.stderr)
                results.append(point)
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            mismatches = await sql_checks(conn, run.TENANT, firsts)
    finally:
        await engine.dispose()
    for m in mismatches:
        results.append({"case": "sql_check", "wrong": 1, "first_wrong": m})
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", default="10,1", help="the shapes: tenants sharing the rows")
    parser.add_argument("--requests", type=int, default=60, help="per case at concurrency 1")
    parser.add_argument("--warmup", type=int, default=1, help="rounds over each case's bodies")
    parser.add_argument("--cases", default="", help="only these cases (comma-separated)")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded databases")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    measured = report.commit()
    sha = measured["sha"][:7] + ("-dirty" if measured["dirty"] else "")
    path = args.out or ROOT / "bench/results" / f"{time.strftime('%Y-%m-%d')}-{sha}-reports.json"
    run.PORT_OFFSET = PORT_OFFSET
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill stops the stack too
    # The router's per-minute limits of the expensive report fields (20 to 50 a minute)
    # would turn the load into 429s: raised out of reach, as bench/run.py does for callers.
    limits = json.loads(run.BENCH_RATE_LIMITS)
    limits["operations"] = {field: 10**9 for field in LIMITED_FIELDS}
    run.BENCH_RATE_LIMITS = json.dumps(limits)
    # Six processes start at once: on a loaded 2-core machine they need more than 60 s.
    wait = run._wait
    run._wait = lambda url, timeout=60: wait(url, timeout=max(timeout, STARTUP_SECONDS))
    workdir = ROOT / ".run" / "bench-reports"
    workdir.mkdir(parents=True, exist_ok=True)
    output: dict[str, Any] = {"commit": measured, "load_before": os.getloadavg(), "shapes": []}
    for tenants in (int(t) for t in args.tenants.split(",")):
        settings = run.settings_for(SHAPES[tenants])
        ids = asyncio.run(prepare(settings, tenants, args.reuse))
        token = issue_token(settings, tenant_id=run.TENANT, subject="bench",
                            roles=("tenant_admin",))  # fmt: skip
        load_before = [round(x, 2) for x in os.getloadavg()]
        with run.stack(settings, workdir) as urls:
            results = asyncio.run(measure(urls["router"], token, ids, settings, args))
        output["shapes"].append({"tenants": tenants, "tenant_deals": ids["tenant_deals"],
                                 "load_before": load_before,
                                 "load_after": [round(x, 2) for x in os.getloadavg()],
                                 "results": results})  # fmt: skip
        path.write_text(json.dumps(output, indent=2) + "\n")
    wrong = [r for s in output["shapes"] for r in s["results"] if r.get("wrong")]
    output["passed"] = not wrong
    output["machine"] = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    path.write_text(json.dumps(output, indent=2) + "\n")
    print(f"bench: {path}{'' if not wrong else ' FAILED: wrong answers'}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
