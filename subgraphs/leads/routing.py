"""Lead.routing: the sales rep a qualified lead was routed to, its qualification task and why
(crmgraph.domain.lead_routing; README "Lead routing")."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.gql.shared_types import REFERENCE_ONLY

if TYPE_CHECKING:
    from subgraphs.leads.types import User


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Task:
    id: strawberry.ID


@strawberry.type(
    description="How a lead whose score reached the qualified threshold was routed, once."
)
class LeadRouting:
    assigned_to: Annotated[User, strawberry.lazy("subgraphs.leads.types")] | None = (
        strawberry.field(description="The sales rep chosen; null when the tenant had none.")
    )
    task: Task | None = strawberry.field(
        description="The qualification task made for the rep (null once deleted)."
    )
    matched_specializations: list[str] = strawberry.field(
        description="The rep's specializations that matched the lead's facts."
    )
    reason: str = strawberry.field(description="Why this rep: matches, then load.")
    score: int = strawberry.field(description="The score that qualified the lead.")
    routed_at: datetime

    @classmethod
    def from_row(cls, row: models.LeadRouting) -> LeadRouting:
        from subgraphs.leads.types import User

        return cls(
            assigned_to=None if row.rep_id is None else User(id=strawberry.ID(str(row.rep_id))),
            task=None if row.task_id is None else Task(id=strawberry.ID(str(row.task_id))),
            matched_specializations=list(row.matched or ())[: bounds.SPECIALIZATIONS],
            reason=row.reason,
            score=row.score,
            routed_at=row.created_at,
        )
