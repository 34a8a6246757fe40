"""newActivity, taskDue, leadScoreChanged and pipelineMetricsUpdated through the router."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmgraph.db import models
from subgraphs.pipelines.subscriptions import DEAL_EVENTS
from tests.e2e.graphql_ws import connect
from tests.e2e.test_subscriptions import (
    MOVE,
    bearer,
    make_deal,
    mutate,
    next_event,
    relayed,
    subscribed,
    ws_url,
)
from tests.stack import Stack

CREATE_TASK = """
mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id } } }"""
CREATE_LEAD = """
mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } } }"""
SCORE = """
mutation($l: ID!, $f: [ScoringFactorInput!]) {
  updateLeadScore(leadId: $l, score: 92, scoringFactors: $f) { score }
}"""


def make_user(stack: Stack, tenant: str, name: str) -> str:
    async def run() -> str:
        async with stack.runtime.sessions() as session, session.begin():
            user = models.User(tenant_id=tenant, email=f"{name}@example.com", name=name)
            session.add(user)
            await session.flush()
            return str(user.id)

    return stack.call(run)


async def test_new_activity_reaches_the_assignee_only(stack: Stack, tenant: str) -> None:
    ada, bob = make_user(stack, tenant, "ada"), make_user(stack, tenant, "bob")
    async with connect(ws_url(stack), params=bearer(stack, tenant, user_id=ada)) as client:
        id_ = await subscribed(
            stack, client,
            "subscription($u: ID!) { newActivity(userId: $u) { ... on Task { title priority } } }",
            tenant=tenant, topics=("activity.created",), u=ada,
        )  # fmt: skip
        await mutate(stack, tenant, CREATE_TASK, input={"title": "Bob's", "assignedTo": bob})
        call = {"title": "Call Ada", "priority": "HIGH", "assignedTo": ada}
        await mutate(stack, tenant, CREATE_TASK, input=call)

        assert await next_event(client, id_) == {
            "data": {"newActivity": {"title": "Call Ada", "priority": "HIGH"}}
        }


async def test_task_due_is_sent_once_when_the_due_date_passes(stack: Stack, tenant: str) -> None:
    ada = make_user(stack, tenant, "ada")
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client, "subscription($u: ID!) { taskDue(userId: $u) { title isOverdue } }",
            tenant=tenant, topics=("task.due",), u=ada,
        )  # fmt: skip
        renewal = {"title": "Renewal call", "dueDate": soon, "assignedTo": ada}
        await mutate(stack, tenant, CREATE_TASK, input=renewal)

        assert await next_event(client, id_, within=5) == {
            "data": {"taskDue": {"title": "Renewal call", "isOverdue": True}}
        }
        try:
            extra = await next_event(client, id_, within=2.5)
        except TimeoutError:
            extra = None
        assert extra is None


async def test_lead_score_change_carries_both_scores(stack: Stack, tenant: str) -> None:
    lead_input = {"firstName": "Lin", "lastName": "Ko", "email": "lin@example.com",
                  "source": "web", "company": "Kilo"}  # fmt: skip
    created = await mutate(stack, tenant, CREATE_LEAD, input=lead_input)
    lead = created["createLead"]["lead"]["id"]
    relayed(stack, tenant)
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client,
            "subscription($l: ID!) { leadScoreChanged(leadId: $l) { lead { id company } "
            "previousScore newScore scoringFactors { factor points } } }",
            tenant=tenant, topics=("lead.scored",), l=lead,
        )  # fmt: skip
        factors = [{"factor": "demo", "points": 15}]
        await mutate(stack, tenant, SCORE, l=lead, f=factors)

        event = await next_event(client, id_)
    changed = event["data"]["leadScoreChanged"]
    assert changed["lead"] == {"id": lead, "company": "Kilo"}
    assert changed["newScore"] == 92
    assert changed["scoringFactors"] == [{"factor": "demo", "points": 15}]
    assert isinstance(changed["previousScore"], int)


async def test_pipeline_metrics_follow_a_won_deal(stack: Stack, tenant: str) -> None:
    ids = make_deal(stack, tenant)
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client,
            "subscription($p: ID!) { pipelineMetricsUpdated(pipelineId: $p) { pipeline { name } "
            "totalValue dealCount wonCount conversionRate change changedDealId } }",
            tenant=tenant, topics=[kind.TOPIC for kind in DEAL_EVENTS], p=ids["pipeline"],
        )  # fmt: skip
        await mutate(stack, tenant, MOVE, deal=ids["deal"], stage=ids["Closed Won"])

        assert await next_event(client, id_) == {
            "data": {
                "pipelineMetricsUpdated": {
                    "pipeline": {"name": "Sales"},
                    "totalValue": 0.0,
                    "dealCount": 0,
                    "wonCount": 1,
                    "conversionRate": 100.0,
                    "change": "deal.stage_changed",
                    "changedDealId": ids["deal"],
                }
            }
        }
