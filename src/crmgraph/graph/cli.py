"""`crmgraph graph rebuild [--tenant T]`: the graph projection afresh from PostgreSQL
(crmgraph.graph.rebuild), with a progress bar on stderr. Without NEO4J_URI there is nothing
to rebuild: embedded mode's graph is the tables themselves."""

from __future__ import annotations

import argparse
import asyncio
import sys

from crmgraph.config import Settings
from crmgraph.errors import ConfigurationError

WIDTH = 30


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    graph = commands.add_parser("graph", help="the Neo4j projection: rebuild it")
    actions = graph.add_subparsers(required=True, metavar="ACTION")
    rebuild = actions.add_parser("rebuild", help="write the projection afresh from PostgreSQL")
    rebuild.add_argument("--tenant", default=None, help="only this tenant's rows")
    rebuild.set_defaults(run=_rebuild)


def bar(what: str, done: int, total: int) -> None:
    """One line per table, redrawn in place: `accounts (nodes) [#####.....] 120/240`."""
    filled = WIDTH if total <= 0 else min(WIDTH, WIDTH * done // total)
    end = "\n" if done >= total else ""
    print(f"\r{what:24} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}",
          end=end, file=sys.stderr, flush=True)  # fmt: skip


def _rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.graph import rebuild
    from crmgraph.runtime import Runtime

    if not settings.neo4j_uri:
        raise ConfigurationError("graph rebuild needs NEO4J_URI (embedded mode has no projection)")

    async def run() -> rebuild.Rebuilt:
        runtime = await Runtime.open(settings)
        try:
            return await rebuild.rebuild(runtime.sessions, runtime.graph, tenant=args.tenant,
                                         progress=bar)  # fmt: skip
        finally:
            await runtime.close()

    done = asyncio.run(run())
    print(f"crmgraph: projected {done.rows} rows in {done.batches} batches")
    return 0
