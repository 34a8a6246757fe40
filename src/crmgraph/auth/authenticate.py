"""The one entry point from request credentials to a Scope (or UNAUTHENTICATED).

Order: `Authorization: Bearer <jwt>`, then `X-API-Key` + `X-API-Secret`, then, only when
ANONYMOUS_TENANT is configured (local `make run`), an anonymous tenant admin. `X-Tenant-ID`
(the design's tenant context header) may name another tenant only for a system admin, whose
`*` permission spans tenants; for anyone else it must be their own tenant or absent. Roles map to
permissions through auth.rbac, or a tenant's own tenant_roles rows (cached briefly). A token
/oauth2/token issued (it names its key in `api_key_id`) works only while that key would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.auth import rbac
from crmgraph.auth.api_key_auth import ApiKeys, scope_for_key
from crmgraph.auth.tokens import TokenVerifier, unauthenticated
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, same_tenant, scoped
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.security_log import security_event


class Authenticator:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._settings = settings
        self._sessions = sessions
        self._tokens = TokenVerifier(settings)
        self.api_keys = ApiKeys(settings, sessions)
        self._roles: dict[str, tuple[float, dict[str, tuple[str, ...]]]] = {}
        self._roles_reading: dict[str, asyncio.Future[dict[str, tuple[str, ...]]]] = {}

    async def authenticate(self, headers: Mapping[str, str], client: str | None = None) -> Scope:
        """headers: lower-case names; client: the caller's address, as the app established it
        (subgraphs: gql.router_gate; REST: client_ip). Failures are logged as security
        events, then raised."""
        try:
            scope = await self._authenticate(headers, client)
        except Exception as exc:
            security_event(
                "authentication_failed",
                request_id=headers.get("x-request-id"),
                reason=str(exc),
                credential="bearer" if "authorization" in headers else (
                    "api_key" if "x-api-key" in headers else "none"),
            )  # fmt: skip
            raise
        return switch_tenant(scope, headers.get("x-tenant-id"))

    async def _authenticate(self, headers: Mapping[str, str], ip: str | None) -> Scope:
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise unauthenticated("Authorization must be 'Bearer <token>'")
            claims = await self._tokens.verify(token.strip())
            tenant = claims.get("tenant_id")
            overrides = await self.role_overrides(tenant) if isinstance(tenant, str) else {}
            scope = scope_from_claims(claims, overrides)
            if claims.get("api_key_id"):
                # A token issued for an API key is only as good as the key is now.
                await self.api_keys.recheck(str(claims["api_key_id"]), scope.tenant_id, ip)
            return scope
        if headers.get("x-api-key"):
            key = await self.api_keys.verify(
                headers["x-api-key"], headers.get("x-api-secret", ""), ip
            )
            return scope_for_key(key)
        if self._settings.anonymous_tenant:
            return Scope(
                tenant_id=self._settings.anonymous_tenant,
                roles=("tenant_admin",),
                permissions=rbac.permissions_for(("tenant_admin",)),
                kind="anonymous",
            )
        raise unauthenticated("missing credentials: send Authorization: Bearer <token>")

    async def role_overrides(self, tenant_id: str) -> dict[str, tuple[str, ...]]:
        cached = self._roles.get(tenant_id)
        if cached is not None and time.monotonic() - cached[0] < self._settings.auth_cache_seconds:
            return cached[1]
        # One read per tenant at a time: when the cache lapses, every open subscription's
        # credential re-check wants it at once (200 of them queued on a pool of two, a soak
        # saw, until checks and writes timed out waiting for a connection).
        reading = self._roles_reading.get(tenant_id)
        if reading is None:
            reading = asyncio.ensure_future(self._read_role_overrides(tenant_id))
            self._roles_reading[tenant_id] = reading
            reading.add_done_callback(lambda _: self._roles_reading.pop(tenant_id, None))
        # shield: a caller that goes away does not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _read_role_overrides(self, tenant_id: str) -> dict[str, tuple[str, ...]]:
        roles = models.TenantRole
        async with self._sessions() as session:
            rows = await session.scalars(scoped(select(roles), roles, tenant_id))
            found = {row.role: tuple(row.permissions) for row in rows}
        self._roles[tenant_id] = (time.monotonic(), found)
        return found


def switch_tenant(scope: Scope, tenant_id: str | None) -> Scope:
    if not tenant_id or same_tenant(tenant_id, scope):
        return scope
    if "*" not in scope.permissions:
        security_event("tenant_switch_denied", tenant_id=scope.tenant_id, subject=scope.subject,
                       requested=tenant_id)  # fmt: skip
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "X-Tenant-ID names another tenant; only system admins may act in other tenants",
            details={"required_permissions": ["*"], "user_permissions": sorted(scope.permissions)},
        )
    return replace(scope, tenant_id=tenant_id)


def client_ip(headers: Mapping[str, str], peer: str | None, settings: Settings) -> str | None:
    """The REST shim's caller. Behind a trusted proxy (TRUSTED_PROXIES), the last
    X-Forwarded-For entry: the proxy appends the address its client connected from, and
    anything before it came from that client and proves nothing."""
    forwarded = headers.get("x-forwarded-for")
    if forwarded and peer in settings.trusted_proxy_list:
        return forwarded.split(",")[-1].strip()
    return peer


def scope_from_claims(
    claims: Mapping[str, Any], overrides: Mapping[str, tuple[str, ...]] | None = None
) -> Scope:
    """The claims of 004's access token: sub, tenant_id, user_roles, permissions, scope."""
    tenant_id = claims.get("tenant_id")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise unauthenticated("invalid token: no tenant_id claim")
    roles = tuple(str(r) for r in _list(claims.get("user_roles")))
    if "system_admin" in roles and overrides:
        overrides = {k: v for k, v in overrides.items() if k != "system_admin"}
    granted = {str(p) for p in _list(claims.get("permissions"))}
    granted |= set(str(claims.get("scope") or "").split())
    subject = str(claims["sub"])
    return Scope(
        tenant_id=tenant_id,
        user_id=_uuid(subject),
        roles=roles,
        permissions=rbac.permissions_for(roles, overrides) | frozenset(granted),
        subject=subject,
        kind="api_key" if claims.get("api_key_id") else "user",
        api_key_id=_uuid(str(claims.get("api_key_id") or "")),
        rate_tier=str(claims.get("rate_limit_tier") or "authenticated_user"),
        team=str(claims["team"]) if claims.get("team") else None,
    )


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
