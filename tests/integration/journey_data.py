"""Marketing journeys for the GraphStore contract: tests/integration/test_marketing_journeys'
world (a lead touched twice, converted into a contact and a deal that is won, the contact
touched again; a contact of no lead with a lost deal; a lead that never converted), with one
of the lead's touches made by a campaign."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.domain import marketing
from tests.integration.test_marketing_journeys import DAY, NOW, World, make_world


@dataclass
class Journeys:
    tenant: str
    world: World
    campaign: uuid.UUID
    campaign_touch: uuid.UUID


async def write_journeys(sessions: async_sessionmaker[AsyncSession], tenant: str) -> Journeys:
    world = await make_world(sessions, tenant)
    scope = Scope(tenant_id=tenant)
    async with sessions() as session, session.begin():
        campaign = await marketing.create_campaign(session, scope=scope, data=marketing.NewCampaign(
            name="Spring Ads", type="google_ads"))  # fmt: skip
        touch = await marketing.record_touchpoint(session, scope=scope,
            data=marketing.NewTouchpoint(lead_id=world.lead, campaign_id=campaign.id,
                                         utm_source="newsletter", channel="email",
                                         occurred_at=NOW - 15 * DAY))  # fmt: skip
    return Journeys(tenant, world, campaign.id, touch.id)
