"""What tests/e2e/test_partial_updates.py needs beyond the schema: which mutations are
partial updates, how to make and read back a row for each, and values for input fields.

Values come from one generator per GraphQL type (FIELD_VALUES for the few fields with a
format); an id names a real row of the test's tenant, made by tests/factories.py."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.scoping import Scope
from crmgraph.domain import activities, deals, leads, marketing
from tests.factories import make_account, make_contact, make_pipeline, make_user

PARTIAL_OTHERS = {"qualifyLead": "sets the status, and of its input only the fields sent"}
NOT_PARTIAL = {
    "updateLeadScore": "sets the score, a required argument, and records why in the history",
}
# (mutation, input field) -> why this test cannot exercise it. Empty: every field is.
UNTESTABLE: dict[tuple[str, str], str] = {}
# Enum values an update may not set, with the rule that refuses them.
NOT_SETTABLE = {("LeadStatus", "CONVERTED"): "only convertLead converts a lead"}

Maker = Callable[[AsyncSession, Scope], Awaitable[dict[str, str]]]


@dataclass(frozen=True)
class Target:
    """How to make a row for a mutation (its id arguments) and read it back (`%s` is the
    selection; the query takes those arguments it names)."""

    make: Maker
    read: str
    pick: Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]


def _one(key: str) -> Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]:
    return lambda data, _args: data[key]


def _stage(data: dict[str, Any], args: dict[str, str]) -> dict[str, Any]:
    return next(s for s in data["pipeline"]["stages"] if s["id"] == args["stageId"])


async def _account(session: AsyncSession, scope: Scope) -> dict[str, str]:
    return {"id": str((await make_account(session, scope)).id)}


async def _contact(session: AsyncSession, scope: Scope) -> dict[str, str]:
    return {"id": str((await make_contact(session, scope)).id)}


async def _deal(session: AsyncSession, scope: Scope) -> dict[str, str]:
    await make_pipeline(session, scope)
    account = await make_account(session, scope)
    new = deals.NewDeal(title="Deal", value=100, account_id=account.id)
    deal = await deals.create_deal(session, scope=scope, data=new)
    await session.flush()
    return {"id": str(deal.id)}


async def _lead_row(session: AsyncSession, scope: Scope) -> str:
    new = leads.NewLead(first_name="Lee", last_name="Ng", email="lee@crm.test", source="web",
                        score=10)  # fmt: skip
    lead = await leads.create_lead(session, scope=scope, data=new)
    await session.flush()
    return str(lead.id)


async def _lead(session: AsyncSession, scope: Scope) -> dict[str, str]:
    return {"id": await _lead_row(session, scope)}


async def _qualified_lead(session: AsyncSession, scope: Scope) -> dict[str, str]:
    return {"leadId": await _lead_row(session, scope)}


async def _task(session: AsyncSession, scope: Scope) -> dict[str, str]:
    task = await activities.create_task(session, scope=scope, data=activities.NewTask(title="T"))
    await session.flush()
    return {"id": str(task.id)}


EVENT_START = datetime(2030, 1, 1, 10, tzinfo=UTC)
EVENT_END = datetime(2030, 1, 1, 12, tzinfo=UTC)


async def _event(session: AsyncSession, scope: Scope) -> dict[str, str]:
    new = activities.NewEvent(title="E", start_time=EVENT_START, end_time=EVENT_END)
    event = await activities.create_event(session, scope=scope, data=new)
    await session.flush()
    return {"id": str(event.id)}


async def _pipeline(session: AsyncSession, scope: Scope) -> dict[str, str]:
    return {"id": str((await make_pipeline(session, scope))[0].id)}


async def _pipeline_stage(session: AsyncSession, scope: Scope) -> dict[str, str]:
    pipeline, stages = await make_pipeline(session, scope)
    return {"pipelineId": str(pipeline.id), "stageId": str(stages["Lead"].id)}


async def _campaign(session: AsyncSession, scope: Scope) -> dict[str, str]:
    new = marketing.NewCampaign(name="Spring", type="email", budget=100, zoho_id=_token())
    campaign = await marketing.create_campaign(session, scope=scope, data=new)
    return {"id": str(campaign.id)}


TARGETS: dict[str, Target] = {
    "updateAccount": Target(_account, "account(id: $id) { %s }", _one("account")),
    "updateContact": Target(_contact, "contact(id: $id) { %s }", _one("contact")),
    "updateDeal": Target(_deal, "deal(id: $id) { %s }", _one("deal")),
    "updateLead": Target(_lead, "lead(id: $id) { %s }", _one("lead")),
    "qualifyLead": Target(_qualified_lead, "lead(id: $leadId) { %s }", _one("lead")),
    "updateTask": Target(_task, "activity(id: $id) { ... on Task { %s } }", _one("activity")),
    "updateEvent": Target(_event, "activity(id: $id) { ... on Event { %s } }", _one("activity")),
    "updatePipeline": Target(_pipeline, "pipeline(id: $id) { %s }", _one("pipeline")),
    "updateCampaign": Target(_campaign, "campaign(id: $id) { %s }", _one("campaign")),
    "updatePipelineStage": Target(
        _pipeline_stage, "pipeline(id: $pipelineId) { stages { id %s } }", _stage
    ),
}


async def _user_id(session: AsyncSession, scope: Scope) -> str:
    return str((await make_user(session, scope)).id)


async def _account_id(session: AsyncSession, scope: Scope) -> str:
    return str((await make_account(session, scope, name="Other")).id)


async def _contact_id(session: AsyncSession, scope: Scope) -> str:
    return str((await make_contact(session, scope, first_name="Other")).id)


async def _related(session: AsyncSession, scope: Scope) -> dict[str, str]:
    return {"type": "CONTACT", "id": await _contact_id(session, scope)}


# Input fields that name rows, by name: each call makes a new row.
REFERENCES: dict[str, Callable[[AsyncSession, Scope], Awaitable[Any]]] = {
    "contactId": _contact_id,
    "accountId": _account_id,
    "parentAccountId": _account_id,
    "assignedTo": _user_id,
    "attendees": _user_id,
    "relatedTo": _related,
}


def _token() -> str:
    return uuid.uuid4().hex[:8]


# One generator per GraphQL type (ids are in REFERENCES).
TYPE_VALUES: dict[str, Callable[[], Any]] = {
    "String": lambda: f"v-{_token()}",
    "Int": lambda: 42,  # valid as a percentage, an order past the factory's, a head count
    "Float": lambda: 1234.5,
    "DateTime": lambda: "2031-02-03T04:05:06+00:00",
    "JSON": lambda: {"k": _token()},
    "AddressInput": lambda: {"street": f"{_token()} Main St", "city": "Springfield"},
    "AutomationRuleInput": lambda: {
        "trigger": "stage_entered",
        "action": "create_task",
        "parameters": {"title": f"T-{_token()}"},
    },
}
# Fields whose strings have a format, or whose value depends on the row's other fields.
FIELD_VALUES: dict[str, Callable[[], Any]] = {
    "email": lambda: f"e{_token()}@example.com",
    "currency": lambda: "EUR",
    "startTime": lambda: "2030-01-01T09:00:00+00:00",  # before the factory's end
    "endTime": lambda: "2030-01-01T13:00:00+00:00",  # after the factory's start
}
