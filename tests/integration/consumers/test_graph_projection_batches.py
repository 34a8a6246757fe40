"""The graph projection writes a batch's events in one Neo4j transaction, not one per event,
with the result of writing them one by one: each node's newest state wins, a link finds a
target written in the same batch, and a bad event fails alone."""

from __future__ import annotations

import asyncio
import uuid

from neo4j import AsyncGraphDatabase
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, lead_conversion, leads
from crmgraph.events import deliveries
from crmgraph.events.consumers.graph_projection import GraphProjection
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.rest.metrics import REGISTRY
from tests.factories import make_pipeline
from tests.integration.consumers.support import deliveries_of, new_tenant, running
from tests.integration.consumers.test_graph_projection import NAME, projected, shared_graph

__all__ = ["shared_graph"]  # the fixture, used by name

ACCOUNTS = 20


def project_statements() -> float:
    """Cypher statements this process's projection has sent so far."""
    value = REGISTRY.get_sample_value(
        "crmgraph_graph_queries_total", {"backend": "neo4j", "query": "project"}
    )
    return value or 0.0


async def account_named(sessions: async_sessionmaker[AsyncSession], tenant: str,
                        name: str) -> models.Account:  # fmt: skip
    """A new account of tenant, committed on its own."""
    async with sessions() as session, session.begin():
        return await accounts.create_account(session, scope=Scope(tenant_id=tenant,
            kind="system"), data=accounts.NewAccount(name=name))  # fmt: skip


async def test_a_batch_is_one_write_and_its_newest_states_win(
    sessions: async_sessionmaker[AsyncSession], shared_graph: Neo4jGraphStore
) -> None:
    tenant = new_tenant()
    scope = Scope(tenant_id=tenant, kind="system")
    root = await account_named(sessions, tenant, "root")
    made = [await account_named(sessions, tenant, f"a{i}") for i in range(ACCOUNTS - 1)]
    # Each account again, renamed and moved under root: two states of it in the batch.
    async with sessions() as session, session.begin():
        for account in made:
            changes = accounts.AccountChanges(name=f"{account.name}-2", parent_account_id=root.id)
            await accounts.update_account(session, scope=scope, account_id=account.id,
                                          changes=changes)  # fmt: skip
    before = project_statements()
    async with running(ConsumerRunner(sessions, [GraphProjection(shared_graph)])):
        await projected(sessions, tenant, within=30)
    # 39 events, all in one batch: one node statement and one per link (parent, owner) for
    # the whole batch, where one write per event sent 3 statements each (117).
    assert project_statements() - before == 3
    children = await shared_graph.children(tenant, [root.id])
    assert sorted(children[root.id]) == sorted(a.id for a in made)


async def test_a_link_finds_its_target_written_later_in_the_batch(
    sessions: async_sessionmaker[AsyncSession],
    shared_graph: Neo4jGraphStore,
    outbox_settings: Settings,
) -> None:
    tenant = new_tenant()
    scope = Scope(tenant_id=tenant, kind="system")
    async with sessions() as session, session.begin():
        await make_pipeline(session, scope)
        lead = await leads.create_lead(session, scope=scope, data=leads.NewLead(
            first_name="Ida", last_name="Early", email="ida@x.test", source="web"))  # fmt: skip
    async with sessions() as session, session.begin():
        done = await lead_conversion.convert_lead(session, scope=scope, lead_id=lead.id,
            data=lead_conversion.Conversion(create_deal=True, deal_value=10))  # fmt: skip
    assert done.deal is not None and done.contact is not None
    async with running(ConsumerRunner(sessions, [GraphProjection(shared_graph)])):
        await projected(sessions, tenant, within=30)
    assert outbox_settings.neo4j_uri
    async with AsyncGraphDatabase.driver(outbox_settings.neo4j_uri, auth=(
            outbox_settings.neo4j_user, outbox_settings.neo4j_password)) as driver:  # fmt: skip
        records, _, _ = await driver.execute_query(
            "MATCH (l:Lead {tenant_id: $t})-[:CONVERTED_TO_DEAL]->(d:Deal) RETURN d.id AS deal",
            t=tenant,
        )
    assert [r["deal"] for r in records] == [str(done.deal.id)]


async def test_a_bad_event_fails_alone(
    sessions: async_sessionmaker[AsyncSession], shared_graph: Neo4jGraphStore
) -> None:
    tenant = new_tenant()
    first = await account_named(sessions, tenant, "first")
    async with sessions() as session, session.begin():
        bad = models.OutboxEvent(tenant_id=tenant, topic="account.updated",
                                 aggregate_type="account", aggregate_id=uuid.uuid4(),
                                 sequence=1, payload={"data": {"no": "account"}})  # fmt: skip
        session.add(bad)
        deliveries.enqueue(session, bad, [NAME])
    last = await account_named(sessions, tenant, "last")
    async with running(ConsumerRunner(sessions, [GraphProjection(shared_graph)])):
        async with asyncio.timeout(30):
            while len(await deliveries_of(sessions, tenant, NAME)) > 2:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    # Ordered: the bad event waits for its retry and holds back the one after it; the one
    # before it is projected.
    pending = await deliveries_of(sessions, tenant, NAME)
    assert len(pending) == 2 and pending[0].attempts >= 1 and pending[1].attempts == 0
    assert (await shared_graph.parents(tenant, [first.id, last.id])) == {first.id: None}
