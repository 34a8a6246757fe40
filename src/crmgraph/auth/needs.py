"""What every operation needs: the one table the GraphQL fields read their permission checks
from (`_entities`, subscriptions and the SSE feed: its companion crmgraph.auth.read_needs;
the REST routes': crmgraph.auth.route_needs, which states a route mirroring a field with
that field's needs).

FIELDS maps `Type.field` of the supergraph to the needs its resolver checks, all of which
must pass; a need passes with any one of its permissions (`resource:action`). Every field of
Query, Mutation and Subscription has an entry: crmgraph.gql.schema refuses to build a schema
with a root field missing here, and tests/unit/auth/test_needs.py checks the supergraph.
Other fields appear only when they read another resource (`Contact.deals` needs deals:read).

`owner` names the argument holding the row's id and the kind of row: a caller whose grant is
only at the `own` (or `team`) level then passes only for rows it (or its team) owns. `when`
makes a need apply only to some arguments (convertLead needs deals:write when it makes one).
`tenant_wide` lets only a grant at the tenant level pass (dashboardData shows the whole tenant).

What reading an entity, receiving an event and seeing a customer journey step need is
crmgraph.auth.read_needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crmgraph.auth import rbac

ROOTS = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True)
class Owner:
    """The argument (a dotted path into input objects) holding the id of a row of `row`."""

    argument: str
    row: str  # account | contact | deal | event | lead | task | user


@dataclass(frozen=True)
class Need:
    any_of: tuple[str, ...]
    owner: Owner | None = None
    when: Callable[[Mapping[str, Any]], bool] | None = None  # applies only if true of args
    # Only a grant at the tenant level passes: for what shows the whole tenant, which an
    # `own` grant (passing needs without an owner, as creating one's own rows) must not see.
    tenant_wide: bool = False


def need(*any_of: str, owner: tuple[str, str] | None = None,
         when: Callable[[Mapping[str, Any]], bool] | None = None,
         tenant_wide: bool = False) -> tuple[Need, ...]:  # fmt: skip
    return (Need(any_of, None if owner is None else Owner(*owner), when, tenant_wide),)


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


# Automation rules change only with pipelines:manage, on whichever mutation writes them.
def _stage_has_rules(a: Mapping[str, Any]) -> bool:
    return bool(argument(a, "input.automation_rules"))


def _stages_have_rules(a: Mapping[str, Any]) -> bool:
    stages = argument(a, "input.stages") or ()
    return any(argument({"s": stage}, "s.automation_rules") for stage in stages)


# Reports, analytics and forecasts name no owner. Where the answer counts other users' rows
# (deals, activities), the read behind it is tenant-wide: an `own` grant, which passes any
# need without an owner, must not add up everyone's deals. A role's reads are tenant-level
# (README: Reads are tenant-wide), so sales reps pass; a tenant's role granting reads at the
# `own` level does not. A tenant's settings (scoring rules, health weights) are no one's rows.
HEALTH_READS = (
    *need("accounts:read"),  # the account asked about
    *need("deals:read", tenant_wide=True),  # every user's deals of it
    *need("activities:read", tenant_wide=True),  # and every user's activities
)
PIPELINE_REPORT_READS = (*need("deals:read", tenant_wide=True), *need("pipelines:read"))

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
    # Sales reports: sales managers (reports:sales:*) and tenant admins about anyone, a sales
    # rep (reports:sales:own) only about themselves, naming their own user id.
    "Query.salesReport": need("reports:sales", owner=("filter.user_id", "user")),
    "Query.performanceMetrics": need("reports:sales", owner=("user_id", "user")),
    "Query.salesDashboard": need("reports:sales", owner=("user_id", "user")),
    # The built-in dashboards show the whole tenant: they are no one's, so only a grant at
    # the tenant level passes (a rep's reports:sales:own does not).
    "Query.dashboardData": need("reports:sales", tenant_wide=True),
    # sales reporting (README: Sales forecasts and pipeline analytics): deals of a pipeline
    "Query.dealForecast": PIPELINE_REPORT_READS,
    "Query.pipelineAnalytics": PIPELINE_REPORT_READS,
    "Query.pipelineReport": PIPELINE_REPORT_READS,
    # counts the deal's activities, and rests on the tenant's closed deals, anyone's
    "Deal.winProbability": (*need("activities:read"), *need("deals:read", tenant_wide=True)),
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
        "campaigns", "Query.campaign", "Query.campaigns", "Lead.touchpoints", "Contact.touchpoints"
    ),
    # attributes every user's won deals to the campaigns
    "Query.revenueAttribution": need("campaigns:read", tenant_wide=True),
    "Mutation.createCampaign": need("campaigns:write"),
    "Mutation.updateCampaign": need("campaigns:write"),
    "Mutation.recordTouchpoint": need("campaigns:write"),
    # Each step is shown only with its own read permission (JOURNEY_STEPS below).
    "Query.customerJourney": (
        *need("contacts:read", when=lambda args: args.get("contact_id") is not None),
        *need("accounts:read", when=lambda args: args.get("account_id") is not None),
    ),
    # pipelines
    **reads("pipelines", "Query.pipeline", "Query.pipelines", "Query.automationRuns"),
    "Mutation.createPipeline": (
        *need("pipelines:write"),
        *need("pipelines:manage", when=_stages_have_rules),
    ),
    "Mutation.updatePipeline": need("pipelines:write"),
    "Mutation.deletePipeline": need("pipelines:delete"),
    "Mutation.addPipelineStage": (
        *need("pipelines:write"),
        *need("pipelines:manage", when=_stage_has_rules),
    ),
    "Mutation.updatePipelineStage": need("pipelines:manage"),
    "Mutation.removePipelineStage": need("pipelines:write"),
    **reads("pipelines", "Subscription.pipelineMetricsUpdated"),
}


def holds(held: Iterable[str], permission: str) -> rbac.Grant:
    return rbac.grant(held, *permission.split(":", 1))
