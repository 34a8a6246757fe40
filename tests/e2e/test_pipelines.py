"""Pipelines through the router: deal metrics, stage automation rules, updates and deletes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import deals, pipelines
from tests.stack import Stack

DAY = timedelta(days=1)
STAGES = (("Lead", 10), ("Proposal", 50), ("Closed", 100))


def ok(stack: Stack, query: str, tenant: str, **variables: Any) -> dict[str, Any]:
    response = stack.graphql(query, variables, tenant=tenant)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


def failed(stack: Stack, query: str, tenant: str, **variables: Any) -> list[tuple[str, str]]:
    body = stack.graphql(query, variables, tenant=tenant).json()
    assert body.get("data") is None, body
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


@dataclass(frozen=True, kw_only=True)
class Seeded:
    pipeline: UUID
    stages: list[UUID]


async def seed_pipeline(stack: Stack, tenant: str, name: str = "Sales") -> Seeded:
    scope = Scope(tenant_id=tenant)
    stages = tuple(
        pipelines.NewStage(name=n, order=i + 1, probability=p) for i, (n, p) in enumerate(STAGES)
    )
    async with stack.runtime.sessions() as session, session.begin():
        pipeline, rows = await pipelines.create_pipeline(
            session, scope=scope, data=pipelines.NewPipeline(name=name, stages=stages)
        )
    return Seeded(pipeline=pipeline.id, stages=[s.id for s in rows])


@dataclass(frozen=True, kw_only=True)
class DealSpec:
    value: int
    stage: int
    status: str = "ACTIVE"
    created: timedelta  # before now
    entered: timedelta | None = None  # before now; default: at creation
    closed: timedelta | None = None  # before now
    moves: Sequence[tuple[int | None, int, timedelta]] = ()  # (from stage, to stage, before now)
    # False: history starts with the first move, as for deals from before it was recorded
    creation_recorded: bool = True


async def seed_deals(stack: Stack, tenant: str, seeded: Seeded, specs: list[DealSpec]) -> None:
    """Deals with backdated history; status, dates and stage changes are set directly, as no
    mutation of this subgraph writes them."""
    scope, now, c = Scope(tenant_id=tenant), datetime.now(UTC), models.DealStageChange
    async with stack.runtime.sessions() as session, session.begin():
        for i, spec in enumerate(specs):
            deal = await deals.create_deal(
                session,
                scope=scope,
                data=deals.NewDeal(
                    title=f"D{i}",
                    value=spec.value,
                    pipeline_id=seeded.pipeline,
                    stage_id=seeded.stages[spec.stage],
                ),
            )
            deal.status = spec.status
            deal.created_at = now - spec.created
            deal.stage_entered_at = now - (spec.entered or spec.created)
            deal.actual_close_date = None if spec.closed is None else now - spec.closed
            await session.execute(delete(c).where(c.deal_id == deal.id))
            first = spec.moves[0][0] if spec.moves else spec.stage
            created = [(None, first, spec.created)] if spec.creation_recorded else []
            for source, target, ago in [*created, *spec.moves]:
                session.add(
                    c(
                        tenant_id=tenant,
                        deal_id=deal.id,
                        from_stage_id=None if source is None else seeded.stages[source],
                        to_stage_id=seeded.stages[target],
                        created_at=now - ago,
                    )
                )


METRICS = """query($id: ID!) { pipeline(id: $id) {
  totalValue averageDealSize conversionRate averageSalesCycle
  stages { name dealCount stageValue averageTimeInStage } } }"""


def test_pipeline_metrics_summarise_its_deals(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    hour = timedelta(hours=1)
    specs = [
        # in Lead for 4d 1h so far
        DealSpec(value=1000, stage=0, created=4 * DAY + hour),
        # Lead for 4d, then in Proposal for 6d so far
        DealSpec(value=3000, stage=1, created=10 * DAY, entered=6 * DAY, moves=[(0, 1, 6 * DAY)]),
        # won after 10d: Lead 2d, Proposal 3d, Closed 5d
        DealSpec(
            value=5000,
            stage=2,
            status="WON",
            created=30 * DAY,
            entered=25 * DAY,
            closed=20 * DAY,
            moves=[(0, 1, 28 * DAY), (1, 2, 25 * DAY)],
            creation_recorded=False,
        ),
        # won after 20d 5h, all of it in Closed
        DealSpec(value=2000, stage=2, status="WON", created=40 * DAY, closed=20 * DAY - 5 * hour),
        # won after 3d, in Closed
        DealSpec(value=900, stage=2, status="WON", created=5 * DAY, closed=2 * DAY),
        # lost after 1d in Lead
        DealSpec(value=700, stage=0, status="LOST", created=8 * DAY, closed=7 * DAY),
    ]
    stack.call(lambda: seed_deals(stack, tenant, seeded, specs))

    data = ok(stack, METRICS, tenant, id=str(seeded.pipeline))

    assert data == {
        "pipeline": {
            "totalValue": 4000.0,  # ACTIVE deals only
            "averageDealSize": 2000.0,
            "conversionRate": 75.0,  # 3 WON, 1 LOST
            "averageSalesCycle": 11,  # (10d + 20d 5h + 3d) / 3 = 11d 1h 40m
            "stages": [
                # (4d 1h + 4d + 2d + 1d) / 4
                {"name": "Lead", "dealCount": 1, "stageValue": 1000.0, "averageTimeInStage": 2},
                # (6d + 3d) / 2
                {"name": "Proposal", "dealCount": 1, "stageValue": 3000.0, "averageTimeInStage": 4},
                # (5d + 20d 5h + 3d) / 3
                {"name": "Closed", "dealCount": 0, "stageValue": 0.0, "averageTimeInStage": 9},
            ],
        }
    }


def test_pipeline_without_deals_has_zero_metrics(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))

    data = ok(stack, METRICS, tenant, id=str(seeded.pipeline))

    zero = {"dealCount": 0, "stageValue": 0.0, "averageTimeInStage": 0}
    assert data == {
        "pipeline": {
            "totalValue": 0.0,
            "averageDealSize": 0.0,
            "conversionRate": 0.0,
            "averageSalesCycle": 0,
            "stages": [{"name": name, **zero} for name, _ in STAGES],
        }
    }


LIST = (
    "{ pipelines { stages { dealCount stageValue averageTimeInStage } totalValue conversionRate } }"
)


def test_pipeline_metrics_statements_do_not_grow_with_pipelines(stack: Stack, tenant: str) -> None:
    specs = [
        DealSpec(value=100, stage=0, created=3 * DAY),
        DealSpec(value=50, stage=1, created=5 * DAY, entered=DAY, moves=[(0, 1, DAY)]),
        DealSpec(value=70, stage=2, status="WON", created=9 * DAY, closed=DAY),
    ]
    expected = {
        "stages": [
            {"dealCount": 1, "stageValue": 100.0, "averageTimeInStage": 3},  # (3d + 4d) / 2
            {"dealCount": 1, "stageValue": 50.0, "averageTimeInStage": 1},
            {"dealCount": 0, "stageValue": 0.0, "averageTimeInStage": 8},
        ],
        "totalValue": 150.0,
        "conversionRate": 100.0,
    }
    counts: dict[int, int] = {}
    made = 0
    for n in (2, 10):
        for _ in range(n - made):
            seeded = stack.call(lambda: seed_pipeline(stack, tenant))
            stack.call(lambda s=seeded: seed_deals(stack, tenant, s, specs))  # type: ignore[misc]
        made = n
        with stack.counting_statements() as statements:
            data = ok(stack, LIST, tenant)
        assert data == {"pipelines": [expected] * n}
        counts[n] = statements[0]

    print(f"SQL statements for pipelines with metrics: 2 -> {counts[2]}, 10 -> {counts[10]}")
    assert counts[10] == counts[2], counts
    assert counts[2] <= 5, counts


UPDATE_STAGE = """mutation($p: ID!, $s: ID!, $input: UpdateStageInput!) {
  updatePipelineStage(pipelineId: $p, stageId: $s, input: $input) { stage {
    id name order probability automationRules {
      trigger action parameters conditions { field operator value } actions { type parameters }
    } } } }"""

# The two shapes of the API design's REST examples (update stage, stage automation); the
# design's user id is a placeholder, a user is named by its UUID.
SENIOR_REP = "6f0c8c6e-5d0a-4c43-9d7e-6d1b1b0a2f11"
REST_RULES = [
    {
        "trigger": "stage_entered",
        "action": "create_task",
        "parameters": {"title": "Qualification call", "dueInDays": 1},
    },
    {
        "trigger": "deal_entered_stage",
        "conditions": [{"field": "value", "operator": "greater_than", "value": 10000}],
        "actions": [
            {"type": "assign_user", "userId": SENIOR_REP},
            {"type": "create_task", "title": "High-value deal review", "dueInHours": 24},
        ],
    },
]
GRAPHQL_RULES = [
    {
        "trigger": "stage_entered",
        "action": "create_task",
        "parameters": {"title": "Qualification call", "dueInDays": 1},
        "conditions": [],
        "actions": [],
    },
    {
        "trigger": "deal_entered_stage",
        "action": None,
        "parameters": None,
        "conditions": [{"field": "value", "operator": "greater_than", "value": 10000}],
        "actions": [
            {"type": "assign_user", "parameters": {"userId": SENIOR_REP}},
            {
                "type": "create_task",
                "parameters": {"title": "High-value deal review", "dueInHours": 24},
            },
        ],
    },
]


async def stage_row(stack: Stack, stage_id: UUID) -> models.PipelineStage:
    async with stack.runtime.sessions() as session:
        row = await session.get(models.PipelineStage, stage_id)
        assert row is not None
        return row


async def topics(stack: Stack, tenant: str) -> list[str]:
    e = models.OutboxEvent
    stmt = select(e.topic).where(e.tenant_id == tenant).order_by(e.id)
    async with stack.runtime.sessions() as session:
        return list(await session.scalars(stmt))


async def senior_rep(stack: Stack, tenant: str) -> None:
    async with stack.runtime.sessions() as session, session.begin():
        session.add(models.User(id=UUID(SENIOR_REP), tenant_id=tenant, email="s@crm.test",
                                name="Senior"))  # fmt: skip


def test_update_stage_round_trips_both_automation_rule_shapes(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    stack.call(lambda: senior_rep(stack, tenant))
    stage = seeded.stages[0]
    rules_input = [
        {k: v for k, v in GRAPHQL_RULES[0].items() if k in ("trigger", "action", "parameters")},
        {
            "trigger": "deal_entered_stage",
            "conditions": GRAPHQL_RULES[1]["conditions"],
            "actions": GRAPHQL_RULES[1]["actions"],
        },
    ]
    update = {"name": "Qualified Lead", "probability": 30, "automationRules": rules_input}

    data = ok(stack, UPDATE_STAGE, tenant, p=str(seeded.pipeline), s=str(stage), input=update)

    expected = {
        "id": str(stage),
        "name": "Qualified Lead",
        "order": 1,
        "probability": 30,
        "automationRules": GRAPHQL_RULES,
    }
    assert data == {"updatePipelineStage": {"stage": expected}}
    stored = stack.call(lambda: stage_row(stack, stage)).automation_rules or []
    assert [{k: v for k, v in rule.items() if k != "id"} for rule in stored] == REST_RULES
    assert len({UUID(rule["id"]) for rule in stored}) == 2
    query = """query($id: ID!) { pipeline(id: $id) { stages { id name order probability
      automationRules { trigger action parameters conditions { field operator value }
      actions { type parameters } } } } }"""
    listed = ok(stack, query, tenant, id=str(seeded.pipeline))["pipeline"]["stages"]
    assert listed[0] == expected
    assert [s["automationRules"] for s in listed[1:]] == [[], []]
    assert stack.call(lambda: topics(stack, tenant)) == ["pipeline.created", "pipeline.changed"]


def test_update_stage_rejects_stage_of_another_pipeline_and_bad_probability(
    stack: Stack, tenant: str
) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    other = stack.call(lambda: seed_pipeline(stack, tenant, name="Other"))
    before = stack.call(lambda: topics(stack, tenant))
    p, s = str(seeded.pipeline), str(seeded.stages[0])

    foreign = {"name": "Renamed"}
    assert failed(stack, UPDATE_STAGE, tenant, p=p, s=str(other.stages[0]), input=foreign) == [
        ("VALIDATION_ERROR", "stageId")
    ]
    too_likely = {"name": "Renamed", "probability": 101}
    assert failed(stack, UPDATE_STAGE, tenant, p=p, s=s, input=too_likely) == [
        ("VALIDATION_ERROR", "probability")
    ]
    taken = {"order": 2}
    assert failed(stack, UPDATE_STAGE, tenant, p=p, s=s, input=taken) == [("CONFLICT", "order")]
    unknown = "00000000-0000-0000-0000-000000000000"
    assert failed(stack, UPDATE_STAGE, tenant, p=unknown, s=s, input=foreign) == [
        ("NOT_FOUND", "pipelineId")
    ]

    names = "{ pipelines { name stages { name order probability } } }"
    stages = [{"name": n, "order": i + 1, "probability": pr} for i, (n, pr) in enumerate(STAGES)]
    assert ok(stack, names, tenant) == {
        "pipelines": [{"name": "Sales", "stages": stages}, {"name": "Other", "stages": stages}]
    }
    assert stack.call(lambda: topics(stack, tenant)) == before


def test_update_pipeline_changes_only_given_fields(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    mutation = """mutation($id: ID!, $input: UpdatePipelineInput!) {
      updatePipeline(id: $id, input: $input) { pipeline { name description } } }"""
    pid = str(seeded.pipeline)

    first = ok(stack, mutation, tenant, id=pid, input={"description": "Standard sales process"})
    second = ok(stack, mutation, tenant, id=pid, input={"name": "Enterprise"})
    cleared = ok(stack, mutation, tenant, id=pid, input={"description": None})

    assert [first, second, cleared] == [
        {"updatePipeline": {"pipeline": {"name": "Sales", "description": desc}}}
        for desc in ("Standard sales process",)
    ] + [
        {"updatePipeline": {"pipeline": {"name": "Enterprise", "description": desc}}}
        for desc in ("Standard sales process", None)
    ]
    assert failed(stack, mutation, tenant, id=pid, input={"name": None}) == [
        ("VALIDATION_ERROR", "name")
    ]
    assert (
        stack.call(lambda: topics(stack, tenant)) == ["pipeline.created"] + ["pipeline.updated"] * 3
    )


DELETE = "mutation($id: ID!) { deletePipeline(id: $id) { id deleted } }"


def test_delete_pipeline_with_deals_is_a_conflict(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    stack.call(lambda: seed_deals(stack, tenant, seeded, [DealSpec(value=1, stage=0, created=DAY)]))

    assert failed(stack, DELETE, tenant, id=str(seeded.pipeline)) == [("CONFLICT", "id")]
    query = "query($id: ID!) { pipeline(id: $id) { name stages { name } } }"
    assert ok(stack, query, tenant, id=str(seeded.pipeline)) == {
        "pipeline": {"name": "Sales", "stages": [{"name": n} for n, _ in STAGES]}
    }


def test_delete_unused_pipeline_removes_it_and_its_stages(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    pid = str(seeded.pipeline)

    assert ok(stack, DELETE, tenant, id=pid) == {"deletePipeline": {"id": pid, "deleted": True}}
    assert ok(stack, "query($id: ID!) { pipeline(id: $id) { id } }", tenant, id=pid) == {
        "pipeline": None
    }
    assert failed(stack, DELETE, tenant, id=pid) == [("NOT_FOUND", "id")]

    async def stages_left() -> int:
        st = models.PipelineStage
        async with stack.runtime.sessions() as session:
            found = await session.scalar(
                select(func.count()).where(st.pipeline_id == seeded.pipeline)
            )
            return int(found or 0)

    assert stack.call(stages_left) == 0
    assert stack.call(lambda: topics(stack, tenant)) == ["pipeline.created", "pipeline.deleted"]


ADD = """mutation($p: ID!, $input: StageInput!) { addPipelineStage(pipelineId: $p, input: $input)
  { stage { name order probability } } }"""
REMOVE = """mutation($p: ID!, $s: ID!) { removePipelineStage(pipelineId: $p, stageId: $s)
  { pipeline { stages { name } } } }"""


def test_add_and_remove_stages(stack: Stack, tenant: str) -> None:
    seeded = stack.call(lambda: seed_pipeline(stack, tenant))
    stack.call(lambda: seed_deals(stack, tenant, seeded, [DealSpec(value=1, stage=0, created=DAY)]))
    p = str(seeded.pipeline)
    review = {"name": "Review", "order": 4, "probability": 90}

    assert ok(stack, ADD, tenant, p=p, input=review) == {"addPipelineStage": {"stage": review}}
    assert failed(stack, ADD, tenant, p=p, input={**review, "name": "Again"}) == [
        ("CONFLICT", "order")
    ]
    assert failed(stack, REMOVE, tenant, p=p, s=str(seeded.stages[0])) == [("CONFLICT", "stageId")]
    assert ok(stack, REMOVE, tenant, p=p, s=str(seeded.stages[1])) == {
        "removePipelineStage": {
            "pipeline": {"stages": [{"name": n} for n in ("Lead", "Closed", "Review")]}
        }
    }
    assert stack.call(lambda: topics(stack, tenant)) == [
        "pipeline.created",
        "deal.created",
        "pipeline.changed",
        "pipeline.changed",
    ]
