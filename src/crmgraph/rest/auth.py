"""REST authentication and permission checks, through the same Authenticator as GraphQL."""

from __future__ import annotations

from starlette.requests import Request

from crmgraph.auth import rbac
from crmgraph.auth.authenticate import client_ip
from crmgraph.auth.route_needs import SYSTEM_ADMIN, Auth, RouteNeed
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.request_id import request_id_of
from crmgraph.runtime import Runtime
from crmgraph.security_log import security_event


async def scope_of(request: Request, runtime: Runtime, *, needs: RouteNeed) -> Scope:
    """The bearer's scope, required to hold each of the route's permissions (resource:action)
    at tenant level (at any level for a route reading by owner: needs.by_owner), or, for
    SYSTEM_ADMIN, the `*` permission itself."""
    if needs.auth is not Auth.BEARER or not needs.permissions:
        raise TypeError(f"scope_of checks bearer routes; this one is {needs.auth}")
    required = list(needs.permissions)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["x-request-id"] = request_id_of(request.scope)  # the id security logs carry
    peer = request.client.host if request.client else None
    scope = await runtime.authenticator.authenticate(
        headers, client_ip(headers, peer, runtime.settings)
    )
    if not all(_holds(scope.permissions, p, needs.by_owner) for p in required):
        security_event("permission_denied", tenant_id=scope.tenant_id, subject=scope.subject,
                       path=request.url.path, required=required)  # fmt: skip
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Insufficient permissions",
            details={"required_permissions": required,
                     "user_permissions": sorted(scope.permissions)},
        )  # fmt: skip
    return scope


def _holds(held: frozenset[str], permission: str, any_level: bool) -> bool:
    if permission == SYSTEM_ADMIN:
        return SYSTEM_ADMIN in held
    resource, action = permission.split(":", 1)
    grant = rbac.grant(held, resource, action)
    return grant.allowed and (any_level or grant.level == "tenant")
