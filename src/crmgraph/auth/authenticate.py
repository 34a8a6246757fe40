"""The one entry point from request credentials to a Scope (or UNAUTHENTICATED).

Order: `Authorization: Bearer <jwt>`, then `X-API-Key` + `X-API-Secret`, then, only when
ANONYMOUS_TENANT is configured (local `make run`), an anonymous tenant admin. `X-Tenant-ID`
(the design's tenant context header) may name another tenant only for a system admin, whose
`*` permission spans tenants; for anyone else it must be their own tenant or absent. Roles map to
permissions through auth.rbac, or a tenant's own tenant_roles rows (cached briefly). A token
/oauth2/token issued (it names its key in `api_key_id`) works only while that key would.
"""

from __future__ import annotations

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
from crmgraph.db.errors import is_unreachable
from crmgraph.db.scoping import Scope, same_tenant, scoped
from crmgraph.db.shared_reads import SharedReads
from crmgraph.errors import DomainError, ErrorCode, dependency_down
from crmgraph.security_log import security_event


class Authenticator:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._settings = settings
        self._sessions = sessions
        self._tokens = TokenVerifier(settings)
        self.api_keys = ApiKeys(settings, sessions)
        # One read per tenant at a time, shared by every caller (crmgraph.db.shared_reads).
        self._roles = SharedReads(self._read_role_overrides)

    async def authenticate(self, headers: Mapping[str, str], client: str | None = None) -> Scope:
        """headers: lower-case names; client: the caller's address, as the app established it
        (subgraphs: gql.router_gate; REST: client_ip). Failures are logged as security
        events, then raised. A database that does not answer is SERVICE_UNAVAILABLE
        (crmgraph.errors.dependency_down), not a failed authentication: the credentials
        could not be checked, so no security event is logged."""
        try:
            scope = await self._authenticate(headers, client)
        except Exception as exc:
            if is_unreachable(exc):
                raise dependency_down("PostgreSQL") from exc
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
        return await self._roles.get(tenant_id, self._settings.auth_cache_seconds)

    async def _read_role_overrides(self, tenant_id: str) -> dict[str, tuple[str, ...]]:
        roles = models.TenantRole
        async with self._sessions() as session:
            rows = await session.scalars(scoped(select(roles), roles, tenant_id))
            return {row.role: tuple(row.permissions) for row in rows}


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
