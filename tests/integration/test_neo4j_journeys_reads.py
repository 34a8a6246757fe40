"""The Neo4j revenue-journeys statement reads the asking tenant's deals and leads only, and
each once: its db hits (PROFILE, on the real server) stay below another tenant's number of
deals and leads. It used to scan every tenant's deals by label and to test each lead against
the list of all closed journeys' leads (leads x closed deals reads: 403 million page hits on
the 25,000 leads of the graph bench)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import AsyncGraphDatabase

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine
from crmgraph.graph.model import Changes, Node
from crmgraph.graph.neo4j_journeys import JOURNEYS
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.sql_store import SqlGraphStore

T0 = datetime(2025, 3, 1, tzinfo=UTC)
OTHERS = 300  # the other tenant's closed deals, and as many leads converted into them


def _nodes(tenant: str, deals: int) -> list[Node]:
    """deals closed (WON) deals, each with the lead converted into it, and as many leads
    that became no deal."""
    out: list[Node] = []
    for i in range(deals):
        deal, lead, open_lead = (str(uuid.uuid4()) for _ in range(3))
        at = T0 + timedelta(hours=i)
        version = at.strftime("%Y-%m-%dT%H:%M:%S.%f")
        out.append(Node("Deal", tenant, deal, version, {
            "value": "10.00", "value_cents": 1000, "status": "WON", "created_at": at,
            "closed_at": at}))  # fmt: skip
        for lead_id, link in ((lead, deal), (open_lead, None)):
            out.append(Node("Lead", tenant, lead_id, version,
                            {"status": "NEW", "created_at": at, "updated_at": at},
                            {"deal": link}))  # fmt: skip
    return out


def _hits(plan: dict[str, Any]) -> int:
    return int(plan.get("dbHits", 0)) + sum(_hits(c) for c in plan.get("children", []))


async def test_journeys_read_only_the_tenants_deals_and_leads(pg_settings: Settings) -> None:
    assert pg_settings.neo4j_uri
    auth = (pg_settings.neo4j_user, pg_settings.neo4j_password)
    engine = create_engine(pg_settings)
    store = Neo4jGraphStore(pg_settings.neo4j_uri, *auth, sql=SqlGraphStore(engine))
    driver = AsyncGraphDatabase.driver(pg_settings.neo4j_uri, auth=auth)
    mine, theirs = (f"t_{uuid.uuid4().hex[:12]}" for _ in range(2))
    try:
        for tenant, deals in ((mine, 3), (theirs, OTHERS)):
            nodes = _nodes(tenant, deals)
            await store.project(Changes(nodes=nodes), links=False)
            await store.project(Changes(nodes=nodes))
        params = {"tenant": mine, "start": T0 - timedelta(days=1),
                  "end": T0 + timedelta(days=30), "non_converting": True}  # fmt: skip
        records, summary, _ = await driver.execute_query(f"PROFILE {JOURNEYS}", params)
        assert [r["deal"] is not None for r in records] == [True] * 3 + [False] * 3
        assert summary.profile is not None
        assert _hits(summary.profile) < OTHERS
    finally:
        await driver.close()
        await store.close()
        await engine.dispose()
