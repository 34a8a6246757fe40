"""The customer health reader on PostgreSQL and SQLite: an account's facts come from it,
its contacts and its deals, in one statement per kind of fact for any number of accounts,
and never from another tenant's rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.domain import activities, contacts, deals
from crmgraph.domain.activities import RelatedRef
from crmgraph.domain.customer_health import account_health, accounts_health
from crmgraph.domain.health import Weights
from crmgraph.domain.health_facts import load_facts
from crmgraph.domain.health_weights import set_weights, tenant_weights
from crmgraph.errors import DomainError, ErrorCode
from tests.factories import make_account, make_pipeline

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


async def ticket(session: AsyncSession, scope: Scope, ref: RelatedRef, number: str) -> None:
    """A communication as crmgraph.zoho.activities records a Desk ticket event."""
    await activities.log_communication(session, scope=scope, data=activities.NewCommunication(
        type="EMAIL", direction="INBOUND", subject=f"Ticket #{number}: Printer on fire",
        content="Zoho Desk ticket", timestamp=NOW - DAY, related_to=ref))  # fmt: skip


async def customer(session: AsyncSession, scope: Scope, name: str) -> UUID:
    """An account with a contact and a deal, each carrying activities: a ticket on the
    contact, an overdue task on the account, an event on the deal, a call on the contact."""
    account = await make_account(session, scope, name=name)
    contact = await contacts.create_contact(session, scope=scope, data=contacts.NewContact(
        first_name="C", last_name=name, account_id=account.id))  # fmt: skip
    pipeline, stages = await make_pipeline(session, scope)
    deal = await deals.create_deal(session, scope=scope, data=deals.NewDeal(
        title="D", value=1000, pipeline_id=pipeline.id, stage_id=stages["Qualification"].id,
        account_id=account.id))  # fmt: skip
    await deals.move_deal_stage(session, scope=scope, deal_id=deal.id,
                                stage_id=stages["Proposal"].id, reason=None)  # fmt: skip
    on_contact = RelatedRef(type="CONTACT", id=contact.id)
    await ticket(session, scope, on_contact, "7")
    await activities.log_communication(session, scope=scope, data=activities.NewCommunication(
        type="CALL", direction="OUTBOUND", content="hi", timestamp=NOW - 2 * DAY,
        related_to=on_contact))  # fmt: skip
    await activities.create_task(session, scope=scope, data=activities.NewTask(
        title="Call back", due_date=NOW - 3 * DAY,
        related_to=RelatedRef(type="ACCOUNT", id=account.id)))  # fmt: skip
    await activities.create_event(session, scope=scope, data=activities.NewEvent(
        title="Demo", start_time=NOW - 4 * DAY, end_time=NOW - 4 * DAY,
        related_to=RelatedRef(type="DEAL", id=deal.id)))  # fmt: skip
    return account.id


@pytest.fixture
def scopes(tenant: str) -> tuple[Scope, Scope]:
    """Our tenant's scope and another tenant's."""
    return Scope(tenant_id=tenant), Scope(tenant_id=f"{tenant}_other")


@pytest.mark.asyncio
async def test_facts_of_many_accounts_in_one_statement_per_kind(
    sessions: async_sessionmaker[AsyncSession], scopes: tuple[Scope, Scope]
) -> None:
    ours, theirs = scopes
    async with sessions() as session, session.begin():
        first = await customer(session, ours, "First")
        second = await customer(session, ours, "Second")
        quiet = (await make_account(session, ours, name="Quiet")).id
        foreign = await customer(session, theirs, "Foreign")
        # Another tenant's rows naming our account's id must never count for it.
        session.add(models.Task(tenant_id=theirs.tenant_id, title="x", related_type="ACCOUNT",
                                related_id=first, due_date=NOW - DAY))  # fmt: skip
        session.add(models.Communication(
            tenant_id=theirs.tenant_id, type="EMAIL", direction="INBOUND", content="x",
            subject="Ticket #99: not yours", occurred_at=NOW - DAY, related_type="ACCOUNT",
            related_id=first))  # fmt: skip

    engine = sessions.kw["bind"]
    statements: list[int] = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    async with sessions() as session:
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        found = await load_facts(session, ours, [first, second, quiet, foreign])
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    # accounts, contacts, deals, stage changes, stages, tasks, communications, events
    assert statements == [8]
    assert set(found) == {first, second, quiet}
    for account in (first, second):
        facts = found[account]
        assert [t.ticket for t in facts.support] == ["7"]
        assert len(facts.tasks) == 1 and facts.tasks[0].overdue_at(datetime.now(UTC))
        assert len(facts.interactions) == 2  # the call and the deal's event
        [deal] = facts.deals
        assert (deal.status, [v.probability for v in deal.stages]) == ("ACTIVE", [25, 50])
    assert found[quiet].support == found[quiet].tasks == found[quiet].deals == ()


@pytest.mark.asyncio
async def test_an_unknown_or_foreign_account_is_not_found(
    sessions: async_sessionmaker[AsyncSession], scopes: tuple[Scope, Scope]
) -> None:
    ours, theirs = scopes
    async with sessions() as session, session.begin():
        foreign = await customer(session, theirs, "Foreign")
    async with sessions() as session:
        for missing in (foreign, UUID(int=5)):
            with pytest.raises(DomainError) as caught:
                await account_health(session, ours, missing)
            assert caught.value.code == ErrorCode.NOT_FOUND
        assert await accounts_health(session, ours, [foreign]) == {}


@pytest.mark.asyncio
async def test_tenant_weights_are_stored_and_used(
    sessions: async_sessionmaker[AsyncSession], scopes: tuple[Scope, Scope]
) -> None:
    ours, theirs = scopes
    async with sessions() as session, session.begin():
        account = await customer(session, ours, "Weighted")
    async with sessions() as session, session.begin():
        await set_weights(session, ours, Weights(1, 0, 0, 0))
    async with sessions() as session:
        assert await tenant_weights(session, ours) == Weights(1, 0, 0, 0)
        assert await tenant_weights(session, theirs) == Weights()
        report = await account_health(session, ours, account)
    # Support only: one ticket (-10) and one overdue task (-10).
    assert report.score == 80.0
    async with sessions() as session, session.begin():
        with pytest.raises(DomainError):
            await set_weights(session, ours, Weights(0, 0, 0, 0))
    async with sessions() as session:
        assert await tenant_weights(session, ours) == Weights(1, 0, 0, 0)
