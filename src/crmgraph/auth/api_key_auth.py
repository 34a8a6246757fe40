"""Checking API keys on every use: exists, not revoked or expired, secret and address match.

X-API-Key requests, the client_credentials grant and every request with a token that grant
issued (its `api_key_id` claim) go through ApiKeys. A key that passed is remembered for
Settings.credential_check_seconds, never longer: a revocation, an expiry or a change of the
allow-list takes effect in every process within that time. Failures are never remembered,
and the token grant always reads the row: a revoked key never gets a new token.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.auth.tokens import unauthenticated
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, same_tenant
from crmgraph.db.types import utcnow
from crmgraph.domain.api_keys import ip_allowed, secret_matches

# last_used_at is a hint for admins, not an audit log: one write a minute per key at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)
CACHE_SIZE = 4096

KEY_FORMAT = re.compile(r"ck_[a-z]{3}_[A-Za-z0-9_-]{16,40}")


@dataclass(frozen=True)
class ApiKeyState:
    """What authentication needs of an api_keys row, read at one moment."""

    id: uuid.UUID
    tenant_id: str
    key: str
    secret_hash: str
    permissions: tuple[str, ...]
    rate_limit_tier: str
    ip_allowlist: tuple[str, ...]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row: models.ApiKey) -> ApiKeyState:
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            key=row.key,
            secret_hash=row.secret_hash,
            permissions=tuple(row.permissions),
            rate_limit_tier=row.rate_limit_tier,
            ip_allowlist=tuple(row.ip_allowlist or ()),
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


class ApiKeys:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._settings = settings
        self._sessions = sessions
        # id -> (monotonic time read, state); keys sent as X-API-Key find their id in _ids.
        self._states: OrderedDict[uuid.UUID, tuple[float, ApiKeyState]] = OrderedDict()
        self._ids: dict[str, uuid.UUID] = {}

    async def verify(
        self, key: str, secret: str, client_ip: str | None, *, fresh: bool = False
    ) -> ApiKeyState:
        """X-API-Key + X-API-Secret, or (fresh) client_id + client_secret of the token grant."""
        if not KEY_FORMAT.fullmatch(key):
            raise unauthenticated("invalid API key")
        known = None if fresh else self._ids.get(key)
        found = self._cached(known) if known is not None else None
        if found is None:
            found = await self._load(models.ApiKey.key == key)
        # One message for unknown key and wrong secret: no oracle for which keys exist.
        if found is None or not secret_matches(secret, found.secret_hash):
            raise unauthenticated("invalid API key")
        return await self._usable(found, client_ip)

    async def recheck(self, key_id: str, tenant_id: str, client_ip: str | None) -> ApiKeyState:
        """The key a token was issued from (its api_key_id claim), checked as if sent."""
        try:
            id_ = uuid.UUID(key_id)
        except ValueError:
            raise unauthenticated("invalid token: api_key_id is not a key id") from None
        found = self._cached(id_) or await self._load(models.ApiKey.id == id_)
        if found is None or not same_tenant(found.tenant_id, tenant_id):
            raise unauthenticated("API key revoked: the token's key no longer exists")
        return await self._usable(found, client_ip)

    def _cached(self, id_: uuid.UUID) -> ApiKeyState | None:
        hit = self._states.get(id_)
        if hit is None or time.monotonic() - hit[0] >= self._settings.credential_check_seconds:
            return None
        return hit[1]

    async def _load(self, where: ColumnElement[bool]) -> ApiKeyState | None:
        async with self._sessions() as session:
            row = await session.scalar(select(models.ApiKey).where(where))
            return None if row is None else ApiKeyState.from_row(row)

    async def _usable(self, found: ApiKeyState, client_ip: str | None) -> ApiKeyState:
        now = utcnow()
        if found.revoked_at is not None:
            raise unauthenticated("API key revoked")
        if found.expires_at is not None and found.expires_at <= now:
            raise unauthenticated("API key expired")
        if not ip_allowed(list(found.ip_allowlist), client_ip):
            raise unauthenticated(f"API key not allowed from {client_ip}")
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    update(models.ApiKey)
                    .where(models.ApiKey.id == found.id)
                    .values(last_used_at=now)
                )
            found = replace(found, last_used_at=now)
        self._remember(found)
        return found

    def _remember(self, state: ApiKeyState) -> None:
        # Kept from its first read, not refreshed by use: a hit never outlives the check time.
        read_at = self._states[state.id][0] if self._cached(state.id) else time.monotonic()
        self._states[state.id] = (read_at, state)
        self._states.move_to_end(state.id)
        self._ids[state.key] = state.id
        if len(self._states) > CACHE_SIZE:
            _, (_, dropped) = self._states.popitem(last=False)
            self._ids.pop(dropped.key, None)


def scope_for_key(key: ApiKeyState) -> Scope:
    return Scope(
        tenant_id=key.tenant_id,
        permissions=frozenset(key.permissions),
        subject=f"api_key:{key.id}",
        kind="api_key",
        api_key_id=key.id,
        rate_tier=key.rate_limit_tier,
    )
