"""The zoho-mapper consumer: applies each stored Zoho webhook event to the tenant's data.

It wants only `zoho.record_received` events (recorded by crmgraph.zoho.inbound with the
stored row, before the webhook was acknowledged). For each it locks the stored row, applies
it with crmgraph.zoho.mapping.apply_record (the API's domain functions, so the same rules
hold and the same events go out through the outbox), and marks the row processed with its
outcome, in a savepoint of the batch's own transaction (base.batch_session): the writes
commit with the batch's deletion of the delivery, and an event whose row is already
processed (replayed, or handled by a batch that then failed) changes nothing, so every Zoho
event is applied exactly once.

Unordered: out-of-order Zoho updates are resolved by the records' own times (the mapper skips
an older one), so workers share the events and a failing one holds back no other. A failure
(a record our rules cannot take, two first deliveries of one record at once) rolls back
and is retried with backoff; after max_attempts the event is a dead letter with its last
error, and `crmgraph webhooks replay ID` (or POST /api/v1/zoho/events/{id}/replay) runs it
again, e.g. once the cause is fixed.

Zoho CRM notification callbacks carry ids only: for those events the mapper first reads the
record from Zoho CRM's REST API with the organisation's OAuth client (crmgraph.zoho.crm_api)
and maps what Zoho holds now, timed by its Modified_Time; a delete needs no read, and a
record Zoho no longer has is applied as a delete. Zoho being unreachable, slow or failing
(5xx, 429) is a TransientFailure: retried with backoff for as long as it lasts, never dead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, Self

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped
from crmgraph.db.types import utcnow
from crmgraph.events.bus import BusEvent
from crmgraph.events.consumers.base import Consumer, batch_session
from crmgraph.events.envelope import Envelope
from crmgraph.events.zoho_payloads import ZohoRecordReceived
from crmgraph.zoho import orgs
from crmgraph.zoho.crm_api import Endpoints, ZohoCrmApi, ZohoRefused
from crmgraph.zoho.formats.base import event_time
from crmgraph.zoho.formats.crm_notification import is_notification
from crmgraph.zoho.mapping import Applied, apply_record
from crmgraph.zoho.records import ZohoRecord

if TYPE_CHECKING:
    from crmgraph.runtime import Runtime


class ZohoMapper(Consumer):
    name: ClassVar[str] = "zoho-mapper"
    batch_size: ClassVar[int] = 50
    # One to two minutes of retries before a dead letter: waits of 1 s doubling, at most 60 s,
    # each between half and all of that (equal jitter), 123 s at most over the 7 waits.
    max_attempts: ClassVar[int] = 8
    retry_backoff: ClassVar[float] = 1.0

    def __init__(self, api: ZohoCrmApi) -> None:
        self.api = api  # where Zoho is (Settings) and the access tokens it has cached

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Self:
        s = runtime.settings
        endpoints = Endpoints(s.zoho_accounts_url, s.zoho_api_domain, s.zoho_api_timeout_seconds)
        return cls(ZohoCrmApi(endpoints))

    async def handle(self, event: BusEvent) -> None:
        payload = Envelope.of(event).payload
        if not isinstance(payload, ZohoRecordReceived):
            return  # not ours: only its topic gets deliveries for this consumer
        stored = payload.zoho_inbound_event
        scope = Scope(tenant_id=stored.tenant_id, kind="system")
        session = batch_session()
        async with session.begin_nested():  # a failure takes back this event's writes only
            row = await get_scoped(session, models.ZohoInboundEvent, stored.id, scope=scope)
            if row.processed_at is not None:
                return
            record = record_of(row)
            if is_notification(row.source_format):
                record = await self.fetched(session, scope, record)
            applied = await apply_record(session, scope, record)
            mark_processed(row, applied)
        # The mapped writes' own events commit with the batch; the runner then looks again.

    async def fetched(self, session: AsyncSession, scope: Scope, record: ZohoRecord) -> ZohoRecord:
        """A notification's record as Zoho CRM holds it now (a delete as it is)."""
        if record.operation == "delete" or not record.record_id or not record.zoho_module:
            return record
        oauth = await orgs.find_oauth(session, record.org_id, scope=scope)
        if oauth is None:
            raise ZohoRefused(
                f"Zoho org {record.org_id} has no OAuth client registered to read its records "
                "with (crmgraph zoho add-org --client-id ...)"
            )
        fields = await self.api.record(record.org_id, oauth, record.zoho_module, record.record_id)
        if fields is None:  # Zoho has no such record (any more)
            return replace(record, operation="delete")
        when = event_time(fields.get("Modified_Time")) or record.event_time
        return replace(record, fields=fields, event_time=when)


def record_of(row: models.ZohoInboundEvent) -> ZohoRecord:
    """The stored event as the mapper takes it. Keys starting with `$` are ours (000's
    envelope is kept under `$webhook`), not the record's fields."""
    return ZohoRecord(
        org_id=row.org_id,
        module=row.module,
        zoho_module=row.zoho_module,
        operation=row.operation,
        record_id=row.record_id,
        event_time=row.event_time,
        fields={k: v for k, v in row.fields.items() if not k.startswith("$")},
    )


def mark_processed(row: models.ZohoInboundEvent, applied: Applied) -> None:
    row.processed_at = utcnow()
    row.outcome = applied.outcome.value
    row.entity_id = applied.entity_id
