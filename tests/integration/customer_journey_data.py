"""Customer journey steps added to a tenant of tests/integration/journey_data, written through
the domain functions, for the GraphStore contract and the projection tests.

The world's contact (its lead touched twice, a won deal moved Lead -> Closed Won, an email)
joins the account Acme, whose own deal (no contact) moves Lead -> Qualification ->
Proposal. Activities: a task about the contact's lead, completed; an event about the won
deal; a call about the account (no subject: titled by its type); a task deleted (never
shown) and one about the open lead (in neither journey). A second lead, touched, converts
into the account alone (no contact). Last, the stage Lead is renamed Inbound: a move shows
its stages' names as they are now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import accounts, activities, contacts, deals, lead_conversion, leads, pipelines
from tests.integration.journey_data import Journeys
from tests.integration.test_marketing_journeys import DAY, NOW, touch


@dataclass
class Steps:
    account: uuid.UUID
    account_deal: uuid.UUID
    lead_task: uuid.UUID
    deal_event: uuid.UUID
    account_call: uuid.UUID
    deleted_task: uuid.UUID
    open_lead_task: uuid.UUID
    account_lead: uuid.UUID
    account_lead_touch: uuid.UUID


def about(kind: str, key: uuid.UUID) -> activities.RelatedRef:
    return activities.RelatedRef(type=kind, id=key)


async def write_steps(sessions: async_sessionmaker[AsyncSession], journeys: Journeys) -> Steps:
    w, scope = journeys.world, Scope(tenant_id=journeys.tenant)
    async with sessions() as session, session.begin():
        won = await session.get(models.Deal, w.won)
        assert won is not None
        stages = {s.name: s.id for s in await session.scalars(select(models.PipelineStage).where(
            models.PipelineStage.pipeline_id == won.pipeline_id))}  # fmt: skip
        account = await accounts.create_account(session, scope=scope,
                                                data=accounts.NewAccount(name="Acme"))  # fmt: skip
        joins = contacts.ContactChanges(account_id=account.id)
        await contacts.update_contact(session, scope=scope, contact_id=w.contact, changes=joins)
        deal = await deals.create_deal(session, scope=scope, data=deals.NewDeal(
            title="Renewal", value=Decimal(300), account_id=account.id,
            stage_id=stages["Lead"]))  # fmt: skip
        for name, reason in (("Qualification", "call went well"), ("Proposal", None)):
            await deals.move_deal_stage(session, scope=scope, deal_id=deal.id,
                                        stage_id=stages[name], reason=reason)  # fmt: skip
        task = await activities.create_task(session, scope=scope, data=activities.NewTask(
            title="Send deck", related_to=about("LEAD", w.lead)))  # fmt: skip
        await activities.complete_task(session, scope=scope, task_id=task.id)
        event = await activities.create_event(session, scope=scope, data=activities.NewEvent(
            title="Demo", start_time=NOW - 6 * DAY, end_time=NOW - 6 * DAY + timedelta(hours=1),
            related_to=about("DEAL", w.won)))  # fmt: skip
        call = await activities.log_communication(session, scope=scope,
            data=activities.NewCommunication(type="CALL", direction="INBOUND", content="hi",
                                             timestamp=NOW - 4 * DAY,
                                             related_to=about("ACCOUNT", account.id)))  # fmt: skip
        gone = await activities.create_task(session, scope=scope, data=activities.NewTask(
            title="Oops", related_to=about("CONTACT", w.contact)))  # fmt: skip
        await activities.delete_task(session, scope=scope, task_id=gone.id)
        other = await activities.create_task(session, scope=scope, data=activities.NewTask(
            title="Chase", related_to=about("LEAD", w.open_lead)))  # fmt: skip
        lead = await leads.create_lead(session, scope=scope, data=leads.NewLead(
            first_name="Ann", last_name="Account", email="ann@x.test", source="web"))  # fmt: skip
        lead_touch = await touch(session, scope, 8, lead_id=lead.id)
        await lead_conversion.convert_lead(session, scope=scope, lead_id=lead.id,
            data=lead_conversion.Conversion(create_contact=False, create_account=False,
                                            account_id=account.id))  # fmt: skip
        await pipelines.update_pipeline_stage(session, scope=scope, pipeline_id=won.pipeline_id,
            stage_id=stages["Lead"], changes=pipelines.StageChanges(name="Inbound"))  # fmt: skip
    return Steps(account.id, deal.id, task.id, event.id, call.id, gone.id, other.id, lead.id,
                 lead_touch)  # fmt: skip
