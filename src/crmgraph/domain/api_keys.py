"""API keys for integrations: created by tenant admins, shown once, stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, get_scoped, scoped
from crmgraph.db.types import utcnow
from crmgraph.domain import bounds, validation
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.events import outbox, payloads

TIERS = ("api_integration", "premium_integration", "authenticated_user")
# The public key names its rate-limit tier (ck_int_..., ck_pre_...), so the router can pick
# the tier's bucket before anything is verified; a forged key only fails sooner.
TIER_CODES = {"api_integration": "int", "premium_integration": "pre", "authenticated_user": "usr"}


@dataclass(frozen=True, kw_only=True)
class NewApiKey:
    name: str
    description: str | None = None
    permissions: tuple[str, ...] = ()
    rate_limit_tier: str = "api_integration"
    expires_at: datetime | None = None
    ip_allowlist: tuple[str, ...] = ()


def hash_secret(secret: str) -> str:
    # The secret is 240 random bits: a plain SHA-256 is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def ip_allowed(allowlist: list[str] | None, client_ip: str | None) -> bool:
    """An empty list allows every address; otherwise the client must be in one network."""
    if not allowlist:
        return True
    if client_ip is None:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in allowlist)


async def create_api_key(
    session: AsyncSession, *, scope: Scope, data: NewApiKey
) -> tuple[models.ApiKey, str]:
    """The key and its secret; the secret is not stored and cannot be shown again."""
    if data.rate_limit_tier not in TIERS:
        raise validation.invalid(
            "rateLimitTier", f"rateLimitTier must be one of {', '.join(TIERS)}"
        )
    for i, network in enumerate(data.ip_allowlist):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise validation.invalid(
                f"ipWhitelist.{i}", f"{network!r} is not an IP or network"
            ) from exc
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise validation.invalid("expiresAt", "expiresAt must be in the future")
    for i, permission in enumerate(data.permissions):
        if permission in ("*",) or ":" not in permission:
            raise validation.invalid(f"permissions.{i}", f"{permission!r} is not a permission")
        if set(permission.split(":")[1:]) & {"own", "team"}:
            # A key acts for no user: `own` and `team` would name nobody's rows, and lists
            # are not filtered by owner, so such a grant would read or write too much.
            raise validation.invalid(
                f"permissions.{i}",
                f"{permission!r}: an API key is no user, so own and team levels do not "
                "apply; grant resource:action for the whole tenant, or leave it out",
            )
    secret = "cs_" + secrets.token_urlsafe(30)
    key = models.ApiKey(
        tenant_id=scope.tenant_id,
        name=validation.required_text(data.name, field="name", max_length=200),
        description=data.description,
        key=f"ck_{TIER_CODES[data.rate_limit_tier]}_" + secrets.token_urlsafe(18),
        secret_hash=hash_secret(secret),
        permissions=list(data.permissions),
        rate_limit_tier=data.rate_limit_tier,
        ip_allowlist=list(data.ip_allowlist),
        expires_at=data.expires_at,
        created_by=scope.subject,
    )
    session.add(key)
    await session.flush()
    await outbox.record(session, scope=scope, event=payloads.ApiKeyCreated, row=key)
    return key, secret


async def revoke_api_key(session: AsyncSession, *, scope: Scope, key_id: UUID) -> models.ApiKey:
    key = await get_scoped(session, models.ApiKey, key_id, scope=scope)
    if key.revoked_at is not None:
        raise DomainError(ErrorCode.CONFLICT, "the key is revoked already", field="id")
    key.revoked_at = utcnow()
    await outbox.record(session, scope=scope, event=payloads.ApiKeyRevoked, row=key)
    return key


async def list_api_keys(session: AsyncSession, *, scope: Scope) -> list[models.ApiKey]:
    k = models.ApiKey
    stmt = scoped(select(k), k, scope).order_by(k.created_at, k.id).limit(bounds.API_KEYS)
    return list(await session.scalars(stmt))
