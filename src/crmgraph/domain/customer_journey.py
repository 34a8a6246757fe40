"""A customer's journey: the ordered steps (touchpoints, activities, deal stage moves, deals
opened and closed) of a contact or an account, as a GraphStore reader returns them.

Both readers (crmgraph.graph.sql_customer_journey on the tables, crmgraph.graph.
neo4j_customer_journey on the projection) make their steps with the functions here, so a step
reads the same whichever answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from crmgraph.errors import DomainError, ErrorCode

CLOSED = ("WON", "LOST")


class StepKind(StrEnum):
    TOUCHPOINT = "TOUCHPOINT"
    ACTIVITY = "ACTIVITY"
    DEAL_CREATED = "DEAL_CREATED"
    STAGE_MOVE = "STAGE_MOVE"
    DEAL_CLOSED = "DEAL_CLOSED"


@dataclass(frozen=True, kw_only=True)
class JourneyStep:
    """One step. `id` is the row's id (unique across kinds: uuid4 rows; a deal's closing step
    has an id derived from the deal's), so (occurred_at, id) orders steps totally."""

    id: UUID
    kind: StepKind
    occurred_at: datetime
    summary: str
    contact_id: UUID | None = None
    lead_id: UUID | None = None
    deal_id: UUID | None = None
    touchpoint_id: UUID | None = None
    activity_id: UUID | None = None
    activity_type: str | None = None  # TASK | EVENT | COMMUNICATION
    from_stage: str | None = None
    to_stage: str | None = None


def ordered(steps: list[JourneyStep]) -> list[JourneyStep]:
    return sorted(steps, key=lambda s: (s.occurred_at, s.id))


def check_subject(contact_id: UUID | None, account_id: UUID | None) -> None:
    """A journey is of a contact or of an account: exactly one of them."""
    if (contact_id is None) == (account_id is None):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "pass contactId or accountId, not both",
                          field="contactId")  # fmt: skip


def activity_facts(kind: str, row: Any) -> tuple[datetime, str]:
    """When an activity (a row, or its event state: the same fields) happened and its title:
    a TASK at its completion, else its creation; an EVENT at its start; a COMMUNICATION when
    it happened, titled by its subject, else its type (EMAIL, CALL, ...)."""
    if kind == "TASK":
        return row.completed_at or row.created_at, row.title
    if kind == "EVENT":
        return row.start_time, row.title
    return row.occurred_at, row.subject or row.type


def touch_step(*, id: UUID, occurred_at: datetime, contact_id: UUID | None,
               lead_id: UUID | None, utm: tuple[str | None, ...], referrer: str | None,
               landing_page: str | None) -> JourneyStep:  # fmt: skip
    """utm: (source, medium, campaign)."""
    where = " / ".join(p for p in utm if p) or referrer or landing_page or "direct"
    return JourneyStep(id=id, kind=StepKind.TOUCHPOINT, occurred_at=occurred_at,
                       summary=f"touchpoint: {where}", contact_id=contact_id, lead_id=lead_id,
                       touchpoint_id=id)  # fmt: skip


def activity_step(*, id: UUID, kind: str, occurred_at: datetime, title: str,
                  related_type: str | None, related_id: UUID | None) -> JourneyStep:  # fmt: skip
    return JourneyStep(
        id=id,
        kind=StepKind.ACTIVITY,
        occurred_at=occurred_at,
        summary=f"{kind.lower()}: {title}",
        contact_id=related_id if related_type == "CONTACT" else None,
        deal_id=related_id if related_type == "DEAL" else None,
        activity_id=id,
        activity_type=kind,
    )


def deal_steps(
    *,
    id: UUID,
    title: str,
    status: str,
    created_at: datetime,
    closed_at: datetime | None,
    contact_id: UUID | None,
) -> list[JourneyStep]:
    """The deal's opening, and its close when it is won or lost."""
    steps = [JourneyStep(id=id, kind=StepKind.DEAL_CREATED, occurred_at=created_at,
                         summary=f"deal opened: {title}", contact_id=contact_id,
                         deal_id=id)]  # fmt: skip
    if status in CLOSED and closed_at is not None:
        steps.append(JourneyStep(id=uuid5(id, "closed"), kind=StepKind.DEAL_CLOSED,
                                 occurred_at=closed_at, summary=f"deal {status.lower()}: {title}",
                                 contact_id=contact_id, deal_id=id))  # fmt: skip
    return steps


def stage_move_step(*, id: UUID, deal_id: UUID, occurred_at: datetime, from_stage: str | None,
                    to_stage: str | None) -> JourneyStep:  # fmt: skip
    """A move between stages, named as they are now (None: the stage is gone)."""
    return JourneyStep(id=id, kind=StepKind.STAGE_MOVE, occurred_at=occurred_at,
                       summary=f"stage: {from_stage or '-'} -> {to_stage}", deal_id=deal_id,
                       from_stage=from_stage, to_stage=to_stage)  # fmt: skip
