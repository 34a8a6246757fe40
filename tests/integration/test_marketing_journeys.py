"""The journey reader of the SQL GraphStore adapter on PostgreSQL and SQLite: touchpoints
recorded on a lead follow it to the contact and deal it became, tenants never mix, and a
customer's journey comes in time order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import activities, contacts, deals, lead_conversion, leads, marketing
from crmgraph.domain.customer_journey import StepKind
from crmgraph.errors import DomainError
from crmgraph.graph.sql_store import SqlGraphStore
from tests.factories import make_pipeline

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


@dataclass
class World:
    lead: uuid.UUID
    contact: uuid.UUID
    won: uuid.UUID
    lost: uuid.UUID
    open_lead: uuid.UUID
    touches: dict[str, uuid.UUID]


async def touch(
    session: AsyncSession, scope: Scope, days_ago: int, **where: uuid.UUID | None
) -> uuid.UUID:
    row = await marketing.record_touchpoint(
        session,
        scope=scope,
        data=marketing.NewTouchpoint(
            utm_source="google", utm_medium="cpc", occurred_at=NOW - days_ago * DAY, **where
        ),
    )
    return row.id


async def make_world(sessions: async_sessionmaker[AsyncSession], tenant: str) -> World:
    """A lead touched twice, converted into a contact and a deal, the contact touched once
    more, the deal won; a contact of no lead with a lost deal; a lead that never converted."""
    scope = Scope(tenant_id=tenant)
    async with sessions() as session, session.begin():
        _, stages = await make_pipeline(session, scope)
        lead = await leads.create_lead(session, scope=scope, data=leads.NewLead(
            first_name="Lena", last_name="Lead", email="lena@x.test", source="web"))  # fmt: skip
        t1 = await touch(session, scope, 20, lead_id=lead.id)
        t2 = await touch(session, scope, 10, lead_id=lead.id)
        done = await lead_conversion.convert_lead(
            session, scope=scope, lead_id=lead.id,
            data=lead_conversion.Conversion(create_deal=True, deal_value=1000,
                                            create_account=False))  # fmt: skip
        assert done.contact is not None and done.deal is not None
        t3 = await touch(session, scope, 5, contact_id=done.contact.id)
        await deals.move_deal_stage(session, scope=scope, deal_id=done.deal.id,
                                    stage_id=stages["Closed Won"].id, reason=None)  # fmt: skip
        other = await contacts.create_contact(session, scope=scope, data=contacts.NewContact(
            first_name="Otto", last_name="Other"))  # fmt: skip
        t4 = await touch(session, scope, 3, contact_id=other.id)
        lost = await deals.create_deal(session, scope=scope, data=deals.NewDeal(
            title="Lost", value=Decimal(500), contact_id=other.id,
            stage_id=stages["Lead"].id))  # fmt: skip
        lost.status, lost.actual_close_date = "LOST", NOW
        open_lead = await leads.create_lead(session, scope=scope, data=leads.NewLead(
            first_name="Olga", last_name="Open", email="olga@x.test", source="web"))  # fmt: skip
        t5 = await touch(session, scope, 2, lead_id=open_lead.id)
        await activities.log_communication(session, scope=scope, data=activities.NewCommunication(
            type="EMAIL", direction="OUTBOUND", content="hi", subject="Hello",
            timestamp=NOW - 7 * DAY,
            related_to=activities.RelatedRef(type="CONTACT", id=done.contact.id)))  # fmt: skip
        return World(lead.id, done.contact.id, done.deal.id, lost.id, open_lead.id,
                     {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5})  # fmt: skip


def store(sessions: async_sessionmaker[AsyncSession]) -> SqlGraphStore:
    engine = sessions.kw["bind"]
    return SqlGraphStore(engine)


async def test_lead_touches_follow_conversion_to_the_deal(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    world = await make_world(sessions, tenant)
    intruder = f"{tenant}-other"
    await make_world(sessions, intruder)

    journeys = await store(sessions).revenue_journeys(tenant, NOW - 30 * DAY, NOW + DAY)

    by_id = {j.id: j for j in journeys}
    assert set(by_id) == {str(world.won), str(world.lost)}
    won, lost = by_id[str(world.won)], by_id[str(world.lost)]
    t = {name: str(key) for name, key in world.touches.items()}
    assert {x.id for x in won.touchpoints} == {t["t1"], t["t2"], t["t3"]}
    assert won.converted and won.revenue == Decimal("1000.00")
    assert won.lead_id == str(world.lead) and won.lead_created_at is not None
    assert won.opportunity_created_at is not None and won.closed_at is not None
    assert [x.id for x in lost.touchpoints] == [t["t4"]] and not lost.converted


async def test_non_converting_journeys_add_leads_without_a_closed_deal(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    world = await make_world(sessions, tenant)
    await make_world(sessions, f"{tenant}-other")

    journeys = await store(sessions).revenue_journeys(
        tenant, NOW - 30 * DAY, NOW + DAY, non_converting=True
    )

    by_id = {j.id: j for j in journeys}
    assert set(by_id) == {str(world.won), str(world.lost), f"lead:{world.open_lead}"}
    walk = by_id[f"lead:{world.open_lead}"]
    assert [x.id for x in walk.touchpoints] == [str(world.touches["t5"])]
    assert not walk.converted and walk.deal_id is None


async def test_customer_journey_is_in_time_order_and_tenant_bound(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    world = await make_world(sessions, tenant)
    graph = store(sessions)

    steps = await graph.customer_journey(tenant, contact_id=world.contact)

    kinds = [s.kind for s in steps]
    assert kinds[:5] == [StepKind.TOUCHPOINT, StepKind.TOUCHPOINT, StepKind.ACTIVITY,
                         StepKind.TOUCHPOINT, StepKind.DEAL_CREATED]  # fmt: skip
    # The move to the won stage and the close happen in one write: either may be first.
    assert sorted(kinds[5:]) == [StepKind.DEAL_CLOSED, StepKind.STAGE_MOVE]
    t = world.touches
    assert [s.touchpoint_id for s in steps if s.touchpoint_id] == [t["t1"], t["t2"], t["t3"]]
    move = next(s for s in steps if s.kind is StepKind.STAGE_MOVE)
    assert (move.from_stage, move.to_stage) == ("Lead", "Closed Won")
    assert {s.deal_id for s in steps[4:]} == {world.won}
    times = [s.occurred_at for s in steps]
    assert times == sorted(times)
    with pytest.raises(DomainError) as refused:
        await graph.customer_journey(f"{tenant}-other", contact_id=world.contact)
    assert refused.value.code.value == "NOT_FOUND"


async def test_account_journey_gathers_its_contacts(
    sessions: async_sessionmaker[AsyncSession], tenant: str
) -> None:
    world = await make_world(sessions, tenant)
    async with sessions() as session, session.begin():
        account = models.Account(tenant_id=tenant, name="Acme", type="CUSTOMER")
        session.add(account)
        await session.flush()
        for key in (world.contact,):
            contact = await session.get(models.Contact, key)
            assert contact is not None
            contact.account_id = account.id
        account_id = account.id

    steps = await store(sessions).customer_journey(tenant, account_id=account_id)

    assert {s.touchpoint_id for s in steps if s.touchpoint_id} == {
        world.touches["t1"], world.touches["t2"], world.touches["t3"]}  # fmt: skip
    assert StepKind.DEAL_CLOSED in {s.kind for s in steps}
