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

Zoho CRM notification callbacks carry ids only: for those events the mapper reads the
records from Zoho CRM's REST API with the organisation's OAuth client (crmgraph.zoho.crm_api)
in its prefetch, before the batch's transaction opens (so a slow Zoho holds no row lock, nor
SQLite's write lock): one GET per organisation and module for up to 100 ids. It then maps
what Zoho holds now, timed by its Modified_Time; a delete needs no read, and a record Zoho no
longer has is applied as a delete. Zoho being unreachable, slow or failing (5xx, 429) is a
TransientFailure of each event of that GET: retried with backoff for as long as it lasts,
never dead; refused credentials are an ordinary failure of each.

Its background loop keeps the Zoho CRM notification channels crmgraph enabled alive
(crmgraph.zoho.channels.keep_renewed, every ZOHO_WATCH_CHECK_SECONDS), with the same access
tokens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped
from crmgraph.db.types import utcnow
from crmgraph.errors import TransientFailure
from crmgraph.events.bus import BusEvent
from crmgraph.events.consumers.base import Consumer, batch_session, prefetched
from crmgraph.events.envelope import Envelope
from crmgraph.events.states import ZohoInboundEventState
from crmgraph.events.zoho_payloads import ZohoRecordReceived
from crmgraph.zoho import channels, orgs
from crmgraph.zoho.crm_api import Endpoints, ZohoCrmApi, ZohoRefused
from crmgraph.zoho.formats.base import event_time
from crmgraph.zoho.formats.crm_notification import is_notification
from crmgraph.zoho.mapping import Applied, apply_record
from crmgraph.zoho.records import ZohoRecord
from crmgraph.zoho.watch_api import WatchApi

if TYPE_CHECKING:
    from crmgraph.runtime import Runtime


class ZohoMapper(Consumer):
    name: ClassVar[str] = "zoho-mapper"
    batch_size: ClassVar[int] = 50
    # One to two minutes of retries before a dead letter: waits of 1 s doubling, at most 60 s,
    # each between half and all of that (equal jitter), 123 s at most over the 7 waits.
    max_attempts: ClassVar[int] = 8
    retry_backoff: ClassVar[float] = 1.0
    prefetches: ClassVar[bool] = True  # notification callbacks' records, read from Zoho
    background_connections: ClassVar[int] = 1  # the channel renewal's, one at a time

    def __init__(self, api: ZohoCrmApi, *, watch_every: float = 300.0) -> None:
        self.api = api  # where Zoho is (Settings); access tokens are in the database
        self.watch_every = watch_every  # seconds between looks for channels to renew

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Self:
        s = runtime.settings
        endpoints = Endpoints(s.zoho_accounts_url, s.zoho_api_domain, s.zoho_api_timeout_seconds)
        return cls(ZohoCrmApi(endpoints), watch_every=s.zoho_watch_check_seconds)

    def background(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> Coroutine[Any, Any, None] | None:
        return channels.keep_renewed(sessions, WatchApi(self.api.tokens), every=self.watch_every)

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
            if is_notification(row.source_format) and needs_read(
                record.operation, record.record_id, record.zoho_module
            ):
                record = fetched(record, prefetched(event))
            applied = await apply_record(session, scope, record)
            mark_processed(row, applied)
        # The mapped writes' own events commit with the batch; the runner then looks again.

    def must_prefetch(self, events: Sequence[BusEvent]) -> bool:
        return any(True for _ in _reads(events))

    async def prefetch(
        self, sessions: async_sessionmaker[AsyncSession], events: Sequence[BusEvent]
    ) -> Mapping[int, object]:
        """The records of the batch's notification events from Zoho, by outbox id: a
        Fetched, or the exception reading it raised (handle() raises it)."""
        groups: defaultdict[tuple[str, str, str], list[tuple[int, str]]] = defaultdict(list)
        for event, stored in _reads(events):
            key = (stored.tenant_id, stored.org_id, stored.zoho_module)
            groups[key].append((event.id, str(stored.record_id)))
        answers: dict[int, object] = {}
        for (tenant_id, org_id, module), wanted in groups.items():
            try:
                records = await self.read(sessions, tenant_id, org_id, module, wanted)
            except Exception as exc:  # each event of the group fails with it, on its own
                answers.update(dict.fromkeys((outbox_id for outbox_id, _ in wanted), exc))
                continue
            answers.update({i: Fetched(records[record_id]) for i, record_id in wanted})
        return answers

    async def read(
        self, sessions: async_sessionmaker[AsyncSession], tenant_id: str, org_id: str,
        module: str, wanted: list[tuple[int, str]],
    ) -> dict[str, dict[str, Any] | None]:  # fmt: skip
        scope = Scope(tenant_id=tenant_id, kind="system")
        async with sessions() as session:
            oauth = await orgs.find_oauth(session, org_id, scope=scope)
        if oauth is None:
            raise ZohoRefused(
                f"Zoho org {org_id} has no OAuth client registered to read its records "
                "with (crmgraph zoho add-org --client-id ...)"
            )
        ids = [rid for _, rid in wanted]
        return await self.api.records(sessions, scope, org_id, oauth, module, ids)


def _reads(events: Sequence[BusEvent]) -> Iterator[tuple[BusEvent, ZohoInboundEventState]]:
    """The events whose record must be read from Zoho (notification callbacks'), each with
    its stored row."""
    for event in events:
        payload = Envelope.of(event).payload
        if not isinstance(payload, ZohoRecordReceived):
            continue
        stored = payload.zoho_inbound_event
        if is_notification(stored.source_format) and needs_read(
            stored.operation, stored.record_id, stored.zoho_module
        ):
            yield event, stored


@dataclass(frozen=True)
class Fetched:
    """A notification's record as Zoho's API answered it; None: Zoho has no such record."""

    fields: dict[str, Any] | None


def needs_read(operation: str, record_id: str | None, zoho_module: str | None) -> bool:
    """Whether a notification's record must be read from Zoho (a delete is as it is)."""
    return operation != "delete" and bool(record_id) and bool(zoho_module)


def fetched(record: ZohoRecord, answer: object) -> ZohoRecord:
    """A notification's record as Zoho CRM holds it now, from what prefetch read."""
    if isinstance(answer, Exception):
        raise answer
    if not isinstance(answer, Fetched):  # its batch did not read it: try again later
        raise TransientFailure(f"Zoho record {record.record_id} was not read before its batch")
    if answer.fields is None:  # Zoho has no such record (any more)
        return replace(record, operation="delete")
    when = event_time(answer.fields.get("Modified_Time")) or record.event_time
    return replace(record, fields=answer.fields, event_time=when)


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
