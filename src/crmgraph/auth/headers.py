"""The one entry point that turns request headers into a Scope, and the dev token issuer.

Skeleton scope (issue 2): HS256 JWTs signed with JWT_SECRET. JWKS/PEM keys, API keys and RBAC
arrive with issue 4; until then every authenticated caller may read and write its tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import jwt

from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError, ErrorCode

ALGORITHM = "HS256"


def issue_token(
    settings: Settings,
    *,
    tenant_id: str,
    user_id: uuid.UUID | str | None = None,
    roles: tuple[str, ...] = ("tenant_admin",),
    ttl: timedelta = timedelta(hours=12),
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id) if user_id else f"dev:{tenant_id}",
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "tenant_id": tenant_id,
        "user_roles": list(roles),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def scope_from_headers(headers: Mapping[str, str], settings: Settings) -> Scope:
    """The caller's scope, or UNAUTHENTICATED. Header names are matched lower-case."""
    authorization = headers.get("authorization")
    if not authorization:
        if settings.anonymous_tenant:
            return Scope(tenant_id=settings.anonymous_tenant, roles=("tenant_admin",))
        raise DomainError(ErrorCode.UNAUTHENTICATED, "missing Authorization: Bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Authorization must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(),
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"invalid token: {exc}") from exc
    tenant_id = claims.get("tenant_id")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "token has no tenant_id claim")
    return Scope(
        tenant_id=tenant_id,
        user_id=_user_id(claims.get("sub")),
        roles=tuple(str(r) for r in claims.get("user_roles", [])),
    )


def _user_id(sub: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(sub))
    except ValueError:
        return None
