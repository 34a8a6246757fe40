"""EXPLAIN (ANALYZE, BUFFERS) of every statement the readers of stays run (pipeline analytics
for each period, the sales report, win probability of 20 open deals, stage times) against a
loaded bench database, tenant bench00: `bench/explain_stays.py crmgraph_bench_reports_t10`.
Prints each statement's execution time and, with --plans, the plans; with --rounds N, each
statement's fastest of N (load on a shared machine slows a run, never speeds it up)."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.stage_stays import stage_stays
from crmgraph.reporting import analytics_facts, sales_report_facts, win_facts
from crmgraph.reporting.sales_report import ReportRequest

TENANT = "bench00"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database")
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="print each statement's fastest")
    args = parser.parse_args()
    url = make_url(os.environ["DATABASE_URL"]).set(database=args.database)
    engine = create_async_engine(url)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if not statement.startswith("EXPLAIN"):
            captured.append((statement, params))

    scope = Scope(tenant_id=TENANT, kind="system")
    now = datetime.now(UTC)
    async with AsyncSession(engine) as session:
        p = models.Pipeline
        pipelines = list(
            await session.scalars(scoped(select(p.id), p, scope).order_by(p.created_at, p.id))
        )
        d = models.Deal
        open_ids = list(
            await session.scalars(
                scoped(select(d.id), d, scope)
                .where(d.status == "ACTIVE", d.pipeline_id == pipelines[0])
                .order_by(d.id)
                .limit(20)
            )
        )
        st = models.PipelineStage
        stage_ids = list(
            await session.scalars(
                scoped(select(st.id), st, scope).where(st.pipeline_id == pipelines[0])
            )
        )
    cases: dict[str, Callable[[AsyncSession], Awaitable[Any]]] = {}
    for name, days in (("all_time", None), ("365d", 365), ("90d", 90), ("30d", 30)):
        start = None if days is None else now - timedelta(days=days)
        cases[f"analytics stays {name}"] = lambda s, start=start: analytics_facts.stage_facts(
            s, scope, pipelines[0], start, now
        )
    request = ReportRequest(date(2025, 1, 1), date(2026, 12, 31), None, True, None)
    cases["sales report"] = lambda s: sales_report_facts.sales_report(s, scope, request, now=now)
    cases["win probability 20 deals"] = lambda s: win_facts.win_probabilities(
        s, scope, open_ids, now
    )

    async def stage_times(s: AsyncSession) -> Any:
        stays = stage_stays(scope, now, stage_ids=stage_ids).subquery()
        return list(await s.execute(select(stays.c.stage_id, stays.c.entered_at).limit(0)))

    cases["stage times (loader shape)"] = stage_times
    fastest: dict[tuple[str, int], float] = {}
    for name, run in [item for _ in range(args.rounds) for item in cases.items()]:
        captured.clear()
        async with AsyncSession(engine) as session:
            began = time.perf_counter()
            await run(session)
            wall = (time.perf_counter() - began) * 1000
            print(f"== {name}: {wall:.0f} ms wall, {len(captured)} statements")
            for n, (statement, params) in enumerate(list(captured)):
                raw = await session.connection()
                plan = await raw.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                lines = [row[0] for row in plan]
                took = next((ln for ln in lines if ln.startswith("Execution Time")), "")
                print(f"   {took}   {statement[:90]!r}")
                ms = float(took.split()[2]) if took else 0.0
                fastest[name, n] = min(fastest.get((name, n), ms), ms)
                if args.plans:
                    print("\n".join("      " + ln for ln in lines))
    await engine.dispose()
    print(f"fastest of {args.rounds} (ms), statements over 1 ms:")
    for (name, n), ms in fastest.items():
        if ms > 1:
            print(f"  {name} #{n}: {ms:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
