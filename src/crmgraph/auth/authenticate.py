"""The one entry point from request credentials to a Scope (or UNAUTHENTICATED).

Order: `Authorization: Bearer <jwt>`, then `X-API-Key` + `X-API-Secret`, then, only when
ANONYMOUS_TENANT is configured (local `make run`), an anonymous tenant admin.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from crmgraph.auth import rbac
from crmgraph.auth.tokens import TokenVerifier, unauthenticated
from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.security_log import security_event


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._tokens = TokenVerifier(settings)

    async def authenticate(self, headers: Mapping[str, str]) -> Scope:
        """headers: lower-case names. Failures are logged as security events, then raised."""
        try:
            return await self._authenticate(headers)
        except Exception as exc:
            security_event(
                "authentication_failed",
                request_id=headers.get("x-request-id"),
                reason=str(exc),
                credential="bearer" if "authorization" in headers else (
                    "api_key" if "x-api-key" in headers else "none"),
            )  # fmt: skip
            raise

    async def _authenticate(self, headers: Mapping[str, str]) -> Scope:
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise unauthenticated("Authorization must be 'Bearer <token>'")
            return scope_from_claims(await self._tokens.verify(token.strip()))
        if headers.get("x-api-key"):
            raise unauthenticated("invalid API key")
        if self._settings.anonymous_tenant:
            return Scope(
                tenant_id=self._settings.anonymous_tenant,
                roles=("tenant_admin",),
                permissions=rbac.permissions_for(("tenant_admin",)),
                kind="anonymous",
            )
        raise unauthenticated("missing credentials: send Authorization: Bearer <token>")


def scope_from_claims(claims: Mapping[str, Any]) -> Scope:
    """The claims of 004's access token: sub, tenant_id, user_roles, permissions, scope."""
    tenant_id = claims.get("tenant_id")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise unauthenticated("invalid token: no tenant_id claim")
    roles = tuple(str(r) for r in _list(claims.get("user_roles")))
    granted = {str(p) for p in _list(claims.get("permissions"))}
    granted |= set(str(claims.get("scope") or "").split())
    subject = str(claims["sub"])
    return Scope(
        tenant_id=tenant_id,
        user_id=_uuid(subject),
        roles=roles,
        permissions=rbac.permissions_for(roles) | frozenset(granted),
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
