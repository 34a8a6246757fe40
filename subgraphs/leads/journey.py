"""GraphQL types of customerJourney: the ordered steps of a contact's or an account's path
(touchpoints, activities, deals opened and closed, stage moves)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeAlias
from uuid import UUID

import strawberry

from crmgraph.domain.customer_journey import JourneyStep, StepKind
from crmgraph.gql.context import Info
from crmgraph.gql.enums import graphql_enum
from subgraphs.leads.marketing import Touchpoint
from subgraphs.leads.types import Contact, Deal, Lead

JourneyStepKind: TypeAlias = StepKind
graphql_enum(
    JourneyStepKind, name="JourneyStepKind", description="What a customer journey step is."
)


def _ref(value: UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="One step of a customer journey, oldest first.")
class CustomerJourneyStep:
    id: strawberry.ID
    kind: JourneyStepKind
    occurred_at: datetime
    summary: str = strawberry.field(description="A one-line description for a timeline.")
    activity_id: strawberry.ID | None = strawberry.field(description="ACTIVITY: its id.")
    activity_type: str | None = strawberry.field(description="TASK, EVENT or COMMUNICATION.")
    from_stage: str | None = strawberry.field(description="STAGE_MOVE: the stage left.")
    to_stage: str | None = strawberry.field(description="STAGE_MOVE: the stage entered.")
    step: strawberry.Private[JourneyStep]

    @classmethod
    def of(cls, step: JourneyStep) -> CustomerJourneyStep:
        return cls(
            id=strawberry.ID(str(step.id)),
            kind=step.kind,
            occurred_at=step.occurred_at,
            summary=step.summary,
            activity_id=_ref(step.activity_id),
            activity_type=step.activity_type,
            from_stage=step.from_stage,
            to_stage=step.to_stage,
            step=step,
        )

    @strawberry.field(description="TOUCHPOINT: the touch.")
    async def touchpoint(self, info: Info) -> Touchpoint | None:
        if self.step.touchpoint_id is None:
            return None
        row = await info.context.loaders.touchpoint_by_id.load(self.step.touchpoint_id)
        return None if row is None else Touchpoint.from_row(row)

    @strawberry.field(description="The deal the step is about, if any.")
    def deal(self) -> Deal | None:
        ref = _ref(self.step.deal_id)
        return None if ref is None else Deal(id=ref)

    @strawberry.field(description="The contact the step is about, if known.")
    def contact(self) -> Contact | None:
        ref = _ref(self.step.contact_id)
        return None if ref is None else Contact(id=ref)

    @strawberry.field(description="The lead the step is about, if any.")
    async def lead(self, info: Info) -> Lead | None:
        ref = _ref(self.step.lead_id)
        return None if ref is None else await Lead.resolve_reference(info, ref)


def step_key(step: JourneyStep) -> str:
    """Sorts as the steps do: (occurred_at, id), the time at a fixed width in UTC."""
    return f"{step.occurred_at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}|{step.id}"
