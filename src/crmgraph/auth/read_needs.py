"""What reading needs beyond the fields of crmgraph.auth.needs: ENTITIES gives each entity
type the permission `_entities` needs on every subgraph, as the query reading it would;
EVENTS gives each domain event's aggregate the permission a subscriber, SSE listener or
webhook subscription needs to receive it (the read permission of what it carries);
JOURNEY_STEPS what each step of a customer journey needs to be shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from crmgraph.auth.needs import holds

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
    "PipelineReport": "pipelines:read",
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
