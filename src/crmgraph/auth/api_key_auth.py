"""Checking X-API-Key + X-API-Secret: exists, not revoked or expired, secret and IP match."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.auth.tokens import unauthenticated
from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.db.types import utcnow
from crmgraph.domain.api_keys import ip_allowed, secret_matches

# last_used_at is a hint for admins, not an audit log: one write a minute per key at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


KEY_FORMAT = re.compile(r"ck_[a-z]{3}_[A-Za-z0-9_-]{16,40}")


async def verify_api_key(
    sessions: async_sessionmaker[AsyncSession], key: str, secret: str, client_ip: str | None
) -> models.ApiKey:
    if not KEY_FORMAT.fullmatch(key):
        raise unauthenticated("invalid API key")
    async with sessions() as session:
        found = await session.scalar(select(models.ApiKey).where(models.ApiKey.key == key))
    # One message for unknown key and wrong secret: no oracle for which keys exist.
    if found is None or not secret_matches(secret, found.secret_hash):
        raise unauthenticated("invalid API key")
    now = utcnow()
    if found.revoked_at is not None:
        raise unauthenticated("API key revoked")
    if found.expires_at is not None and found.expires_at <= now:
        raise unauthenticated("API key expired")
    if not ip_allowed(found.ip_allowlist, client_ip):
        raise unauthenticated(f"API key not allowed from {client_ip}")
    if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
        async with sessions() as session, session.begin():
            await session.execute(
                update(models.ApiKey).where(models.ApiKey.id == found.id).values(last_used_at=now)
            )
    return found


def scope_for_key(key: models.ApiKey) -> Scope:
    return Scope(
        tenant_id=key.tenant_id,
        permissions=frozenset(key.permissions),
        subject=f"api_key:{key.id}",
        kind="api_key",
        api_key_id=key.id,
        rate_tier=key.rate_limit_tier,
    )
