"""PostgreSQL's CPU per execution of the statements behind the two reads compared with
PostGraphile (deal by id, the 50-deal page): the one the deals subgraph's compiled read path
sends (crmgraph.compiled), and the SQL floor's hand-written one (bench/floor.py), which
returns plain rows. Each statement is prepared on one connection and run --executions times
per round, all answers read; the rounds take turns between the statements. CPU is the
server process's utime + stime from /proc (PostgreSQL runs on this machine) over a round,
divided by the executions; min and median of the rounds are printed, in ms.

It reads the bench database and ids of an earlier `bench/run.py` (.run/bench/ids.json):

    .venv/bin/python bench/statement_cpu.py --executions 2000 --rounds 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
from typing import Any

import asyncpg
import floor
from graphql.execution.values import VariableValues, get_variable_values
from processes import cpu_seconds
from run import DEAL_BY_ID, DEALS_PAGE, ROOT, TENANT, settings_for

from crmgraph.auth.tokens import issue_token
from crmgraph.compiled.hook import front_of
from crmgraph.compiled.plan import Binding, compile_operation
from crmgraph.runtime import Runtime
from subgraphs.deals.app import create_app


async def compiled(documents: dict[str, tuple[str, dict[str, Any]]]
                   ) -> dict[str, tuple[str, list[object]]]:  # fmt: skip
    """The statement and parameters the deals subgraph sends for each (document, variables),
    for the bench's tenant admin."""
    settings = settings_for("crmgraph_bench").model_copy(
        update={
            "router_secret": secrets.token_urlsafe(32),
            "compiled_reads": True,
            "neo4j_uri": None,
        }
    )
    runtime = await Runtime.open(settings)
    try:
        front = front_of(create_app(runtime))
        assert front is not None, "compiled reads are off"
        token = issue_token(settings, tenant_id=TENANT, subject="bench", roles=("tenant_admin",))
        caller = await runtime.authenticator.authenticate({"authorization": f"Bearer {token}"},
                                                          None)  # fmt: skip
        found = {}
        for name, (document, variables) in documents.items():
            operation = front.documents.get(document).operation(None)
            values = get_variable_values(
                front.schema, operation.variable_definitions or (), variables
            )
            assert isinstance(values, VariableValues), values
            plan = compile_operation(front.schema, operation, {}, values, caller, front.roots)
            found[name] = (plan.sql, plan.parameters(Binding(caller, values)))
        return found
    finally:
        await runtime.close()


async def measure(statements: dict[str, tuple[str, list[object]]], args: argparse.Namespace
                  ) -> dict[str, list[float]]:  # fmt: skip
    dsn = settings_for("crmgraph_bench").database_url.replace("+asyncpg", "")
    connection = await asyncpg.connect(dsn)
    try:
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        prepared = {name: (await connection.prepare(sql), parameters)
                    for name, (sql, parameters) in statements.items()}  # fmt: skip
        for statement, parameters in prepared.values():  # plans made, caches warm
            for _ in range(100):
                await statement.fetch(*parameters)
        found: dict[str, list[float]] = {name: [] for name in prepared}
        for _ in range(args.rounds):
            for name, (statement, parameters) in prepared.items():
                before = cpu_seconds([pid])
                for _ in range(args.executions):
                    await statement.fetch(*parameters)
                spent = cpu_seconds([pid]) - before
                found[name].append(spent * 1000 / args.executions)
        return found
    finally:
        await connection.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    ids = json.loads((ROOT / ".run" / "bench" / "ids.json").read_text())
    deal = ids["deals"][0]
    built = await compiled({"deal by id": (DEAL_BY_ID, {"id": deal}), "page": (DEALS_PAGE, {})})
    statements = {
        "deal by id, compiled": built["deal by id"],
        "deal by id, floor": (floor.DEAL_BY_ID, [deal, TENANT]),
        "page, compiled": built["page"],
        "page, floor": (floor.DEALS_PAGE, [TENANT]),
    }
    found = await measure(statements, args)
    print(f"{'statement':24} {'min ms':>7} {'median ms':>9}")
    for name, values in found.items():
        print(f"{name:24} {min(values):7.3f} {statistics.median(values):9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
