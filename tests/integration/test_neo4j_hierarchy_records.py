"""The Neo4j adapter's ancestors and descendants come back as one record per account asked,
whatever the depth: a record per account reached cost thousands of records through the
driver for 50 mid-level accounts of the 10,000-account bench (1.7 s, against 0.2 s of work
on the server). Counted on the real server, on the depth-8 tree of the contract suite."""

from __future__ import annotations

import uuid
from typing import LiteralString

import pytest
from neo4j import AsyncGraphDatabase, RoutingControl

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.graph import neo4j_store
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.port import Ranked
from crmgraph.graph.rebuild import rebuild
from crmgraph.graph.sql_store import SqlGraphStore
from tests.integration.graph_data import DEPTH, write_tree


@pytest.mark.parametrize(
    "statement", [neo4j_store.ANCESTORS, neo4j_store.DESCENDANTS], ids=["ancestors", "descendants"]
)
async def test_one_record_per_account_asked(
    pg_settings: Settings, statement: LiteralString
) -> None:
    assert pg_settings.neo4j_uri
    engine = create_engine(pg_settings)
    sessions = create_session_factory(engine)
    tree = await write_tree(sessions, f"t_{uuid.uuid4().hex[:12]}")
    store = Neo4jGraphStore(pg_settings.neo4j_uri, pg_settings.neo4j_user,
                            pg_settings.neo4j_password, sql=SqlGraphStore(engine))  # fmt: skip
    driver = AsyncGraphDatabase.driver(
        pg_settings.neo4j_uri, auth=(pg_settings.neo4j_user, pg_settings.neo4j_password)
    )
    try:
        await rebuild(sessions, store, tenant=tree.tenant)
        # The root has 2 * DEPTH accounts below it, the deepest account DEPTH above it.
        asked = [str(tree.chain[0]), str(tree.chain[DEPTH])]
        records, _, _ = await driver.execute_query(
            statement, {"tenant": tree.tenant, "ids": asked}, routing_=RoutingControl.READ
        )
        assert len(records) <= len(asked)
        # And the port still answers every account at its depth.
        below = (await store.descendants(tree.tenant, [tree.chain[0]]))[tree.chain[0]]
        assert [r.depth for r in below] == sorted([*range(1, DEPTH + 1), *range(1, DEPTH + 1)])
        above = (await store.ancestors(tree.tenant, [tree.chain[DEPTH]]))[tree.chain[DEPTH]]
        assert above == [Ranked(DEPTH - k, tree.chain[k]) for k in reversed(range(DEPTH))]
    finally:
        await driver.close()
        await store.close()
        await engine.dispose()
