"""Marketing journeys for the GraphStore contract: tests/integration/test_marketing_journeys'
world (a lead touched twice, converted into a contact and a deal that is won, the contact
touched again; a contact of no lead with a lost deal; a lead that never converted), with one
of the lead's touches made by a campaign; and a lead touched, converted into a contact
(touched in turn) and a deal which then loses its contact and is won: the deal still has the
touches of the lead and of the contact the lead became."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import deals, lead_conversion, leads, marketing
from tests.integration.test_marketing_journeys import DAY, NOW, World, make_world, touch


@dataclass
class Journeys:
    tenant: str
    world: World
    campaign: uuid.UUID
    campaign_touch: uuid.UUID
    # The deal without a contact, its lead, and the touches of its lead and of its contact.
    detached: uuid.UUID
    detached_lead: uuid.UUID
    detached_touches: tuple[uuid.UUID, uuid.UUID]


async def write_journeys(sessions: async_sessionmaker[AsyncSession], tenant: str) -> Journeys:
    world = await make_world(sessions, tenant)
    scope = Scope(tenant_id=tenant)
    async with sessions() as session, session.begin():
        campaign = await marketing.create_campaign(session, scope=scope, data=marketing.NewCampaign(
            name="Spring Ads", type="google_ads"))  # fmt: skip
        tagged = await marketing.record_touchpoint(session, scope=scope,
            data=marketing.NewTouchpoint(lead_id=world.lead, campaign_id=campaign.id,
                                         utm_source="newsletter", channel="email",
                                         occurred_at=NOW - 15 * DAY))  # fmt: skip
    async with sessions() as session, session.begin():
        lead = await leads.create_lead(session, scope=scope, data=leads.NewLead(
            first_name="Lars", last_name="Later", email="lars@x.test", source="web"))  # fmt: skip
        t6 = await touch(session, scope, 9, lead_id=lead.id)
        done = await lead_conversion.convert_lead(session, scope=scope, lead_id=lead.id,
            data=lead_conversion.Conversion(create_deal=True, deal_value=700,
                                            create_account=False))  # fmt: skip
        assert done.contact is not None and done.deal is not None
        t7 = await touch(session, scope, 4, contact_id=done.contact.id)
        await deals.update_deal(session, scope=scope, deal_id=done.deal.id,
                                changes=deals.DealChanges(contact_id=None))  # fmt: skip
        won = await session.scalar(select(models.PipelineStage.id).where(
            models.PipelineStage.pipeline_id == done.deal.pipeline_id,
            models.PipelineStage.name == "Closed Won"))  # fmt: skip
        assert won is not None
        await deals.move_deal_stage(session, scope=scope, deal_id=done.deal.id, stage_id=won,
                                    reason=None)  # fmt: skip
    return Journeys(tenant, world, campaign.id, tagged.id, done.deal.id, lead.id, (t6, t7))
