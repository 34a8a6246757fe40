"""Zoho records turned into crmgraph's entities: apply_record, the one entry point.

CRM Contacts, Leads, Deals and Accounts are upserted on the Zoho record id (crmgraph.zoho.crm,
fields read by crmgraph.zoho.crm_fields); every other record becomes a communication
(crmgraph.zoho.activities). Writes go through the domain functions, inside the caller's
transaction: it commits, and the outbox events commit with it.

| Zoho CRM field | ours | notes |
|---|---|---|
| id | zoho_id | unique per tenant; the upsert key |
| (event_time) | zoho_modified_at | a record not newer than it is skipped |
| Contacts/Leads First_Name | first_name | "-" when empty (Zoho's is optional) |
| Contacts/Leads Last_Name | last_name | a create without it fails |
| Contacts/Leads Email | email | a lead create without a valid one fails |
| Contacts/Leads Phone | phone | |
| Contacts Title, Leads Designation | job_title | |
| Contacts Account_Name {id, name} | account_id | by Zoho id, else made from the name |
| Account_Name as plain text | account_id | the account of that name, else dropped |
| Contacts Mailing_Street/City/State/Zip/Country | address | street, city, ... |
| Leads Company | company | |
| Leads Lead_Source | source | "Zoho CRM" when empty |
| Leads Lead_Status | status | see LEAD_STATUSES (crm_fields) |
| Deals Deal_Name | title | a create without it fails |
| Deals Amount | value | null is 0 |
| Deals Currency, Probability, Description | currency, probability, description | |
| Deals Stage | stage | by name in the pipeline (new deals: the oldest) |
| Deals Closing_Date | expected_close_date | midnight UTC |
| Deals Account_Name {id, name} | account_id | as for contacts |
| Deals Contact_Name {id, name} | contact_id | by Zoho id, else dropped |
| Accounts Account_Name | name | a create without it fails |
| Accounts Website, Industry | website, industry | |
| Accounts Employees, Annual_Revenue | employees, annual_revenue | |
| Accounts Account_Type | type | ours by name, others OTHER |
| Accounts Parent_Account {id, name} | parent_account_id | as Account_Name |
| Accounts Billing_Street/City/State/Code/Country | address | |
| any other field | custom_fields["zoho"] | as Zoho sent it, replaced by each newer record |

A field absent from the record keeps our value; a present null clears it (where ours may
be null). A value our rules refuse (an email our check rejects, a negative amount, text
longer than the column, an unknown stage) is dropped: the entity keeps its value, the
field stays in custom_fields["zoho"] as sent, and Applied.dropped names it with the reason.
Only a create missing what the entity cannot exist without fails the record, with a
VALIDATION_ERROR (crmgraph.errors.DomainError) naming the Zoho field. A delete removes the
entity (delete_*: its deleted event fires); a delete of a record we never had changes
nothing (SKIPPED_UNKNOWN). Operations other than "delete" upsert, so an update older than
a delete that arrives after it recreates the entity: nothing remembers deleted ids yet.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.scoping import Scope
from crmgraph.zoho.activities import record_activity
from crmgraph.zoho.crm import KINDS, upsert
from crmgraph.zoho.crm_fields import Write
from crmgraph.zoho.records import Applied, Dropped, Outcome, ZohoRecord
from crmgraph.zoho.values import Reader

__all__ = ["Applied", "Dropped", "Outcome", "ZohoRecord", "apply_record"]


async def apply_record(session: AsyncSession, scope: Scope, record: ZohoRecord) -> Applied:
    """Apply one Zoho record to scope's tenant, as scope's user (the actor of its events).
    Writes are flushed, not committed. Raises DomainError when the record cannot be applied
    (see the module's docstring); anything refused then is rolled back with the caller's
    transaction."""
    kind = KINDS.get((record.zoho_module or "").lower()) if record.module == "crm" else None
    if kind is None:
        return await record_activity(session, scope, record)
    return await upsert(Write(session, scope, record, Reader(record.fields)), kind)
