"""EXPLAIN (ANALYZE, BUFFERS) of the statements a dealForecast request runs, on a database of
`make bench-reports` (bench/README.md, "Sales reports"): database time and buffers, which
the load of a shared machine disturbs less than latency through the router.

The statements are the product's own (crmgraph.reporting.forecast_facts), built for
pipeline 1 of bench00 and the benched selection (every bucket's `deals(first: 5)`), and run
under EXPLAIN instead of being executed; prints one JSON line per period.

    set -a && source <services env> && set +a
    .venv/bin/python bench/forecast_explain.py --database crmgraph_bench_reports_t10
"""

from __future__ import annotations

import argparse
import asyncio
import json
from itertools import pairwise
from typing import Any

import run
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from crmgraph.db.engine import create_engine
from crmgraph.db.scoping import Scope
from crmgraph.reporting.forecast import Period, boundaries
from crmgraph.reporting.forecast_facts import DealList, forecast_deal_lists, forecast_rows


class Explaining:
    """Stands where the facts functions expect a session: runs each statement under EXPLAIN
    and keeps (execution ms, shared buffers, top plan node)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.plans: list[tuple[float, int, str]] = []

    async def execute(self, stmt: Any) -> list[Any]:
        compiled = stmt.compile(
            dialect=self.conn.dialect, compile_kwargs={"render_postcompile": True}
        )
        params = compiled.construct_params()
        found = await self.conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + str(compiled),
            tuple(params[name] for name in compiled.positiontup or ()),
        )
        raw = found.scalar()
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
        top = plan["Plan"]
        buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
        self.plans.append((round(plan["Execution Time"], 1), buffers, top["Node Type"]))
        return []


async def main(database: str, year: int) -> None:
    engine = create_engine(run.settings_for(database))
    try:
        async with engine.connect() as conn:
            pipeline = await conn.scalar(text(
                "SELECT id FROM pipelines WHERE tenant_id = :t ORDER BY name LIMIT 1"),
                {"t": run.TENANT})  # fmt: skip
            scope = Scope(run.TENANT)
            for period in Period:
                edges = boundaries(period, year)
                session: Any = Explaining(conn)
                await forecast_rows(session, scope, pipeline, edges)
                lists = [DealList(pipeline, a, b, None, 5) for a, b in pairwise(edges)]
                await forecast_deal_lists(session, scope, lists)
                grouped, deals = session.plans
                print(json.dumps({"database": database, "period": period.value, "year": year,
                                  "amounts_ms_buffers_node": grouped,
                                  "deal_lists_ms_buffers_node": deals}))  # fmt: skip
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="crmgraph_bench_reports_t10")
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    asyncio.run(main(args.database, args.year))
