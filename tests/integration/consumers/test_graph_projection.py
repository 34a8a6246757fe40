"""The graph projection consumer: writes reach Neo4j through the outbox (activities and deal
stage moves too, which customer journeys read), an older state never undoes a newer one, and
with Neo4j stopped (a private server, SIGKILLed) writes still commit, the projection waits,
shows its lag, and catches up once the server is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from neo4j import AsyncGraphDatabase
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.engine import create_engine
from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, activities, deals, leads, pipelines
from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.events import bus, deliveries
from crmgraph.events.consumers.graph_projection import GraphProjection
from crmgraph.events.consumers.metrics import consumer_lag, prometheus_text
from crmgraph.events.consumers.runner import ConsumerRunner
from crmgraph.graph.neo4j_store import Neo4jGraphStore
from crmgraph.graph.sql_store import SqlGraphStore
from tests.integration.consumers.neo4j_server import PrivateNeo4j
from tests.integration.consumers.support import new_tenant, running, unpublished
from tests.integration.customer_journey_data import write_steps
from tests.integration.graph_data import DEPTH, write_tree
from tests.integration.journey_data import write_journeys
from tests.integration.test_marketing_journeys import DAY, NOW

NAME = GraphProjection.name


@pytest.fixture
async def shared_graph(outbox_settings: Settings) -> AsyncIterator[Neo4jGraphStore]:
    assert outbox_settings.neo4j_uri
    engine = create_engine(outbox_settings)
    store = Neo4jGraphStore(outbox_settings.neo4j_uri, outbox_settings.neo4j_user,
                            outbox_settings.neo4j_password, sql=SqlGraphStore(engine))  # fmt: skip
    yield store
    await store.close()
    await engine.dispose()


@pytest.fixture
def private_neo4j(tmp_path: Path) -> Iterator[PrivateNeo4j]:
    """Started here; the test stops and starts it; whatever runs is stopped at the end."""
    with PrivateNeo4j(tmp_path) as server:
        yield server


def runner(sessions: async_sessionmaker[AsyncSession], store: Neo4jGraphStore) -> ConsumerRunner:
    return ConsumerRunner(sessions, [GraphProjection(store)], max_backoff=0.5)


async def projected(sessions: async_sessionmaker[AsyncSession], tenant: str, within: float) -> None:
    async with asyncio.timeout(within):
        while await unpublished(sessions, tenant, NAME):  # noqa: ASYNC110 (the runner's commits)
            await asyncio.sleep(0.05)
    assert await unpublished(sessions, tenant, NAME, deliveries.DEAD) == 0


async def test_writes_reach_the_graph_and_older_states_never_win(
    sessions: async_sessionmaker[AsyncSession], shared_graph: Neo4jGraphStore
) -> None:
    tenant = new_tenant()
    scope = Scope(tenant_id=tenant, kind="system")
    async with running(runner(sessions, shared_graph)):
        tree = await write_tree(sessions, tenant)
        await projected(sessions, tenant, within=30)
        chain = tree.chain
        assert (await shared_graph.ancestors(tenant, [chain[DEPTH]]))[chain[DEPTH]][-1].depth == 8
        async with sessions() as session, session.begin():
            # a5 moves under b1 (a leaf beside a1); a2 goes: a3 loses its parent.
            changes = accounts.AccountChanges(parent_account_id=tree.leaves[1])
            await accounts.update_account(
                session, scope=scope, account_id=chain[5], changes=changes
            )
            await accounts.delete_account(session, scope=scope, account_id=chain[2])
            d = models.Deal
            deal = await session.scalar(select(d).where(d.title == "deep", d.tenant_id == tenant))
            assert deal is not None
            more = deals.DealChanges(value=Decimal("1000.01"))
            await deals.update_deal(session, scope=scope, deal_id=deal.id, changes=more)
        await projected(sessions, tenant, within=30)
    parents = await shared_graph.parents(tenant, [chain[5], chain[3], chain[2]])
    assert parents == {chain[5]: tree.leaves[1], chain[3]: None}
    rolled = await shared_graph.deal_value_rollup(
        tenant, [tree.leaves[1]], include_descendants=True
    )
    assert rolled == {tree.leaves[1]: Decimal("1000.01")}

    # An event handled again (a batch retried after a crash): a5's first state is older.
    async with sessions() as session:
        first = await session.scalar(
            select(models.OutboxEvent).where(models.OutboxEvent.aggregate_id == chain[5],
                                             models.OutboxEvent.sequence == 1))  # fmt: skip
    assert first is not None
    await GraphProjection(shared_graph).handle(bus.BusEvent.from_row(first))
    assert (await shared_graph.parents(tenant, [chain[5]]))[chain[5]] == tree.leaves[1]


async def test_neo4j_down_writes_commit_and_the_projection_catches_up(
    sessions: async_sessionmaker[AsyncSession], private_neo4j: PrivateNeo4j
) -> None:
    tenant = new_tenant()
    scope = Scope(tenant_id=tenant, kind="system")
    store = Neo4jGraphStore(private_neo4j.uri, "neo4j", "unused",
                            sql=SqlGraphStore(sessions.kw["bind"]))  # fmt: skip
    try:
        async with running(runner(sessions, store)):
            tree = await write_tree(sessions, tenant)
            await projected(sessions, tenant, within=60)
            private_neo4j.stop()
            async with sessions() as session, session.begin():
                changes = accounts.AccountChanges(parent_account_id=tree.chain[0])
                await accounts.update_account(session, scope=scope, account_id=tree.chain[DEPTH],
                                              changes=changes)  # fmt: skip
                late = await accounts.create_account(session, scope=scope, data=accounts.NewAccount(
                    name="late", parent_account_id=tree.chain[DEPTH]))  # fmt: skip
            await asyncio.sleep(3)
            assert await unpublished(sessions, tenant, NAME) == 2
            assert await unpublished(sessions, tenant, NAME, deliveries.DEAD) == 0
            async with sessions() as session:
                lag = {c.consumer: c for c in await consumer_lag(session, [NAME])}[NAME]
            assert lag.pending >= 2 and lag.oldest_pending_seconds >= 2
            text = prometheus_text([lag]).decode()
            assert f'crmgraph_consumer_oldest_pending_seconds{{consumer="{NAME}"}}' in text
            await asyncio.to_thread(private_neo4j.start)
            await projected(sessions, tenant, within=120)
        children = await store.children(tenant, [tree.chain[0], tree.chain[DEPTH]])
        assert tree.chain[DEPTH] in children[tree.chain[0]]
        assert children[tree.chain[DEPTH]] == [late.id]
    finally:
        await store.close()


async def test_touchpoints_reach_the_graph_and_go_with_their_lead(
    sessions: async_sessionmaker[AsyncSession],
    shared_graph: Neo4jGraphStore,
    outbox_settings: Settings,
) -> None:
    tenant = new_tenant()
    engine = create_engine(outbox_settings)
    sql = SqlGraphStore(engine)
    start, end = NOW - 30 * DAY, NOW + DAY
    async with running(runner(sessions, shared_graph)):
        data = await write_journeys(sessions, tenant)
        await projected(sessions, tenant, within=30)
        expected = await sql.revenue_journeys(tenant, start, end, non_converting=True)
        found = await shared_graph.revenue_journeys(tenant, start, end, non_converting=True)
        # The world's lost deal was closed by a plain column write (no event): not compared.
        assert [j for j in found if j.id != str(data.world.lost)] == [
            j for j in expected if j.id != str(data.world.lost)]  # fmt: skip
        assert {j.id for j in found} >= {str(data.world.won), f"lead:{data.world.open_lead}"}
        async with sessions() as session, session.begin():
            await leads.delete_lead(session, scope=Scope(tenant_id=tenant, kind="system"),
                                    lead_id=data.world.open_lead)  # fmt: skip
        await projected(sessions, tenant, within=30)
    after = await shared_graph.revenue_journeys(tenant, start, end, non_converting=True)
    assert f"lead:{data.world.open_lead}" not in {j.id for j in after}
    assert outbox_settings.neo4j_uri
    async with AsyncGraphDatabase.driver(outbox_settings.neo4j_uri, auth=(
            outbox_settings.neo4j_user, outbox_settings.neo4j_password)) as driver:  # fmt: skip
        records, _, _ = await driver.execute_query(
            "MATCH (t:Touchpoint {tenant_id: $tenant}) RETURN t.id AS id", tenant=tenant
        )
    # Eight recorded; the deleted lead's went with it, as in PostgreSQL.
    kept = {str(data.campaign_touch)} | {str(key) for key in data.detached_touches}
    assert {r["id"] for r in records} == kept | {
        str(key) for name, key in data.world.touches.items() if name != "t5"}  # fmt: skip
    await engine.dispose()


async def test_activities_and_stage_moves_reach_the_graph_and_go_with_their_rows(
    sessions: async_sessionmaker[AsyncSession],
    shared_graph: Neo4jGraphStore,
    outbox_settings: Settings,
) -> None:
    tenant = new_tenant()
    scope = Scope(tenant_id=tenant, kind="system")
    engine = create_engine(outbox_settings)
    sql = SqlGraphStore(engine)

    async def same(**subject: UUID) -> list[JourneyStep]:
        found = list(await shared_graph.customer_journey(tenant, **subject))
        assert found == list(await sql.customer_journey(tenant, **subject))
        return found

    async with running(runner(sessions, shared_graph)):
        data = await write_journeys(sessions, tenant)
        steps = await write_steps(sessions, data)
        await projected(sessions, tenant, within=30)
        # Through the events alone: activities (a task completed by task.completed), moves
        # (deal.stage_changed) and the stage renamed after them (pipeline.changed).
        mine = await same(account_id=steps.account)
        assert {s.activity_id for s in mine} >= {steps.lead_task, steps.deal_event,
                                                 steps.account_call}  # fmt: skip
        assert ("Inbound", "Qualification") in {(s.from_stage, s.to_stage) for s in mine}
        await same(contact_id=data.world.contact)

        # An older state handled again (the task before its completion) never wins.
        async with sessions() as session:
            first = await session.scalar(select(models.OutboxEvent).where(
                models.OutboxEvent.aggregate_id == steps.lead_task,
                models.OutboxEvent.sequence == 1))  # fmt: skip
        assert first is not None
        await GraphProjection(shared_graph).handle(bus.BusEvent.from_row(first))
        assert await same(account_id=steps.account) == mine

        async with sessions() as session, session.begin():
            await activities.delete_task(session, scope=scope, task_id=steps.lead_task)
            await deals.delete_deal(session, scope=scope, deal_id=steps.account_deal)
            # A stage added and removed, a pipeline made and deleted: their stages go too.
            won = await session.get(models.Deal, data.world.won)
            assert won is not None
            extra = await pipelines.add_pipeline_stage(session, scope=scope,
                pipeline_id=won.pipeline_id,
                data=pipelines.NewStage(name="Extra", order=9, probability=5))  # fmt: skip
            await pipelines.remove_pipeline_stage(session, scope=scope,
                                                  pipeline_id=won.pipeline_id,
                                                  stage_id=extra.id)  # fmt: skip
            spare, _ = await pipelines.create_pipeline(session, scope=scope,
                data=pipelines.NewPipeline(name="Spare", stages=(
                    pipelines.NewStage(name="Only", order=1, probability=5),)))  # fmt: skip
            await pipelines.delete_pipeline(session, scope=scope, pipeline_id=spare.id)
        await projected(sessions, tenant, within=30)
    after = await same(account_id=steps.account)
    assert steps.lead_task not in {s.id for s in after}
    assert steps.account_deal not in {s.deal_id for s in after}
    assert outbox_settings.neo4j_uri
    async with AsyncGraphDatabase.driver(outbox_settings.neo4j_uri, auth=(
            outbox_settings.neo4j_user, outbox_settings.neo4j_password)) as driver:  # fmt: skip
        records, _, _ = await driver.execute_query(
            "MATCH (n {tenant_id: $tenant}) WHERE n:StageMove OR n:Activity OR n:Stage "
            "OR n:Pipeline "
            "RETURN labels(n)[0] AS label, count(*) AS n", tenant=tenant)  # fmt: skip
    # The deal's two moves went with it; the two deals won keep theirs. Activities: the
    # world's email, the event, the call, the open lead's task (the deleted ones are gone).
    # The world's pipeline keeps its five stages.
    assert {r["label"]: r["n"] for r in records} == {"Activity": 4, "StageMove": 2,
                                                     "Pipeline": 1, "Stage": 5}  # fmt: skip
    await engine.dispose()
