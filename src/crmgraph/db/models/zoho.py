"""Zoho One inbound: the organisations allowed to send webhooks, and the events they sent.

A zoho_orgs row holds an organisation's HMAC secret and shared tokens, and its OAuth client
secret and refresh token (which crmgraph must send to Zoho): keys to compute signatures with or
to present, not passwords, so they cannot be hashed; they are encrypted at rest instead
(crmgraph.db.sealed: a new secret column is `mapped_column(Sealed)`). They are never logged
and never returned by the REST API after registration.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow
from crmgraph.db.sealed import Sealed, SealedList


class ZohoOrg(TenantRow, Base):
    """A Zoho organisation whose webhooks a tenant accepts."""

    __tablename__ = "zoho_orgs"

    org_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str | None] = mapped_column(Sealed)
    tokens: Mapped[list[str]] = mapped_column(SealedList, default=list)
    desk_jwks: Mapped[str | None] = mapped_column(Text)  # Zoho Desk's JWKS: a URL or a file
    # Zoho CRM's REST API (notification callbacks carry ids only; crmgraph.zoho.crm_api):
    # the OAuth client, its refresh token, and the accounts server of the org's data centre.
    oauth_client_id: Mapped[str | None] = mapped_column(Text)
    oauth_client_secret: Mapped[str | None] = mapped_column(Sealed)
    oauth_refresh_token: Mapped[str | None] = mapped_column(Sealed)
    accounts_url: Mapped[str | None] = mapped_column(Text)
    # The Desk webhooks whose deliveries it accepts (their JWT's aud, "webhookId:<id>").
    desk_webhook_ids: Mapped[list[str]] = mapped_column(default=list)


class ZohoAccessToken(TenantRow, Base):
    """The access token an organisation's OAuth client last made (crmgraph.zoho.access_tokens),
    shared by every process: Zoho limits how often a refresh token may make one. client_hash
    says which client made it (a SHA-256 of its credentials), so a client changed in place
    never uses its predecessor's token."""

    __tablename__ = "zoho_access_tokens"

    org_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_hash: Mapped[str] = mapped_column(String(64))
    access_token: Mapped[str] = mapped_column(Sealed)
    api_domain: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]


class ZohoWatchChannel(TenantRow, Base):
    """A Zoho CRM notification channel (actions/watch) crmgraph enabled for an organisation
    and keeps renewed (crmgraph.zoho.channels): Zoho ends it at channel_expiry. renew_at is
    when a worker next renews it (before the expiry; after a failure, its retry); a worker
    claims it by moving renew_at on, so one renews it at a time."""

    __tablename__ = "zoho_watch_channels"
    __table_args__ = (UniqueConstraint("org_id", "channel_id"),)

    org_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(32))
    events: Mapped[list[str]]
    notify_url: Mapped[str] = mapped_column(Text)
    channel_expiry: Mapped[datetime]
    renew_at: Mapped[datetime] = mapped_column(index=True)
    renewed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ZohoInboundEvent(TenantRow, Base):
    """One event of a Zoho webhook delivery, stored before the delivery is acknowledged.

    `module` is the URL's (crm, books, ...), `zoho_module` Zoho's own name of the record's
    module (Contacts, Deals, invoice); `fields` the record's fields as sent, unknown ones
    included. dedupe_key is Zoho's webhook id when it sends one, else module, record id,
    operation and event time: a second delivery with the same key is a duplicate.
    """

    __tablename__ = "zoho_inbound_events"
    __table_args__ = (UniqueConstraint("org_id", "dedupe_key"),)

    org_id: Mapped[str] = mapped_column(String(64))
    module: Mapped[str] = mapped_column(String(32))
    source_format: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(512))
    zoho_module: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(String(128))
    # Zoho's time of the change; the time we received it when Zoho sent none we could read.
    event_time: Mapped[datetime]
    fields: Mapped[dict[str, Any]]
    correlation_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime]
    # Set by the zoho-mapper consumer in the transaction that applies the event, so a
    # retried or replayed delivery never applies it twice: what it became, and when.
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID | None]
