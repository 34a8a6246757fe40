"""A customer's journey: the ordered steps (touchpoints, activities, deal stage moves, deals
opened and closed) of a contact or an account, as a GraphStore reader returns them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


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
