"""Stage automation through the router: a rule written with updatePipelineStage runs when a
deal enters its stage (a task due a day after the move, the deal assigned), its run is
queryable, a redelivered event runs nothing twice, another tenant's rules never fire, and
writing rules needs pipelines:manage."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select

from crmgraph.db import models
from crmgraph.events.consumers.automation import AutomationConsumer
from tests.e2e.test_pipelines import seed_pipeline  # Lead, Proposal, Closed
from tests.settle import settled
from tests.stack import Stack

SET_RULES = """mutation($p: ID!, $s: ID!, $rules: [AutomationRuleInput!]) {
  updatePipelineStage(pipelineId: $p, stageId: $s, input: {automationRules: $rules}) {
    stage { automationRules { id trigger match } } } }"""
CREATE_DEAL = """mutation($title: String!, $value: Float!) {
  createDeal(input: {title: $title, value: $value}) { deal { id } } }"""
MOVE = """mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"""
RUNS = """query($p: ID, $d: ID) { automationRuns(pipelineId: $p, dealId: $d, first: 10) {
  totalCount edges { node { ruleId trigger eventId outcome actions error
    deal { id title } stage { name } pipeline { name } } } } }"""
DEAL = """query($id: ID!) { deal(id: $id) { owner { id }
  activities { edges { node { ... on Task { id title dueDate assignedTo { id } } } } } } }"""
STAGE_RUNS = """query($p: ID!) { pipeline(id: $p) { stages { name
  automationRuns(first: 5) { totalCount edges { node { outcome deal { id } } } } } } }"""


def ok(stack: Stack, query: str, tenant: str, **variables: Any) -> Any:
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert body.get("errors") is None, body
    return body["data"]


async def add_user(stack: Stack, tenant: str) -> UUID:
    """A user of the tenant's directory (users come from the identity provider)."""
    async with stack.runtime.sessions() as session, session.begin():
        user = models.User(tenant_id=tenant, email=f"{uuid.uuid4().hex[:8]}@crm.test",
                           name="Senior Rep")  # fmt: skip
        session.add(user)
    return user.id


def review_rule(user: UUID) -> dict[str, Any]:
    """The API design's Stage Automation example, with a real user."""
    return {
        "trigger": "deal_entered_stage",
        "conditions": [{"field": "value", "operator": "greater_than", "value": 10000}],
        "actions": [
            {"type": "assign_user", "parameters": {"userId": str(user)}},
            {"type": "create_task", "parameters": {"title": "High-value deal review",
                                                   "dueInDays": 1}},
        ],
    }  # fmt: skip


class World:
    """A tenant with a pipeline whose Proposal stage has the review rule."""

    def __init__(self, stack: Stack, tenant: str) -> None:
        self.stack, self.tenant = stack, tenant
        seeded = stack.call(lambda: seed_pipeline(stack, tenant))
        self.pipeline, self.proposal = str(seeded.pipeline), str(seeded.stages[1])
        self.user = stack.call(lambda: add_user(stack, tenant))
        stage = ok(stack, SET_RULES, tenant, p=self.pipeline, s=self.proposal,
                   rules=[review_rule(self.user)])  # fmt: skip
        [self.rule] = stage["updatePipelineStage"]["stage"]["automationRules"]

    def deal(self, title: str, value: float) -> str:
        made = ok(self.stack, CREATE_DEAL, self.tenant, title=title, value=value)
        deal_id: str = made["createDeal"]["deal"]["id"]
        ok(self.stack, MOVE, self.tenant, d=deal_id, s=self.proposal)
        return deal_id

    def runs(self, deal_id: str | None = None, tenant: str | None = None) -> Any:
        data = ok(self.stack, RUNS, tenant or self.tenant, p=self.pipeline, d=deal_id)
        return data["automationRuns"]


async def event_time(stack: Stack, event_id: str) -> datetime:
    async with stack.runtime.sessions() as session:
        e = models.OutboxEvent
        found = await session.scalar(select(e.created_at).where(e.event_id == UUID(event_id)))
        assert found is not None
        return found


def test_a_deal_entering_a_stage_gets_the_task_and_owner_of_its_rule(
    stack: Stack, tenant: str
) -> None:
    world = World(stack, tenant)
    assert world.rule["trigger"] == "deal_entered_stage" and world.rule["match"] == "all"

    big = world.deal("Big", 20000)
    small = world.deal("Small", 500)
    settled(stack, tenant, AutomationConsumer.name)
    runs = world.runs()

    by_deal = {edge["node"]["deal"]["id"]: edge["node"] for edge in runs["edges"]}
    assert runs["totalCount"] == 2
    assert by_deal[small]["outcome"] == "SKIPPED" and by_deal[small]["actions"] == []
    run = by_deal[big]
    assert (run["ruleId"], run["trigger"], run["outcome"], run["error"]) == (
        world.rule["id"], "stage_entered", "SUCCEEDED", None
    )  # fmt: skip
    assert (run["deal"]["title"], run["stage"]["name"], run["pipeline"]["name"]) == (
        "Big", "Proposal", "Sales"
    )  # fmt: skip
    deal = ok(stack, DEAL, tenant, id=big)["deal"]
    [task] = [edge["node"] for edge in deal["activities"]["edges"]]
    moved_at = stack.call(lambda: event_time(stack, run["eventId"]))
    assert deal["owner"] == {"id": str(world.user)}
    assert task["title"] == "High-value deal review"
    assert datetime.fromisoformat(task["dueDate"]) == moved_at + timedelta(days=1)
    assert task["assignedTo"] == {"id": str(world.user)}
    assert run["actions"] == [
        {"type": "assign_user", "userId": str(world.user)},
        {"type": "create_task", "taskId": task["id"],
         "dueDate": (moved_at + timedelta(days=1)).isoformat(), "assignedTo": str(world.user)},
    ]  # fmt: skip
    small_deal = ok(stack, DEAL, tenant, id=small)["deal"]
    assert small_deal["activities"]["edges"] == [] and small_deal["owner"] is None
    stages = ok(stack, STAGE_RUNS, tenant, p=world.pipeline)["pipeline"]["stages"]
    assert {s["name"]: s["automationRuns"]["totalCount"] for s in stages} == {
        "Lead": 0, "Proposal": 2, "Closed": 0
    }  # fmt: skip


async def redeliver(stack: Stack, event_id: str) -> None:
    """Set the automation consumer's delivery of the event back to pending, as an operator
    retrying it would, or as a batch whose commit was lost would leave it."""
    async with stack.runtime.sessions() as session, session.begin():
        e = models.OutboxEvent
        outbox_id = await session.scalar(select(e.id).where(e.event_id == UUID(event_id)))
        assert outbox_id is not None
        session.add(models.OutboxDelivery(consumer=AutomationConsumer.name, outbox_id=outbox_id))


def test_a_redelivered_event_runs_its_rule_once(stack: Stack, tenant: str) -> None:
    world = World(stack, tenant)
    big = world.deal("Big", 20000)
    settled(stack, tenant, AutomationConsumer.name)
    [edge] = world.runs(big)["edges"]
    event_id = edge["node"]["eventId"]

    stack.call(lambda: redeliver(stack, event_id))
    settled(stack, tenant, AutomationConsumer.name)

    assert world.runs(big)["totalCount"] == 1
    tasks = ok(stack, DEAL, tenant, id=big)["deal"]["activities"]["edges"]
    assert len(tasks) == 1


def test_another_tenants_rules_never_fire(stack: Stack, tenant: str) -> None:
    ours, theirs = World(stack, tenant), World(stack, f"t_{uuid.uuid4().hex[:12]}")

    big = ours.deal("Big", 20000)
    settled(stack, tenant, AutomationConsumer.name)

    assert ours.runs(big)["totalCount"] == 1
    assert theirs.runs()["totalCount"] == 0
    # ...nor does either see the other's runs.
    assert ours.runs(big, tenant=theirs.tenant)["totalCount"] == 0


CREATE_PIPELINE = """mutation($stages: [StageInput!]!) {
  createPipeline(input: {name: "P", stages: $stages}) { pipeline { id } } }"""
ADD_STAGE = """mutation($p: ID!, $input: StageInput!) {
  addPipelineStage(pipelineId: $p, input: $input) { stage { id } } }"""
TASK_RULE = {"trigger": "deal_created", "action": "create_task", "parameters": {"title": "Hi"}}


def as_writer(stack: Stack, tenant: str, query: str, **variables: Any) -> Any:
    """A caller who may write pipelines but not manage their automation."""
    token = stack.token(tenant, roles=(), permissions=("pipelines:read", "pipelines:write"))
    return stack.graphql(query, variables, headers={"authorization": f"Bearer {token}"}).json()


def test_writing_rules_needs_pipelines_manage_on_every_mutation(stack: Stack, tenant: str) -> None:
    world = World(stack, tenant)
    plain = {"name": "S", "order": 1, "probability": 10}
    with_rules = {**plain, "automationRules": [TASK_RULE]}

    refused = [
        as_writer(stack, tenant, CREATE_PIPELINE, stages=[with_rules]),
        as_writer(stack, tenant, ADD_STAGE, p=world.pipeline, input={**with_rules, "order": 9}),
        as_writer(stack, tenant, SET_RULES, p=world.pipeline, s=world.proposal, rules=[]),
    ]
    for body in refused:
        [error] = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["extensions"]["required_permissions"] == ["pipelines:manage"]
    assert as_writer(stack, tenant, CREATE_PIPELINE, stages=[plain]).get("errors") is None
    added = as_writer(stack, tenant, ADD_STAGE, p=world.pipeline, input={**plain, "order": 9})
    assert added.get("errors") is None
    # The refused writes changed nothing: the rule is the one World wrote.
    stages = ok(stack, STAGE_RUNS.replace("automationRuns(first: 5) { totalCount edges { node "
                                          "{ outcome deal { id } } } }", "automationRules { id }"),
                tenant, p=world.pipeline)["pipeline"]["stages"]  # fmt: skip
    assert [s["automationRules"] for s in stages if s["name"] == "Proposal"] == [
        [{"id": world.rule["id"]}]
    ]


def test_a_rule_that_cannot_run_is_refused_and_changes_nothing(stack: Stack, tenant: str) -> None:
    world = World(stack, tenant)
    bad = {**review_rule(world.user), "conditions": [
        {"field": "value", "operator": "greater_than", "value": "lots"}
    ]}  # fmt: skip
    unknown_user = review_rule(uuid.uuid4())

    for rules, field in (
        ([bad], "automationRules.0.conditions.0.value"),
        ([unknown_user], "automationRules.0.actions.0.parameters.userId"),
    ):
        body = stack.graphql(SET_RULES, {"p": world.pipeline, "s": world.proposal,
                                         "rules": rules}, tenant=tenant).json()  # fmt: skip
        [error] = body["errors"]
        assert error["extensions"]["field"] == field, error

    again = ok(stack, SET_RULES, tenant, p=world.pipeline, s=world.proposal,
               rules=[{**review_rule(world.user), "id": world.rule["id"]}])  # fmt: skip
    assert again["updatePipelineStage"]["stage"]["automationRules"] == [world.rule]


def test_emit_webhook_reaches_a_subscription_to_deal_automation(stack: Stack, tenant: str) -> None:
    from tests.e2e.webhook_support import SECRET, register
    from tests.webhook_receiver import Receiver

    receiver = Receiver(secret=SECRET)
    receiver.start()
    try:
        world = World(stack, tenant)
        register(stack, tenant, f"{receiver.url}/auto", events=["deal.automation"])
        emit = {"trigger": "stage_entered", "actions": [{"type": "emit_webhook", "parameters": {
            "event": "high_value.review", "data": {"queue": "enterprise"}}}]}  # fmt: skip
        ok(stack, SET_RULES, tenant, p=world.pipeline, s=world.proposal,
           rules=[{**review_rule(world.user), "id": world.rule["id"]}, emit])  # fmt: skip

        big = world.deal("Big", 20000)
        [got] = receiver.wait_for("/auto")
    finally:
        receiver.stop()

    body = got.json
    assert body["event_type"] == "deal.automation"
    data = body["data"]
    assert (data["name"], data["data"], data["deal"]["id"]) == (
        "high_value.review", {"queue": "enterprise"}, big
    )  # fmt: skip
    runs = {e["node"]["ruleId"]: e["node"] for e in world.runs(big)["edges"]}
    emitted = next(r for rule_id, r in runs.items() if rule_id != world.rule["id"])
    assert emitted["actions"] == [
        {"type": "emit_webhook", "event": "high_value.review", "eventId": body["event_id"]}
    ]
    assert data["trigger_event_id"] == emitted["eventId"]
    assert data["rule_id"] == emitted["ruleId"]
