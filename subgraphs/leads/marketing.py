"""GraphQL types of marketing data: campaigns and the touchpoints recorded on leads and
contacts (Lead.touchpoints, Contact.touchpoints)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.gql.context import Info


@strawberry.enum
class CampaignStatus(Enum):
    PLANNED = "PLANNED"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="A marketing campaign; touchpoints name it, attribution credits it.")
class Campaign:
    id: strawberry.ID
    name: str
    type: str | None = strawberry.field(description="e.g. google_ads, email, webinar.")
    budget: float | None
    start_date: datetime | None
    end_date: datetime | None
    status: CampaignStatus
    zoho_id: str | None = strawberry.field(description="The Zoho CRM Campaigns record, if any.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Campaign) -> Campaign:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            type=row.type,
            budget=None if row.budget is None else float(row.budget),
            start_date=row.start_date,
            end_date=row.end_date,
            status=CampaignStatus(row.status),
            zoho_id=row.zoho_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One recorded marketing interaction of a lead or a contact.")
class Touchpoint:
    id: strawberry.ID
    lead_id: strawberry.ID | None
    contact_id: strawberry.ID | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    utm_term: str | None
    referrer: str | None
    landing_page: str | None
    channel: str | None = strawberry.field(
        description="As recorded; attribution derives one when null (README)."
    )
    occurred_at: datetime
    campaign_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: models.Touchpoint) -> Touchpoint:
        def ref(value: UUID | None) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(str(value))

        return cls(
            id=strawberry.ID(str(row.id)),
            lead_id=ref(row.lead_id),
            contact_id=ref(row.contact_id),
            utm_source=row.utm_source,
            utm_medium=row.utm_medium,
            utm_campaign=row.utm_campaign,
            utm_content=row.utm_content,
            utm_term=row.utm_term,
            referrer=row.referrer,
            landing_page=row.landing_page,
            channel=row.channel,
            occurred_at=row.occurred_at,
            campaign_id=row.campaign_id,
        )

    @strawberry.field(description="The campaign the touch belongs to, if any.")
    async def campaign(self, info: Info) -> Campaign | None:
        if self.campaign_id is None:
            return None
        row = await info.context.loaders.campaign_by_id.load(self.campaign_id)
        return None if row is None else Campaign.from_row(row)


def latest_touches(*lists: list[models.Touchpoint]) -> list[Touchpoint]:
    """The touches of several loaders' lists, once each, newest first, cut to the bound."""
    rows = {row.id: row for rows in lists for row in rows}
    newest = sorted(rows.values(), key=lambda r: (r.occurred_at, r.id), reverse=True)
    return [Touchpoint.from_row(row) for row in newest[: bounds.TOUCHPOINTS]]
