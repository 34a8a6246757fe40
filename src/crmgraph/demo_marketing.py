"""The demo tenant's marketing: campaigns, and touchpoints on the contact of its won deal and
on a lead converted into a deal won now, so that revenueAttribution has something to show
in `make run` (and one lead that never converts, for the data-driven model)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import deals, lead_conversion, marketing

# (name, type, budget)
CAMPAIGNS = (
    ("Q1 Cloud Migration Campaign", "google_ads", 25000),
    ("MSP Newsletter", "email", 2000),
    ("Trade Show Berlin", "event", 15000),
)
# (campaign, utm_source, utm_medium); each touch list pairs one with its days ago.
ADS = ("Q1 Cloud Migration Campaign", "google", "cpc")
MAIL = ("MSP Newsletter", "newsletter", "email")
SHOW = ("Trade Show Berlin", "tradeshow", "event")
WON_CONTACT_TOUCHES = ((SHOW, 40), (MAIL, 20), (ADS, 5))  # Barbara Liskov: Factory network
CONVERTED_LEAD_TOUCHES = ((ADS, 30), (MAIL, 12))  # Margaret Hamilton, converted and won
OPEN_LEAD_TOUCHES = ((SHOW, 10),)  # Frances Allen, not converted
CONVERTED_DEAL_VALUE = 40000


async def load_marketing(
    session: AsyncSession, scope: Scope, *, won_contact: UUID, stages: dict[str, UUID]
) -> None:
    campaign_ids = {}
    for name, kind, budget in CAMPAIGNS:
        campaign = await marketing.create_campaign(
            session,
            scope=scope,
            data=marketing.NewCampaign(name=name, type=kind, budget=budget, status="ACTIVE"),
        )
        campaign_ids[name] = campaign.id
    now = datetime.now(UTC).replace(microsecond=0)

    async def touch(
        touches: tuple[tuple[tuple[str, str, str], int], ...],
        *,
        lead_id: UUID | None = None,
        contact_id: UUID | None = None,
    ) -> None:
        for (name, source, medium), days in touches:
            await marketing.record_touchpoint(session, scope=scope, data=marketing.NewTouchpoint(
                campaign_id=campaign_ids[name], utm_source=source, utm_medium=medium,
                utm_campaign=name.lower().replace(" ", "_"),
                landing_page="https://demo.example/cloud", occurred_at=now - timedelta(days=days),
                lead_id=lead_id, contact_id=contact_id))  # fmt: skip

    await touch(WON_CONTACT_TOUCHES, contact_id=won_contact)
    converted = await _lead(session, scope, "margaret@apollo.example")
    await touch(CONVERTED_LEAD_TOUCHES, lead_id=converted)
    await touch(OPEN_LEAD_TOUCHES, lead_id=await _lead(session, scope, "frances@optimize.example"))
    done = await lead_conversion.convert_lead(
        session, scope=scope, lead_id=converted,
        data=lead_conversion.Conversion(create_deal=True, deal_title="Apollo guidance systems",
                                        deal_value=CONVERTED_DEAL_VALUE,
                                        stage_id=stages["Negotiation"]),
    )  # fmt: skip
    assert done.deal is not None
    await deals.move_deal_stage(session, scope=scope, deal_id=done.deal.id,
                                stage_id=stages["Closed Won"], reason="signed")  # fmt: skip


async def _lead(session: AsyncSession, scope: Scope, email: str) -> UUID:
    stmt = scoped(select(models.Lead.id), models.Lead, scope).where(models.Lead.email == email)
    found = await session.scalar(stmt)
    assert found is not None
    return found
