"""Zoho CRM notification channels crmgraph enables (`crmgraph zoho watch`) and keeps alive.

A channel is enabled for an organisation with its OAuth client, our callback URL
(<base>/webhooks/zoho/crm?org_id=<org>) and the first of its tokens Zoho takes (12 to 50
characters), for LIFETIME, and stored (zoho_watch_channels) with renew_at a day before its
expiry. The zoho-mapper's background loop (crmgraph.events.consumers.zoho_mapper, so every
process that runs the consumers: `crmgraph worker` or the in-process runner) looks every
ZOHO_WATCH_CHECK_SECONDS for channels whose renew_at has passed, claims each by moving its
renew_at on (a compare-and-set, so one worker renews a channel at a time, on PostgreSQL and
SQLite alike, with no lock held while Zoho answers) and renews it: PATCH with a new expiry,
or POST when it has ended already (Zoho enables it again). A failure (Zoho unreachable,
refusing, the org without an OAuth client) is kept with the channel (attempts, last_error)
and retried after a backoff of 1 s doubling, at most an hour; nothing it raises stops the
loop or the worker.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.models import ZohoOrg, ZohoWatchChannel
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.types import utcnow
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.zoho import orgs
from crmgraph.zoho.http import ZohoRefused
from crmgraph.zoho.watch_api import LIFETIME, MAX_TOKEN, Watch, WatchApi

log = logging.getLogger("crmgraph.zoho.channels")

RENEW_BEFORE = timedelta(days=1)
LEASE = timedelta(minutes=5)  # a claimed channel's renew_at, while its worker renews it
RETRY_FIRST, RETRY_MOST = 1.0, 3600.0  # seconds
BATCH = 50
MODULE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # a Zoho module's API name


def notify_url(base_url: str, org_id: str) -> str:
    return f"{base_url.rstrip('/')}/webhooks/zoho/crm?org_id={quote(org_id, safe='')}"


def callback_token(org: ZohoOrg) -> str:
    """The org's first token Zoho takes as a channel's token."""
    for token in org.tokens or ():
        if orgs.MIN_KEY <= len(token) <= MAX_TOKEN:
            return token
    raise DomainError(ErrorCode.VALIDATION_ERROR,
                      f"register a token of {orgs.MIN_KEY} to {MAX_TOKEN} characters for the "
                      "organisation first (Zoho sends it back with each notification)",
                      field="tokens")  # fmt: skip


async def prepare(
    session: AsyncSession, *, scope: Scope, org_id: str, modules: Sequence[str], base_url: str
) -> tuple[orgs.OAuthClient, Watch]:
    """What enabling a channel for modules of scope's org_id sends; NOT_FOUND, CONFLICT (a
    channel exists) or VALIDATION_ERROR (no OAuth client or token, a bad module name)."""
    if not modules or not all(MODULE.match(m) for m in modules):
        raise DomainError(ErrorCode.VALIDATION_ERROR,
                          "one or more module API names (Contacts, Leads, Deals, ...)",
                          field="modules")  # fmt: skip
    stmt = scoped(select(ZohoOrg), ZohoOrg, scope).where(ZohoOrg.org_id == org_id)
    org = await session.scalar(stmt)
    if org is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such Zoho organisation", field="org_id")
    oauth = await orgs.find_oauth(session, org_id, scope=scope)
    if oauth is None:
        raise DomainError(ErrorCode.VALIDATION_ERROR,
                          "the organisation has no OAuth client (crmgraph zoho set-oauth)",
                          field="client_id")  # fmt: skip
    channel = ZohoWatchChannel
    existing = await session.scalar(
        scoped(select(channel), channel, scope).where(channel.org_id == org_id)
    )
    if existing is not None:
        raise DomainError(ErrorCode.CONFLICT,
                          f"the organisation has a channel already ({existing.channel_id})",
                          field="org_id")  # fmt: skip
    events = [f"{module}.all" for module in dict.fromkeys(modules)]
    channel_id = str(10**12 + secrets.randbelow(9 * 10**12))  # a number of our choosing
    watch = Watch(channel_id, events, notify_url(base_url, org_id), callback_token(org),
                  utcnow() + LIFETIME)  # fmt: skip
    return oauth, watch


async def enable(
    sessions: async_sessionmaker[AsyncSession], api: WatchApi, *, scope: Scope, org_id: str,
    modules: Sequence[str], base_url: str,
) -> ZohoWatchChannel:  # fmt: skip
    """Enable a channel with Zoho and store it, to be renewed from then on."""
    async with sessions() as session:
        oauth, watch = await prepare(session, scope=scope, org_id=org_id, modules=modules,
                                     base_url=base_url)  # fmt: skip
    expiry = await api.send(sessions, scope, org_id, oauth, "POST", watch)
    row = ZohoWatchChannel(tenant_id=scope.tenant_id, org_id=org_id, channel_id=watch.channel_id,
                           events=list(watch.events), notify_url=watch.notify_url,
                           channel_expiry=expiry, renew_at=expiry - RENEW_BEFORE,
                           renewed_at=utcnow(), attempts=0)  # fmt: skip
    async with sessions() as session, session.begin():
        session.add(row)
    return row


async def renew_due(sessions: async_sessionmaker[AsyncSession], api: WatchApi) -> int:
    """Renew every channel due (of any tenant); how many were renewed."""
    now = utcnow()
    async with sessions() as session:
        found = await session.scalars(
            select(ZohoWatchChannel).where(ZohoWatchChannel.renew_at <= now)
            .order_by(ZohoWatchChannel.renew_at).limit(BATCH)
        )  # fmt: skip
        due = list(found)
    renewed = 0
    for channel in due:
        if not await claim(sessions, channel, now + LEASE):
            continue  # another worker has it
        try:
            await renew(sessions, api, channel)
        except Exception as exc:
            await failed(sessions, channel, exc)
        else:
            renewed += 1
    return renewed


async def claim(
    sessions: async_sessionmaker[AsyncSession], channel: ZohoWatchChannel, until: datetime
) -> bool:
    c = ZohoWatchChannel
    async with sessions() as session, session.begin():
        moved = await session.execute(
            update(c).where(c.id == channel.id, c.renew_at == channel.renew_at)
            .values(renew_at=until)
        )  # fmt: skip
    return getattr(moved, "rowcount", 0) == 1


async def renew(
    sessions: async_sessionmaker[AsyncSession], api: WatchApi, channel: ZohoWatchChannel
) -> None:
    scope = Scope(tenant_id=channel.tenant_id, kind="system")
    async with sessions() as session:
        oauth = await orgs.find_oauth(session, channel.org_id, scope=scope)
        org = await session.scalar(
            scoped(select(ZohoOrg), ZohoOrg, scope).where(ZohoOrg.org_id == channel.org_id)
        )
    if oauth is None or org is None:
        raise ZohoRefused(f"Zoho org {channel.org_id} has no OAuth client to renew with")
    now = utcnow()
    watch = Watch(channel.channel_id, channel.events, channel.notify_url, callback_token(org),
                  now + LIFETIME)  # fmt: skip
    method = "PATCH" if channel.channel_expiry > now else "POST"  # an ended one: enable again
    expiry = await api.send(sessions, scope, channel.org_id, oauth, method, watch)
    await settle(sessions, channel, channel_expiry=expiry, renew_at=expiry - RENEW_BEFORE,
                 renewed_at=now, attempts=0, last_error=None)  # fmt: skip
    log.info("Zoho channel %s of org %s renewed until %s", channel.channel_id,
             channel.org_id, expiry.isoformat())  # fmt: skip


async def failed(
    sessions: async_sessionmaker[AsyncSession], channel: ZohoWatchChannel, exc: Exception
) -> None:
    attempts = channel.attempts + 1
    wait = min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MOST)
    log.warning("Zoho channel %s of org %s not renewed (attempt %d, again in %.0f s): %s",
                channel.channel_id, channel.org_id, attempts, wait, exc)  # fmt: skip
    await settle(sessions, channel, attempts=attempts, last_error=str(exc)[:1000],
                 renew_at=utcnow() + timedelta(seconds=wait))  # fmt: skip


async def settle(
    sessions: async_sessionmaker[AsyncSession], channel: ZohoWatchChannel, **values: object
) -> None:
    c = ZohoWatchChannel
    async with sessions() as session, session.begin():
        await session.execute(update(c).where(c.id == channel.id).values(**values))


async def keep_renewed(
    sessions: async_sessionmaker[AsyncSession], api: WatchApi, *, every: float
) -> None:
    """Renew due channels every `every` seconds until cancelled; a failure to look (the
    database down) is logged once per outage and looked at again next time."""
    failing = False
    while True:
        try:
            await renew_due(sessions, api)
            failing = False
        except Exception as exc:
            if not failing:
                log.warning("Zoho channel renewal paused: %s", exc)
            failing = True
        await asyncio.sleep(every)
