"""Rows as the graph holds them: one function per label turns a row's state
(crmgraph.events.states, or the ORM row through the same state class) into a Node, so the
outbox consumer (crmgraph.graph.changes) and `crmgraph graph rebuild` write exactly the
same thing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

from crmgraph.domain.customer_journey import activity_facts
from crmgraph.events import states
from crmgraph.graph.model import LINKS, Node, Relationship, at, cents, version


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def account(row: states.AccountState) -> Node:
    return Node("Account", row.tenant_id, str(row.id), version(row.updated_at),
                {"name": row.name, "type": row.type, "industry": row.industry},
                {"parent": _id(row.parent_account_id), "owner": _id(row.owner_id)})  # fmt: skip


def contact(row: states.ContactState) -> Node:
    return Node("Contact", row.tenant_id, str(row.id), version(row.updated_at),
                {"name": f"{row.first_name} {row.last_name}", "email": row.email},
                {"account": _id(row.account_id), "owner": _id(row.owner_id),
                 "lead": _id(row.lead_id)})  # fmt: skip


def lead(row: states.LeadState) -> Node:
    return Node("Lead", row.tenant_id, str(row.id), version(row.updated_at),
                {"name": f"{row.first_name} {row.last_name}", "email": row.email,
                 "status": row.status, "source": row.source, "score": row.score,
                 "created_at": at(row.created_at), "updated_at": at(row.updated_at),
                 "converted_at": at(row.converted_at)},
                {"contact": _id(row.converted_contact_id), "owner": _id(row.owner_id),
                 "deal": _id(row.converted_deal_id),
                 "account": _id(row.converted_account_id)})  # fmt: skip


def deal(row: states.DealState) -> Node:
    return Node("Deal", row.tenant_id, str(row.id), version(row.updated_at),
                {"title": row.title, "value": str(row.value), "value_cents": cents(row.value),
                 "currency": row.currency, "status": row.status,
                 "created_at": at(row.created_at), "closed_at": at(row.actual_close_date)},
                {"account": _id(row.account_id), "contact": _id(row.contact_id),
                 "owner": _id(row.owner_id)})  # fmt: skip


def campaign(row: states.CampaignState) -> Node:
    return Node("Campaign", row.tenant_id, str(row.id), version(row.updated_at),
                {"name": row.name, "type": row.type, "status": row.status,
                 "budget": None if row.budget is None else str(row.budget),
                 "start_date": at(row.start_date), "end_date": at(row.end_date)})  # fmt: skip


def touchpoint(row: states.TouchpointState) -> Node:
    return Node("Touchpoint", row.tenant_id, str(row.id), version(row.updated_at),
                {"occurred_at": at(row.occurred_at), "utm_source": row.utm_source,
                 "utm_medium": row.utm_medium, "utm_campaign": row.utm_campaign,
                 "utm_content": row.utm_content, "utm_term": row.utm_term,
                 "referrer": row.referrer, "landing_page": row.landing_page,
                 "channel": row.channel},
                {"lead": _id(row.lead_id), "contact": _id(row.contact_id),
                 "campaign": _id(row.campaign_id)})  # fmt: skip


def pipeline(row: states.PipelineState) -> Node:
    return Node("Pipeline", row.tenant_id, str(row.id), version(row.updated_at),
                {"name": row.name})  # fmt: skip


def stage(row: states.PipelineStageState) -> Node:
    return Node("Stage", row.tenant_id, str(row.id), version(row.updated_at),
                {"name": row.name, "position": row.position, "probability": row.probability},
                {"pipeline": _id(row.pipeline_id)})  # fmt: skip


def stage_move(row: states.DealStageChangeState) -> Node:
    """A move of a deal between stages (a stage history row with a from-stage; the row of
    the deal's first stage is not a move), at the row's created_at."""
    return Node("StageMove", row.tenant_id, str(row.id), version(row.updated_at),
                {"moved_at": at(row.created_at), "reason": row.reason},
                {"deal": _id(row.deal_id), "from": _id(row.from_stage_id),
                 "to": _id(row.to_stage_id)})  # fmt: skip


ACTIVITY_KINDS: Final = {states.TaskState: "TASK", states.EventState: "EVENT",
                         states.CommunicationState: "COMMUNICATION"}  # fmt: skip


def activity(row: states.ActivityState) -> Node:
    """A task, calendar event or communication: `type` says which, `subject` is its title
    (a communication's subject, else its type) and `occurred_at` when it happened (a task
    at its completion, else its creation; an event at its start)."""
    kind = ACTIVITY_KINDS[type(row)]
    when, title = activity_facts(kind, row)
    props: dict[str, Any] = {
        "type": kind, "subject": title, "occurred_at": at(when), "created_at": at(row.created_at),
        "related_type": row.related_type, "related_id": _id(row.related_id)}  # fmt: skip
    if isinstance(row, states.TaskState):
        props |= {"status": row.status, "completed": row.status == "COMPLETED",
                  "completed_at": at(row.completed_at), "due_date": at(row.due_date)}  # fmt: skip
    elif isinstance(row, states.EventState):
        props |= {"start_time": at(row.start_time), "end_time": at(row.end_time)}
    else:
        props |= {"channel": row.type, "direction": row.direction}
    about: dict[str, str | None] = {link.key: None for link in LINKS["Activity"]}
    if (row.related_type or "").lower() in about:
        about[(row.related_type or "").lower()] = _id(row.related_id)
    return Node("Activity", row.tenant_id, str(row.id), version(row.updated_at), props, about)


def user(tenant_id: str, id: UUID, name: str, email: str, updated_at: datetime) -> Node:
    return Node("User", tenant_id, str(id), version(updated_at), {"name": name, "email": email})


def relationship(row: states.AccountRelationshipState) -> Relationship:
    return Relationship(row.tenant_id, str(row.id), str(row.account_id),
                        str(row.related_account_id), row.relationship_type)  # fmt: skip
