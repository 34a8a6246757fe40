"""Lead conversion: a lead becomes a contact, an account and optionally a deal, at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.domain import validation
from crmgraph.domain.accounts import NewAccount, create_account
from crmgraph.domain.contacts import NewContact, create_contact, full_name
from crmgraph.domain.deals import NewDeal, create_deal
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import lead_payloads, outbox, payloads


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """What convertLead should make of the lead; ids link existing rows instead of creating."""

    create_contact: bool = True
    contact_id: UUID | None = None
    create_account: bool = True
    account_id: UUID | None = None
    create_deal: bool = False
    deal_title: str | None = None
    deal_value: float | None = None
    pipeline_id: UUID | None = None
    stage_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class Converted:
    lead: models.Lead
    contact: models.Contact | None
    account: models.Account | None
    deal: models.Deal | None


async def convert_lead(
    session: AsyncSession, *, scope: Scope, lead_id: UUID, data: Conversion
) -> Converted:
    """Everything or nothing: the caller's transaction rolls back every row on any failure.

    With createAccount and no accountId, an account named exactly like the lead's company is
    linked if the tenant has one, else created; a lead without a company gets no account.
    """
    lead = await get_scoped(session, models.Lead, lead_id, scope=scope, field="leadId")
    if lead.status == "CONVERTED":
        raise DomainError(ErrorCode.CONFLICT, "the lead is already converted", field="leadId")
    account = await _account_for(session, scope, lead, data)
    contact = await _contact_for(session, scope, lead, account, data)
    deal = None
    if data.create_deal:
        title = data.deal_title or lead.company or full_name(lead.first_name, lead.last_name)
        deal_data = NewDeal(
            title=validation.required_text(title, field="dealTitle"),
            value=float(validation.non_negative_money(data.deal_value or 0, field="dealValue")),
            pipeline_id=data.pipeline_id,
            stage_id=data.stage_id,
            contact_id=None if contact is None else contact.id,
            account_id=None if account is None else account.id,
        )
        deal = await create_deal(session, scope=scope, data=deal_data)
    lead.status = "CONVERTED"
    lead.converted_at = datetime.now(UTC)
    lead.converted_contact_id = None if contact is None else contact.id
    lead.converted_account_id = None if account is None else account.id
    lead.converted_deal_id = None if deal is None else deal.id
    result = {
        "contact_id": None if contact is None else str(contact.id),
        "account_id": None if account is None else str(account.id),
        "deal_id": None if deal is None else str(deal.id),
    }
    await outbox.record(
        session,
        scope=scope,
        event=lead_payloads.LeadConverted,
        row=lead,
        extra={"conversion": result},
    )
    return Converted(lead=lead, contact=contact, account=account, deal=deal)


async def _account_for(
    session: AsyncSession, scope: Scope, lead: models.Lead, data: Conversion
) -> models.Account | None:
    if data.account_id is not None:
        return await get_scoped(
            session, models.Account, data.account_id, scope=scope, field="accountId", lock=False
        )
    if not data.create_account or not (lead.company or "").strip():
        return None
    name = (lead.company or "").strip()
    stmt = scoped(select(models.Account), models.Account, scope).where(models.Account.name == name)
    existing = await session.scalar(stmt.order_by(models.Account.created_at).limit(1))
    if existing is not None:
        return existing
    return await create_account(session, scope=scope, data=NewAccount(name=name))


async def _contact_for(
    session: AsyncSession,
    scope: Scope,
    lead: models.Lead,
    account: models.Account | None,
    data: Conversion,
) -> models.Contact | None:
    account_id = None if account is None else account.id
    if data.contact_id is not None:
        contact = await get_scoped(
            session, models.Contact, data.contact_id, scope=scope, field="contactId"
        )
        if contact.lead_id is not None and contact.lead_id != lead.id:
            raise DomainError(
                ErrorCode.CONFLICT, "the contact comes from another lead", field="contactId"
            )
        contact.lead_id = lead.id
        contact.account_id = contact.account_id or account_id
        await outbox.record(session, scope=scope, event=payloads.ContactUpdated, row=contact)
        return contact
    if not data.create_contact:
        return None
    new = NewContact(
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        phone=lead.phone,
        company=lead.company,
        job_title=lead.job_title,
        account_id=account_id,
    )
    contact = await create_contact(session, scope=scope, data=new)
    contact.lead_id = lead.id
    return contact
