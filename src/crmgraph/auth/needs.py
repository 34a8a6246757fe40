"""What every operation needs: the one table the GraphQL fields, `_entities`, subscriptions,
the SSE feed and the REST routes read their permission checks from.

FIELDS maps `Type.field` of the supergraph to the needs its resolver checks, all of which
must pass; a need passes with any one of its permissions (`resource:action`). Every field of
Query, Mutation and Subscription has an entry: crmgraph.gql.schema refuses to build a schema
with a root field missing here, and tests/unit/auth/test_needs.py checks the supergraph.
Other fields appear only when they read another resource (`Contact.deals` needs deals:read).

`owner` names the argument holding the row's id and the kind of row: a caller whose grant is
only at the `own` (or `team`) level then passes only for rows it (or its team) owns. `when`
makes a need apply only to some arguments (convertLead needs deals:write when it makes one).

ENTITIES gives each entity type the permission `_entities` needs on every subgraph, as the
query reading it would; ROUTES the REST shim's routes theirs; EVENTS gives each domain
event's aggregate the permission a subscriber or SSE listener needs to receive it: the read
permission of what it carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crmgraph.auth import rbac

ROOTS = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True)
class Owner:
    """The argument (a dotted path into input objects) holding the id of a row of `row`."""

    argument: str
    row: str  # account | contact | deal | event | lead | task


@dataclass(frozen=True)
class Need:
    any_of: tuple[str, ...]
    owner: Owner | None = None
    when: Callable[[Mapping[str, Any]], bool] | None = None  # applies only if true of args


def need(*any_of: str, owner: tuple[str, str] | None = None,
         when: Callable[[Mapping[str, Any]], bool] | None = None) -> tuple[Need, ...]:  # fmt: skip
    return (Need(any_of, None if owner is None else Owner(*owner), when),)


def reads(resource: str, *keys: str) -> dict[str, tuple[Need, ...]]:
    """Each of keys needs `resource:read`."""
    return dict.fromkeys(keys, need(f"{resource}:read"))


def argument(args: Mapping[str, Any], path: str) -> Any:
    """The argument at path (`input.contact_id`: a field of an input object), or None."""
    value: Any = args
    for name in path.split("."):
        value = value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)
    return value


# convertLead makes or changes a contact, an account and a deal as its input says.
def _links_contact(a: Mapping[str, Any]) -> bool:
    return argument(a, "input.contact_id") is not None


def _creates_contact(a: Mapping[str, Any]) -> bool:
    return not _links_contact(a) and bool(argument(a, "input.create_contact"))


def _may_create_account(a: Mapping[str, Any]) -> bool:
    # Decided before running: it may link an account of the lead's company name instead,
    # but whether one exists must not change what the caller is allowed to ask.
    return argument(a, "input.account_id") is None and bool(argument(a, "input.create_account"))


def _creates_deal(a: Mapping[str, Any]) -> bool:
    return bool(argument(a, "input.create_deal"))


HEALTH_READS = (*need("accounts:read"), *need("deals:read"), *need("activities:read"))

FIELDS: Mapping[str, tuple[Need, ...]] = {
    # accounts
    **reads(
        "accounts",
        "Query.account",
        "Query.accounts",
        "Query.accountHierarchy",
        "Subscription.accountUpdated",
    ),
    **reads("users", "Query.user"),
    **reads("api_keys", "Query.apiKeys"),
    "Mutation.createAccount": need("accounts:write"),
    "Mutation.updateAccount": need("accounts:write", owner=("id", "account")),
    "Mutation.deleteAccount": need("accounts:delete", owner=("id", "account")),
    "Mutation.createAccountRelationship": need("accounts:write"),
    "Mutation.deleteAccountRelationship": need("accounts:write"),
    "Mutation.createApiKey": need("api_keys:write"),
    "Mutation.revokeApiKey": need("api_keys:write"),
    # what lead routing matches leads with: tenant admins (tenant:*)
    "Mutation.setUserSpecializations": need("users:write"),
    **reads("webhooks", "Query.webhookSubscriptions"),
    "Mutation.createWebhookSubscription": need("webhooks:write"),
    "Mutation.deleteWebhookSubscription": need("webhooks:write"),
    # activities
    **reads("activities", "Query.activity", "Query.activities", "Query.activityTimeline"),
    "Mutation.createTask": need("activities:write"),
    "Mutation.updateTask": need("activities:write", owner=("id", "task")),
    "Mutation.completeTask": need("activities:write", owner=("id", "task")),
    "Mutation.deleteTask": need("activities:delete", owner=("id", "task")),
    "Mutation.createEvent": need("activities:write"),
    "Mutation.updateEvent": need("activities:write", owner=("id", "event")),
    "Mutation.deleteEvent": need("activities:delete", owner=("id", "event")),
    "Mutation.logCommunication": need("activities:write"),
    **reads(
        "activities",
        "Subscription.newActivity",
        "Subscription.taskDue",
        "Contact.activities",
        "Contact.lastActivity",
        "Lead.activities",
        "Lead.lastActivity",
        "Account.activities",
        "Account.lastActivity",
        "Account.nextActivity",
        "Deal.activities",
        "Deal.lastActivity",
        "Deal.nextActivity",
        "CustomerOverview.activities",
        "CustomerOverview.lastInteraction",
    ),
    # customer health reads an account's deals and activities (README: Customer health)
    "Query.customerHealth": HEALTH_READS,
    "Account.health": HEALTH_READS,
    "Query.customerHealthWeights": need("accounts:read"),
    "Mutation.setCustomerHealthWeights": need("health:write"),  # tenant admins (tenant:*)
    # contacts
    **reads(
        "contacts",
        "Query.contact",
        "Query.contacts",
        "Query.searchContacts",
        "Query.customerOverview",
        "Subscription.contactUpdated",
    ),
    "Mutation.createContact": need("contacts:write"),
    "Mutation.updateContact": need("contacts:write", owner=("id", "contact")),
    "Mutation.deleteContact": need("contacts:delete", owner=("id", "contact")),
    **reads("contacts", "Account.contacts"),
    # deals
    **reads("deals", "Query.deal", "Query.deals"),
    "Mutation.createDeal": need("deals:write"),
    "Mutation.updateDeal": need("deals:write", owner=("id", "deal")),
    "Mutation.moveDealStage": need("deals:move_stage", "deals:write", owner=("deal_id", "deal")),
    "Mutation.deleteDeal": need("deals:delete", owner=("id", "deal")),
    **reads(
        "deals",
        "Subscription.dealStageChanged",
        "Subscription.dealUpdated",
        "Contact.deals",
        "Contact.dealValue",
        "Account.deals",
        "Account.totalDealValue",
        "Account.activeDealCount",
        "Pipeline.deals",
        "PipelineStage.deals",
        "CustomerOverview.deals",
        "CustomerOverview.totalValue",
    ),
    # leads
    **reads("leads", "Query.lead", "Query.leads", "Query.leadScoring"),
    "Mutation.createLead": need("leads:write"),
    "Mutation.updateLead": need("leads:write", owner=("id", "lead")),
    "Mutation.deleteLead": need("leads:delete", owner=("id", "lead")),
    "Mutation.qualifyLead": need("leads:write", owner=("lead_id", "lead")),
    "Mutation.updateLeadScore": need("leads:write", owner=("lead_id", "lead")),
    "Mutation.adjustLeadScore": need("leads:write", owner=("lead_id", "lead")),
    # the tenant's scoring model: sales and marketing managers (leads:*), tenant admins
    "Mutation.setLeadScoringRules": need("leads:manage"),
    "Query.leadScoringRules": need("leads:read"),
    "Mutation.convertLead": (
        *need("leads:write", owner=("lead_id", "lead")),
        *need("contacts:write", owner=("input.contact_id", "contact"), when=_links_contact),
        *need("contacts:write", when=_creates_contact),
        *need("accounts:write", when=_may_create_account),
        *need("deals:write", when=_creates_deal),
    ),
    **reads("leads", "Subscription.leadScoreChanged", "Contact.leadSource"),
    "LeadRouting.task": need("activities:read"),  # the qualification task routing made
    # marketing: campaigns, touchpoints, attribution (the leads subgraph)
    **reads(
        "campaigns",
        "Query.campaign",
        "Query.campaigns",
        "Query.revenueAttribution",
        "Lead.touchpoints",
        "Contact.touchpoints",
    ),
    "Mutation.createCampaign": need("campaigns:write"),
    "Mutation.updateCampaign": need("campaigns:write"),
    "Mutation.recordTouchpoint": need("campaigns:write"),
    # Each step is shown only with its own read permission (JOURNEY_STEPS below).
    "Query.customerJourney": (
        *need("contacts:read", when=lambda args: args.get("contact_id") is not None),
        *need("accounts:read", when=lambda args: args.get("account_id") is not None),
    ),
    # pipelines
    **reads("pipelines", "Query.pipeline", "Query.pipelines"),
    "Mutation.createPipeline": need("pipelines:write"),
    "Mutation.updatePipeline": need("pipelines:write"),
    "Mutation.deletePipeline": need("pipelines:delete"),
    "Mutation.addPipelineStage": need("pipelines:write"),
    "Mutation.updatePipelineStage": need("pipelines:manage"),
    "Mutation.removePipelineStage": need("pipelines:write"),
    **reads("pipelines", "Subscription.pipelineMetricsUpdated"),
}


ENTITIES: Mapping[str, str] = {
    "Account": "accounts:read",
    "User": "users:read",
    "Contact": "contacts:read",
    "CustomerOverview": "contacts:read",
    "Deal": "deals:read",
    "Lead": "leads:read",
    "Task": "activities:read",
    "Event": "activities:read",
    "Communication": "activities:read",
    "Pipeline": "pipelines:read",
    "PipelineStage": "pipelines:read",
}

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

    def __post_init__(self) -> None:
        if (self.auth is Auth.BEARER) != bool(self.permissions) or (
            self.auth is Auth.SIGNATURE
        ) != (self.signer is not None):
            raise ValueError(f"a {self.auth} route needs exactly its own field: {self}")


def bearer(*permissions: str) -> RouteNeed:
    """A route for a caller's bearer token or API key holding every one of permissions."""
    return RouteNeed(Auth.BEARER, permissions=permissions)


def all_of(needs: tuple[Need, ...]) -> tuple[str, ...]:
    """The permissions of needs that are each one plain permission (no alternatives, owner
    or condition), as a REST route requires them: so a route states a GraphQL field's needs."""
    for one in needs:
        if len(one.any_of) != 1 or one.owner is not None or one.when is not None:
            raise ValueError(f"a route needs plain permissions, not {one}")
    return tuple(one.any_of[0] for one in needs)


# Routes a registered Zoho organisation calls: authenticated by the organisation's HMAC
# signature, shared token or Desk JWT (crmgraph.zoho.formats), never by a bearer or API key.
ZOHO_ORG = "zoho-org"
ZOHO_SIGNED = RouteNeed(Auth.SIGNATURE, signer=ZOHO_ORG)

# The REST shim's routes that act for a caller (crmgraph.rest.auth.scope_of checks bearer
# ones at the tenant level, SYSTEM_ADMIN as itself) or for a signing sender; /health,
# /openapi.json and /oauth2/token take no caller's credentials, and /internal/introspect
# only the router's secret.
ROUTES: Mapping[str, RouteNeed] = {
    "GET /health/details": bearer(SYSTEM_ADMIN),
    "GET /metrics": bearer(SYSTEM_ADMIN),  # consumer lag names the infrastructure, as details do
    "POST /api-keys": bearer("api_keys:write"),
    "DELETE /api-keys/{key_id}": bearer("api_keys:write"),
    "GET /sse/activity-feed": bearer("activities:read"),
    "POST /api/v1/zoho/orgs": bearer("zoho:write"),
    "GET /api/v1/zoho/orgs": bearer("zoho:read"),
    "DELETE /api/v1/zoho/orgs/{org_id}": bearer("zoho:write"),
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
    "POST /api/v1/bulk/deals/export": bearer("deals:read"),
    # What its GraphQL twin (Query.customerHealth) needs: accounts, deals and activities.
    "GET /api/v1/analytics/customer-health/{account_id}": bearer(*all_of(HEALTH_READS)),
    "GET /api/v1/analytics/revenue-attribution": bearer("campaigns:read"),
}

# By aggregate (the topic's first part): a deal.* event carries a deal.
EVENTS: Mapping[str, str] = {
    "account": "accounts:read",
    "activity": "activities:read",
    "task": "activities:read",
    "api_key": "api_keys:read",
    "campaign": "campaigns:read",
    "touchpoint": "campaigns:read",
    "contact": "contacts:read",
    "deal": "deals:read",
    "lead": "leads:read",
    "pipeline": "pipelines:read",
    "zoho": "zoho:read",  # raw Zoho records: tenant admins (tenant:*) only
}


def holds(held: Iterable[str], permission: str) -> rbac.Grant:
    return rbac.grant(held, *permission.split(":", 1))


def may_receive(held: Iterable[str], topic: str) -> bool:
    """Whether permissions `held` may receive events of topic (unknown topics: never)."""
    permission = EVENTS.get(topic.split(".", 1)[0])
    return permission is not None and holds(held, permission).allowed


# What each step of a customer journey shows (Query.customerJourney): a caller sees only the
# steps whose rows it may read.
JOURNEY_STEPS: Mapping[str, str] = {
    "TOUCHPOINT": "campaigns:read",
    "ACTIVITY": "activities:read",
    "DEAL_CREATED": "deals:read",
    "STAGE_MOVE": "deals:read",
    "DEAL_CLOSED": "deals:read",
}


def may_see_step(held: Iterable[str], kind: str) -> bool:
    """Whether permissions `held` may see a customer journey step of kind (unknown: never)."""
    permission = JOURNEY_STEPS.get(kind)
    return permission is not None and holds(held, permission).allowed


def may_resolve(held: Iterable[str], typename: str) -> bool:
    """Whether permissions `held` may resolve entities of typename (unknown types: never)."""
    permission = ENTITIES.get(typename)
    return permission is not None and holds(held, permission).allowed
