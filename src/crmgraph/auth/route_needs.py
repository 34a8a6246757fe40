"""What each REST route of the shim needs: the kind of authentication and the bearer's
permissions, or who signs. The REST side of crmgraph.auth.needs (the GraphQL fields'
table): a route that mirrors a GraphQL field states that field's needs (all_of)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from crmgraph.auth.needs import HEALTH_READS, Need

# The system admin's permission: it spans tenants, which a tenant admin's `tenant:*` does not.
SYSTEM_ADMIN = "*"


class Auth(StrEnum):
    """How a REST route's caller proves who it is."""

    BEARER = "bearer"  # a bearer token or API key that must hold the route's permission
    SIGNATURE = "signature"  # a registered sender's signature or shared token, never a bearer


@dataclass(frozen=True)
class RouteNeed:
    """What a REST route needs: the kind of authentication, and the bearer's permissions
    (resource:action or SYSTEM_ADMIN; all of them are required) or who signs (the signer)."""

    auth: Auth
    permissions: tuple[str, ...] = ()
    signer: str | None = None
    # The route reads only what the caller may read (crmgraph.db.scoping.visible, the event
    # stream's filter), so a grant at the own or team level passes too.
    by_owner: bool = False

    def __post_init__(self) -> None:
        if (self.auth is Auth.BEARER) != bool(self.permissions) or (
            self.auth is Auth.SIGNATURE
        ) != (self.signer is not None):
            raise ValueError(f"a {self.auth} route needs exactly its own field: {self}")


def bearer(*permissions: str, by_owner: bool = False) -> RouteNeed:
    """A route for a caller's bearer token or API key holding every one of permissions."""
    return RouteNeed(Auth.BEARER, permissions=permissions, by_owner=by_owner)


def all_of(needs: tuple[Need, ...]) -> tuple[str, ...]:
    """The permissions of needs that are each one plain permission (no alternatives, owner
    or condition), as a REST route requires them: so a route states a GraphQL field's needs.
    A tenant-wide need is one: a route's permissions pass only at the tenant level."""
    for one in needs:
        if len(one.any_of) != 1 or one.owner is not None or one.when is not None:
            raise ValueError(f"a route needs plain permissions, not {one}")
    return tuple(one.any_of[0] for one in needs)


# Routes a registered Zoho organisation calls: authenticated by the organisation's HMAC
# signature, shared token or Desk JWT (crmgraph.zoho.formats), never by a bearer or API key.
ZOHO_ORG = "zoho-org"
ZOHO_SIGNED = RouteNeed(Auth.SIGNATURE, signer=ZOHO_ORG)

# The REST shim's routes that act for a caller (crmgraph.rest.auth.scope_of checks bearer
# ones at the tenant level, at any level when by_owner, SYSTEM_ADMIN as itself) or for a
# signing sender; /health, /livez, /readyz, /openapi.json and /oauth2/token take no
# caller's credentials, and /internal/introspect only the router's secret.
ROUTES: Mapping[str, RouteNeed] = {
    "GET /health/details": bearer(SYSTEM_ADMIN),
    "GET /metrics": bearer(SYSTEM_ADMIN),  # consumer lag names the infrastructure, as details do
    "POST /api-keys": bearer("api_keys:write"),
    "DELETE /api-keys/{key_id}": bearer("api_keys:write"),
    "GET /sse/activity-feed": bearer("activities:read", by_owner=True),
    "POST /api/v1/zoho/orgs": bearer("zoho:write"),
    "GET /api/v1/zoho/orgs": bearer("zoho:read"),
    "DELETE /api/v1/zoho/orgs/{org_id}": bearer("zoho:write"),
    "PATCH /api/v1/zoho/orgs/{org_id}": bearer("zoho:write"),
    "POST /api/v1/zoho/events/{event_id}/replay": bearer("zoho:write"),
    "POST /webhooks/zoho/{module}": ZOHO_SIGNED,
    "PUT /webhooks/zoho/{module}": ZOHO_SIGNED,
    "DELETE /webhooks/zoho/{module}": ZOHO_SIGNED,
    "GET /webhooks/zoho/desk": ZOHO_SIGNED,  # Desk's check of a new URL: answers 200, reads nothing
    # Outbound webhooks: tenant admins (tenant:*) or a key granted webhooks:*.
    "POST /api/v1/webhooks": bearer("webhooks:write"),
    "GET /api/v1/webhooks": bearer("webhooks:read"),
    "DELETE /api/v1/webhooks/{webhook_id}": bearer("webhooks:write"),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": bearer("webhooks:read"),
    "POST /api/v1/webhooks/{webhook_id}/test": bearer("webhooks:write"),
    "POST /api/v1/bulk/contacts/import": bearer("contacts:write"),
    "POST /api/v1/bulk/deals/export": bearer("deals:read", by_owner=True),
    # What its GraphQL twin (Query.customerHealth) needs: accounts, deals and activities.
    "GET /api/v1/analytics/customer-health/{account_id}": bearer(*all_of(HEALTH_READS)),
    "GET /api/v1/analytics/revenue-attribution": bearer("campaigns:read"),
    # Mutation.updatePipelineStage's automationRules and PipelineStage.automationRules.
    "GET /api/v1/pipelines/{pipeline_id}/stages/{stage_id}/automation": bearer("pipelines:read"),
    "POST /api/v1/pipelines/{pipeline_id}/stages/{stage_id}/automation": bearer("pipelines:manage"),
}
