"""customerJourney through the router, answered from Neo4j: one Cypher statement
(`crmgraph_graph_queries_total{backend="neo4j", query="customer_journey"}`), the SQL reader
not asked, and the steps (touchpoints, a completed task, the deal opened, moved and won) those
the SQL adapter gives on the same data."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import UUID

from crmgraph.domain.customer_journey import JourneyStep
from crmgraph.graph.sql_store import SqlGraphStore
from tests.e2e.test_account_hierarchy_graph import statements
from tests.e2e.test_leads import ok
from tests.e2e.test_marketing import won_journey
from tests.stack import Stack

TASK = """mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id } } }"""
DONE = """mutation($id: ID!) { completeTask(id: $id) { task { id } } }"""
STEPS = """query($c: ID!) { customerJourney(contactId: $c, first: 50) { totalCount
  edges { node { id kind summary activityId activityType fromStage toStage } } } }"""


async def journey_projected(stack: Stack, tenant: str, contact: UUID) -> Sequence[JourneyStep]:
    """The tables' journey, once the projection (a moment behind the writes) has it too and
    says so (its deliveries are done: graph reads ask Neo4j only then)."""
    expected = await SqlGraphStore(stack.runtime.engine).customer_journey(
        tenant, contact_id=contact
    )
    async with asyncio.timeout(30):
        while True:
            found = await stack.runtime.graph.customer_journey(tenant, contact_id=contact)
            if found == expected and await stack.runtime.graph_reads.current(tenant):
                return expected
            await asyncio.sleep(0.1)


def test_customer_journey_is_answered_from_neo4j(stack: Stack, tenant: str) -> None:
    assert stack.runtime.graph.name == "neo4j"
    world = won_journey(stack, tenant)
    about = {"type": "CONTACT", "id": world["contact"]}
    made = ok(stack, TASK, tenant, input={"title": "Call back", "relatedTo": about})
    task = made["createTask"]["task"]["id"]
    ok(stack, DONE, tenant, id=task)
    expected = stack.call(lambda: journey_projected(stack, tenant, UUID(world["contact"])))
    before = {b: statements("customer_journey", b) for b in ("neo4j", "sql")}

    found = ok(stack, STEPS, tenant, c=world["contact"])["customerJourney"]

    after = {b: statements("customer_journey", b) - before[b] for b in before}
    assert after == {"neo4j": 1, "sql": 0}
    steps = [e["node"] for e in found["edges"]]
    assert [(s["id"], s["kind"], s["summary"]) for s in steps] == [
        (str(x.id), x.kind.value, x.summary) for x in expected]  # fmt: skip
    assert found["totalCount"] == 7
    assert [s["kind"] for s in steps[:4]] == ["TOUCHPOINT"] * 3 + ["DEAL_CREATED"]
    assert sorted(s["kind"] for s in steps[4:]) == ["ACTIVITY", "DEAL_CLOSED", "STAGE_MOVE"]
    activity = next(s for s in steps if s["kind"] == "ACTIVITY")
    assert (activity["activityId"], activity["activityType"], activity["summary"]) == (
        task, "TASK", "task: Call back")  # fmt: skip
    move = next(s for s in steps if s["kind"] == "STAGE_MOVE")
    assert (move["fromStage"], move["toStage"]) == ("Qualification", "Won")
