"""GraphQL types of the leads subgraph."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.domain.contacts import full_name
from crmgraph.domain.leads import QUALIFIED_SCORE
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import json_out


@strawberry.enum
class LeadStatus(Enum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    UNQUALIFIED = "UNQUALIFIED"
    CONVERTED = "CONVERTED"


@strawberry.federation.type(keys=["id"], description="A prospect not yet converted.")
class Lead:
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str
    phone: str | None
    company: str | None
    job_title: str | None
    source: str
    status: LeadStatus
    score: int
    custom_fields: JSON | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Lead) -> Lead:
        return cls(
            id=strawberry.ID(str(row.id)),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=row.phone,
            company=row.company,
            job_title=row.job_title,
            source=row.source,
            status=LeadStatus(row.status),
            score=row.score,
            custom_fields=json_out(row.custom_fields),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Lead | None:
        row = await info.context.loaders.lead_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="First and last name.")
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @strawberry.field(description=f"QUALIFIED or CONVERTED, or a score of {QUALIFIED_SCORE}+.")
    def is_qualified(self) -> bool:
        return self.status in (LeadStatus.QUALIFIED, LeadStatus.CONVERTED) or (
            self.score >= QUALIFIED_SCORE
        )

    @strawberry.field(description="Whole days since the lead was created.")
    def days_since_created(self) -> int:
        return (datetime.now(UTC) - self.created_at).days
