"""Runs of stage automation rules as GraphQL: AutomationRun, and the connections that list
them (PipelineStage.automationRuns, Query.automationRuns), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.db.filtering import Condition, Filter
from crmgraph.db.pagination import PageArgs, Sort
from crmgraph.domain.automation_runs import Outcome
from crmgraph.gql.connections import Connection
from crmgraph.gql.context import Info
from crmgraph.gql.enums import graphql_enum
from crmgraph.gql.lists import root_connection
from crmgraph.gql.shared_types import REFERENCE_ONLY

if TYPE_CHECKING:
    from subgraphs.pipelines.types import Pipeline, PipelineStage

TYPES = "subgraphs.pipelines.types"
NEWEST_FIRST = Sort("created_at", descending=True)


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Deal:
    id: strawberry.ID


AutomationOutcome: TypeAlias = Outcome
graphql_enum(AutomationOutcome, name="AutomationOutcome", description="How a rule's run ended.")


@strawberry.type(
    description="One run of an automation rule: the event that triggered it, the deal, and "
    "what it did. SUCCEEDED: every action ran (`actions`); SKIPPED: its conditions did not "
    "hold; FAILED: an action was refused (`error`), and none of its actions stayed."
)
class AutomationRun:
    id: strawberry.ID
    rule_id: strawberry.ID = strawberry.field(description="The id of the stage's rule.")
    trigger: str = strawberry.field(description="e.g. stage_entered.")
    event_id: strawberry.ID = strawberry.field(
        description="The triggering domain event's id (the webhooks' event_id)."
    )
    outcome: AutomationOutcome
    actions: list[JSON] = strawberry.field(
        description="What each action did, in order: {type, taskId, dueDate, assignedTo} for "
        "create_task, {type, userId}, {type, field, value}, {type, event, eventId}."
    )
    error: str | None
    created_at: datetime
    pipeline_id: strawberry.Private[UUID]
    stage_id: strawberry.Private[UUID]
    deal_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.AutomationRun) -> AutomationRun:
        return cls(
            id=strawberry.ID(str(row.id)),
            rule_id=strawberry.ID(str(row.rule_id)),
            trigger=row.trigger,
            event_id=strawberry.ID(str(row.event_id)),
            outcome=AutomationOutcome(row.outcome),
            actions=[JSON(action) for action in row.actions],
            error=row.error,
            created_at=row.created_at,
            pipeline_id=row.pipeline_id,
            stage_id=row.stage_id,
            deal_id=row.deal_id,
        )

    @strawberry.field(description="The deal the rule ran for.")
    def deal(self) -> Deal:
        return Deal(id=strawberry.ID(str(self.deal_id)))

    @strawberry.field(description="The stage whose rule ran (null once removed).")
    async def stage(self, info: Info) -> Annotated[PipelineStage, strawberry.lazy(TYPES)] | None:
        from subgraphs.pipelines.types import PipelineStage

        return await PipelineStage.resolve_reference(info, strawberry.ID(str(self.stage_id)))

    @strawberry.field(description="The stage's pipeline (null once deleted).")
    async def pipeline(self, info: Info) -> Annotated[Pipeline, strawberry.lazy(TYPES)] | None:
        from subgraphs.pipelines.types import Pipeline

        return await Pipeline.resolve_reference(info, strawberry.ID(str(self.pipeline_id)))


async def runs(
    info: Info, args: PageArgs, **columns: UUID | str | None
) -> Connection[AutomationRun]:
    """The tenant's runs whose columns equal the given values (None: any), newest first."""
    spec = Filter(tuple(Condition(name, "eq", value) for name, value in columns.items()
                        if value is not None))  # fmt: skip
    return await root_connection(
        info.context, models.AutomationRun, AutomationRun.from_row, args, spec, NEWEST_FIRST
    )
