"""Lead routing through the router: a lead whose score reaches the qualified threshold goes,
once, to the sales rep whose specializations best match it, with a HIGH qualification task
due in 24 hours; Lead.routing says why. Another tenant's reps are never chosen; tenant
admins set a user's specializations, sales reps may not."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crmgraph.db import models
from crmgraph.events.consumers.lead_router import LeadRouter
from crmgraph.events.consumers.lead_scorer import LeadScorer
from tests.e2e.test_lead_scoring import CREATE, LOG, TOUCH, ok
from tests.e2e.test_rbac import as_role
from tests.settle import settled
from tests.stack import Stack

SPECIALIZE = """mutation($u: ID!, $s: [String!]!) { setUserSpecializations(userId: $u,
  specializations: $s) { user { id specializations } } }"""
ROUTING = """query($l: ID!) { lead(id: $l) { score owner { id name }
  routing { reason score routedAt matchedSpecializations
    assignedTo { id name email specializations }
    task { id title priority status dueDate assignedTo { id } relatedTo { ... on Lead { id } } } }
} }"""
# Scores 65 (README "Lead scoring"): demographic 35 (capped), a demo request 15, a referral
# 15; the pricing page then adds 5 + a visit 2: 72, over the default threshold of 70.
LEAD = {
    "firstName": "Jane",
    "lastName": "Smith",
    "email": "jane@techsolutions.test",
    "source": "Referral",
    "company": "Tech Solutions",
    "jobTitle": "VP Engineering",
    "customFields": {
        "companySize": 500,
        "industry": "Technology",
        "decisionMaker": True,
        "budget": 50000,
        "urgency": "high",
        "demoRequested": True,
        "projectType": "cloud_migration",
    },
}
PRICING = {"landingPage": "/pricing", "utmSource": "google", "utmCampaign": "cloud_services_q1"}


def user(stack: Stack, tenant: str, name: str, role: str, *specs: str) -> str:
    async def add() -> str:
        async with stack.runtime.sessions() as session, session.begin():
            row = models.User(
                tenant_id=tenant,
                email=f"{name.split()[0].lower()}.{uuid.uuid4().hex[:6]}@crm.test",
                name=name,
                role=role,
                specializations=list(specs),
            )
            session.add(row)
        return str(row.id)

    return stack.call(add)


def routed(stack: Stack, tenant: str) -> None:
    """Waits until the lead-scorer and the lead-router have handled the tenant's events."""
    settled(stack, tenant, (LeadScorer.name, LeadRouter.name))


def tasks_of(stack: Stack, lead: str) -> int:
    async def count() -> int:
        t = models.Task
        async with stack.runtime.sessions() as session:
            n = await session.scalar(
                select(func.count()).where(
                    t.related_type == "LEAD", t.related_id == uuid.UUID(lead)
                )
            )
        return int(n or 0)

    return stack.call(count)


def redeliver(stack: Stack, lead: str) -> int:
    """Hands every lead.scored event of the lead to the lead-router again, as after a crash
    before its batch committed; returns how many."""

    async def again() -> int:
        e = models.OutboxEvent
        async with stack.runtime.sessions() as session, session.begin():
            ids = list(
                await session.scalars(
                    select(e.id).where(e.topic == "lead.scored", e.aggregate_id == lead)
                )
            )
            session.add_all(
                models.OutboxDelivery(consumer=LeadRouter.name, outbox_id=i) for i in ids
            )
        return len(ids)

    return stack.call(again)


def topics_of(stack: Stack, aggregate: str) -> list[str]:
    async def read() -> list[str]:
        e = models.OutboxEvent
        async with stack.runtime.sessions() as session:
            rows = await session.scalars(
                select(e.topic).where(e.aggregate_id == aggregate).order_by(e.id)
            )
            return list(rows)

    return stack.call(read)


def routing_of(stack: Stack, tenant: str, lead: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(stack, ROUTING, tenant, l=lead)["lead"]
    return found


def test_a_qualified_lead_goes_once_to_the_best_matching_rep_with_a_task(
    stack: Stack, tenant: str
) -> None:
    michael = user(stack, tenant, "Michael Johnson", "sales_rep")
    user(stack, tenant, "Ann Idle", "sales_rep", "healthcare")
    # Not a sales rep: never chosen, however well it matches.
    user(stack, tenant, "Tess Admin", "tenant_admin", "cloud_migration", "technology")
    # Another tenant's rep matches everything and carries no load: never chosen either.
    other = f"{tenant}_b"
    user(stack, other, "Olga Other", "sales_rep", "cloud_migration", "technology", "referral")
    set_ = ok(stack, SPECIALIZE, tenant, u=michael, s=["Cloud Migration", "enterprise_sales"])
    assert set_["setUserSpecializations"]["user"]["specializations"] == [
        "cloud_migration",
        "enterprise_sales",
    ]
    # Michael already owns a lead (he created it): the match outweighs Ann's empty desk.
    mine = {"firstName": "Bo", "lastName": "Busy", "email": "bo@crm.test", "source": "web"}
    made = as_role(stack, tenant, "sales_rep", CREATE, user=uuid.UUID(michael), input=mine)
    assert made.get("errors") is None, made

    lead = ok(stack, CREATE, tenant, input=LEAD)["createLead"]["lead"]["id"]
    routed(stack, tenant)
    below = routing_of(stack, tenant, lead)
    assert (below["score"], below["routing"]) == (65, None)

    ok(stack, TOUCH, tenant, input={"leadId": lead, **PRICING})
    routed(stack, tenant)
    found = routing_of(stack, tenant, lead)
    routing = found["routing"]
    assert found["score"] == 72
    assert found["owner"] == {"id": michael, "name": "Michael Johnson"}
    assert routing["assignedTo"]["id"] == michael
    assert routing["assignedTo"]["specializations"] == ["cloud_migration", "enterprise_sales"]
    assert routing["matchedSpecializations"] == ["cloud_migration"]
    assert routing["score"] == 72
    assert routing["reason"] == (
        "Best match for cloud_migration (project type cloud_migration); "
        "1 open lead and 0 pending tasks"
    )
    task = routing["task"]
    assert task["title"] == "Qualify lead Jane Smith"
    assert (task["priority"], task["status"]) == ("HIGH", "PENDING")
    assert task["assignedTo"] == {"id": michael}
    assert task["relatedTo"] == {"id": lead}
    due = datetime.fromisoformat(task["dueDate"]) - datetime.fromisoformat(routing["routedAt"])
    assert abs(due - timedelta(hours=24)) < timedelta(minutes=1)
    # Written through the domain's paths, so their events fire.
    assert topics_of(stack, lead).count("lead.updated") == 1  # the owner set
    assert topics_of(stack, task["id"]) == ["activity.created"]

    # A rescore (an answer logged: +2 for an inbound message) does not route it again.
    ok(
        stack,
        LOG,
        tenant,
        input={
            "type": "EMAIL",
            "direction": "INBOUND",
            "content": "Sounds good",
            "timestamp": "2030-01-06T10:00:00Z",
            "relatedTo": {"type": "LEAD", "id": lead},
        },
    )
    routed(stack, tenant)
    again = routing_of(stack, tenant, lead)
    assert again["score"] == 74
    assert again["routing"] == routing
    assert tasks_of(stack, lead) == 1
    # Nor does every one of its lead.scored events handled again (a redelivery).
    assert redeliver(stack, lead) == 3
    routed(stack, tenant)
    assert routing_of(stack, tenant, lead)["routing"] == routing
    assert tasks_of(stack, lead) == 1


def test_without_a_sales_rep_the_task_is_unassigned_and_the_reason_says_so(
    stack: Stack, tenant: str
) -> None:
    user(stack, tenant, "Tess Admin", "tenant_admin", "cloud_migration")
    lead = ok(stack, CREATE, tenant, input={**LEAD, "source": "Existing customer"})
    lead_id = lead["createLead"]["lead"]["id"]
    ok(stack, TOUCH, tenant, input={"leadId": lead_id, **PRICING})
    routed(stack, tenant)
    found = routing_of(stack, tenant, lead_id)
    assert found["owner"] is None
    assert found["routing"]["assignedTo"] is None
    assert found["routing"]["reason"] == (
        "No sales rep in the tenant: the qualification task is unassigned"
    )
    assert found["routing"]["task"]["assignedTo"] is None
    assert found["routing"]["task"]["priority"] == "HIGH"


def test_tenant_admins_set_specializations_sales_reps_may_not(stack: Stack, tenant: str) -> None:
    rep = user(stack, tenant, "Rita Rep", "sales_rep", "healthcare")
    refused = as_role(stack, tenant, "sales_rep", SPECIALIZE, user=uuid.UUID(rep), u=rep, s=["x"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    too_many = [f"tag{i}" for i in range(11)]
    bad = as_role(stack, tenant, "tenant_admin", SPECIALIZE, u=rep, s=too_many)
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    assert bad["errors"][0]["extensions"]["field"] == "specializations"
    elsewhere = as_role(stack, f"{tenant}_b", "tenant_admin", SPECIALIZE, u=rep, s=["x"])
    assert elsewhere["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    read = ok(stack, "query($u: ID!) { user(id: $u) { specializations } }", tenant, u=rep)
    assert read["user"]["specializations"] == ["healthcare"]  # nothing changed
    done = as_role(stack, tenant, "tenant_admin", SPECIALIZE, u=rep, s=["Healthcare", "SMB"])
    assert done["data"]["setUserSpecializations"]["user"]["specializations"] == [
        "healthcare",
        "smb",
    ]
