"""REST authentication and permission checks, through the same Authenticator as GraphQL."""

from __future__ import annotations

from starlette.requests import Request

from crmgraph.auth import rbac
from crmgraph.auth.authenticate import client_ip
from crmgraph.auth.needs import SYSTEM_ADMIN, Auth, RouteNeed
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.request_id import request_id_of
from crmgraph.runtime import Runtime
from crmgraph.security_log import security_event


async def scope_of(request: Request, runtime: Runtime, *, needs: RouteNeed) -> Scope:
    """The bearer's scope, required to hold the route's permission (resource:action) at
    tenant level, or, for SYSTEM_ADMIN, the `*` permission itself."""
    if needs.auth is not Auth.BEARER or needs.permission is None:
        raise TypeError(f"scope_of checks bearer routes; this one is {needs.auth}")
    permission = needs.permission
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["x-request-id"] = request_id_of(request.scope)  # the id security logs carry
    peer = request.client.host if request.client else None
    scope = await runtime.authenticator.authenticate(
        headers, client_ip(headers, peer, runtime.settings)
    )
    if permission == SYSTEM_ADMIN:
        allowed = SYSTEM_ADMIN in scope.permissions
    else:
        resource, action = permission.split(":", 1)
        grant = rbac.grant(scope.permissions, resource, action)
        allowed = grant.allowed and grant.level == "tenant"
    if not allowed:
        security_event("permission_denied", tenant_id=scope.tenant_id, subject=scope.subject,
                       path=request.url.path, required=[permission])  # fmt: skip
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Insufficient permissions",
            details={"required_permissions": [permission],
                     "user_permissions": sorted(scope.permissions)},
        )  # fmt: skip
    return scope
