"""`crmgraph graph rebuild --tenant T`: the projection from PostgreSQL alone (no consumer ran:
the tree is written to this package's own database, which no stack's graph projection
reads), with a progress bar on stderr, and the same graph when run again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.sql_store import SqlGraphStore
from tests.integration.graph_data import DEPTH, write_tree

CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")


def rebuild(settings: Settings, tenant: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([CRMGRAPH, "graph", "rebuild", "--tenant", tenant], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


async def test_rebuild_projects_a_tenant_with_a_progress_bar_and_again_the_same(
    outbox_settings: Settings,
) -> None:
    pg_settings = outbox_settings
    engine = create_engine(pg_settings)
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    tree = await write_tree(create_session_factory(engine), tenant)
    await engine.dispose()
    assert pg_settings.neo4j_uri
    store = Neo4jGraphStore(pg_settings.neo4j_uri, pg_settings.neo4j_user,
                            pg_settings.neo4j_password, sql=SqlGraphStore(engine))  # fmt: skip
    try:
        assert await store.children(tenant, [tree.chain[0]]) == {tree.chain[0]: []}
        answers = []
        for _ in range(2):
            done = await asyncio.to_thread(rebuild, pg_settings, tenant)
            assert done.returncode == 0, done.stderr
            assert f"accounts (nodes)         [{'#' * 30}] 17/17" in done.stderr
            assert "deals (links)" in done.stderr
            # 17 accounts + 1 contact + 4 deals + 3 relationships + a pipeline and its 2 stages
            assert "crmgraph: projected 28 rows" in done.stdout
            below = await store.descendants(tenant, [tree.chain[0]])
            rels = await store.relationships(tenant, [tree.chain[0]])
            answers.append((below, rels))
        assert len(answers[0][0][tree.chain[0]]) == 2 * DEPTH
        assert answers[0] == answers[1]
    finally:
        await store.close()
