"""The demo tenant's integrations, for `make run` only: a registered Zoho organisation, Zoho
events already received (one mapped, one dead letter to replay) and an outbound webhook with
a few attempts. README's "Try Zoho and webhooks in the demo" uses them.

Their secrets are known values printed in the README, so anyone who reads it could sign
deliveries with them: load() refuses to run anywhere but the embedded demo on loopback
(Settings.is_local_demo, the rule ANONYMOUS_TENANT follows), and `crmgraph seed` skips them
elsewhere.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.auth import rbac
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import webhooks
from crmgraph.errors import DomainError
from crmgraph.events import deliveries
from crmgraph.events.consumers.zoho_mapper import ZohoMapper, mark_processed, record_of
from crmgraph.events.topics import Topic
from crmgraph.zoho import inbound, orgs
from crmgraph.zoho.formats import Delivery, spec000
from crmgraph.zoho.formats.base import hmac_hex
from crmgraph.zoho.mapping import apply_record

# Known on purpose, printed in the README: the embedded demo only (see the module's doc).
DEMO_ZOHO_ORG = "900000001"
DEMO_ZOHO_SECRET = "crmgraphdemozohosecretnotforproduction"  # letters and digits: Books takes it
DEMO_ZOHO_TOKEN = "crmgraph-demo-zoho-token"
# .invalid never resolves (RFC 6761): the demo's events never leave the machine unasked.
DEMO_WEBHOOK_URL = "https://crm-events.demo.invalid/hook"
DEMO_WEBHOOK_SECRET = "whsec_crmgraph_demo_not_for_production"

# Zoho CRM record ids of the two received events.
MAPPED_CONTACT = "3652397000000523001"
DEAD_DEAL = "3652397000000624001"
SEEDED = "seeded demo attempt: nothing was sent"


class KnownSecretsRefused(RuntimeError):
    """Demo data with known secrets was asked for outside the local embedded demo."""


def allowed(settings: Settings) -> bool:
    return settings.is_local_demo


def refuse_unless_allowed(settings: Settings) -> None:
    if not allowed(settings):
        raise KnownSecretsRefused(
            "the Zoho and webhook demo data has known secrets: only for the embedded demo "
            "on this machine (a SQLite DATABASE_URL and a loopback HOST)"
        )


def _delivery(event: dict[str, Any]) -> Delivery:
    """A 000-format delivery of event, read by the same parser as POST /webhooks/zoho/crm."""
    body = json.dumps(event).encode()
    signature = "sha256=" + hmac_hex(DEMO_ZOHO_SECRET, body)
    headers = {spec000.SIGNATURE: signature, spec000.ORG_HEADER: DEMO_ZOHO_ORG}
    return Delivery(module="crm", method="POST", headers=headers, query=(), body=body)


def _event(module: str, record_id: str, when: datetime, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_type": f"{module.lower()[:-1]}.created",
        "module": "crm",
        "timestamp": when.isoformat().replace("+00:00", "Z"),
        "org_id": DEMO_ZOHO_ORG,
        "webhook_id": f"wh_demo_{record_id}",
        "retry_count": 0,
        "data": {
            "id": record_id,
            "entity_type": module,
            "operation": "create",
            "resource_uri": f"/crm/v2/{module}/{record_id}",
            "changed_fields": sorted(details),
            "details": details,
        },
    }


async def _receive(
    session: AsyncSession, tenant: str, event: dict[str, Any]
) -> models.ZohoInboundEvent:
    delivery = _delivery(event)
    form = spec000.FORMAT
    events = form.events(delivery, form.read(delivery))
    correlation = f"corr_demo_{event['webhook_id']}"
    source = inbound.Source(tenant, DEMO_ZOHO_ORG, "crm", form.name, correlation)
    stored = await inbound.store(session, source, events)
    # store() inserts with a core statement: its rows are copies; the session's is this one.
    row = await session.get(models.ZohoInboundEvent, stored.added[0].id)
    assert row is not None
    return row


async def _mapper_delivery(
    session: AsyncSession, row: models.ZohoInboundEvent
) -> models.OutboxDelivery:
    o, d = models.OutboxEvent, models.OutboxDelivery
    stmt = (
        select(d)
        .join(o, o.id == d.outbox_id)
        .where(o.aggregate_id == row.id, d.consumer == ZohoMapper.name)
    )
    found = await session.scalar(stmt)
    assert found is not None, "inbound.store enqueues the mapper's delivery"
    return found


async def receive_early(session: AsyncSession, scope: Scope, settings: Settings) -> None:
    """Before the demo's pipeline exists: register the organisation and receive a Zoho deal,
    which fails to map for want of a pipeline and is made a dead letter at once (the mapper
    would after 8 attempts). Once the pipeline is there, a replay maps it."""
    refuse_unless_allowed(settings)
    await orgs.add_org(session, scope=scope, org_id=DEMO_ZOHO_ORG, secret=DEMO_ZOHO_SECRET,
                       tokens=[DEMO_ZOHO_TOKEN])  # fmt: skip
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    deal = await _receive(session, scope.tenant_id, _event("Deals", DEAD_DEAL, when, {
        "Deal_Name": "Zoho: Spectrum licence", "Amount": 18000, "Stage": "Proposal",
        "Closing_Date": (when + timedelta(days=30)).date().isoformat()}))  # fmt: skip
    delivery = await _mapper_delivery(session, deal)
    try:
        async with session.begin_nested():
            await apply_record(session, Scope(tenant_id=scope.tenant_id, kind="system"),
                               record_of(deal))  # fmt: skip
    except DomainError as exc:
        deliveries.failed(delivery, exc, now=datetime.now(UTC), retry_in=0, max_attempts=1)
        return
    raise AssertionError("the demo deal mapped without a pipeline")


async def receive_late(session: AsyncSession, scope: Scope, settings: Settings) -> None:
    """Once the demo data is in: a Zoho contact received and mapped (as the mapper does),
    and an outbound webhook with two attempts on record."""
    refuse_unless_allowed(settings)
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    contact = await _receive(session, scope.tenant_id, _event("Contacts", MAPPED_CONTACT, when, {
        "First_Name": "Hedy", "Last_Name": "Lamarr", "Email": "hedy.lamarr@initech.example",
        "Title": "Inventor", "Account_Name": "Initech"}))  # fmt: skip
    system = Scope(tenant_id=scope.tenant_id, kind="system")
    async with session.begin_nested():
        mark_processed(contact, await apply_record(session, system, record_of(contact)))
    delivery = await _mapper_delivery(session, contact)
    await deliveries.delivered(session, ZohoMapper.name, [delivery.outbox_id])
    await _webhook(session, scope)


async def _webhook(session: AsyncSession, scope: Scope) -> None:
    data = webhooks.NewWebhook(
        url=DEMO_WEBHOOK_URL,
        events=[Topic.DEAL_STAGE_CHANGED.value],
        filters={Topic.DEAL_STAGE_CHANGED.value: {"stages": ["Closed Won"]}},
        secret=DEMO_WEBHOOK_SECRET,
    )
    # allow_private only skips the DNS lookup: seeding must not need the network, and the
    # dispatcher checks the address again before every attempt.
    admin = replace(scope, permissions=rbac.permissions_for(scope.roles))
    sub = await webhooks.create_subscription(session, scope=admin, data=data, allow_private=True)
    event_id = uuid.uuid4()
    sent = datetime.now(UTC) - timedelta(minutes=30)
    attempts = [(1, False, 503, "Service Unavailable"), (2, True, 200, None)]
    for number, ok, status, error in attempts:
        session.add(models.WebhookDelivery(
            tenant_id=scope.tenant_id, subscription_id=sub.id, event_id=event_id,
            topic=Topic.DEAL_STAGE_CHANGED.value, attempt=number, succeeded=ok, status_code=status,
            response_excerpt=SEEDED, error=error, duration_ms=120,
            created_at=sent + timedelta(minutes=number)))  # fmt: skip


async def describe(session: AsyncSession, tenant: str) -> list[str]:
    """What `crmgraph seed` prints about the demo's integrations: the ids README's commands
    need (event ids are random, and nothing else lists stored Zoho events)."""
    e, d, o = models.ZohoInboundEvent, models.OutboxDelivery, models.OutboxEvent
    dead = await session.scalars(
        scoped(select(e.id), e, tenant)
        .join(o, o.aggregate_id == e.id)
        .join(d, d.outbox_id == o.id)
        .where(e.org_id == DEMO_ZOHO_ORG, d.consumer == ZohoMapper.name,
               d.state == deliveries.DEAD)
        .order_by(e.received_at)
    )  # fmt: skip
    s = models.WebhookSubscription
    hooks = await session.scalars(scoped(select(s.id), s, tenant).where(s.url == DEMO_WEBHOOK_URL))
    lines = [f"demo Zoho organisation {DEMO_ZOHO_ORG} (README: Try Zoho and webhooks)"]
    lines += [f"demo Zoho dead letter: .venv/bin/crmgraph webhooks replay {i}" for i in dead]
    lines += [f"demo webhook: http://localhost:8000/api/v1/webhooks/{i}/deliveries" for i in hooks]
    return lines
