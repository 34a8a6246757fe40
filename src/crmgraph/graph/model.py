"""What the graph projection holds, made from row states: nodes with their links, and the
changes an event or a rebuild applies (crmgraph.graph.port.GraphStore.project).

One function per label turns a row's state (crmgraph.events.states, or the ORM row through
the same state class) into a Node, so the outbox consumer and `crmgraph graph rebuild` write
exactly the same thing. A new label is a state class, a node function here, an entry in
LINKS and in ROWS (which makes its topics part of TOPICS); rows an event carries besides its
own (a pipeline's stages, a deal's stage move) are `_carried`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal
from uuid import UUID

from crmgraph.domain.customer_journey import activity_facts
from crmgraph.events import payloads, states

Label = Literal["Account", "Contact", "Lead", "Deal", "User", "Campaign", "Touchpoint",
                "Pipeline", "Stage", "StageMove", "Activity"]  # fmt: skip
# In the order written: a link's target before the nodes linking to it.
LABELS: Final[tuple[Label, ...]] = (
    "User", "Account", "Contact", "Lead", "Deal", "Campaign", "Touchpoint", "Pipeline", "Stage",
    "StageMove", "Activity")  # fmt: skip


@dataclass(frozen=True)
class Link:
    """An edge kept in step with one column: `key` names the column's value in Node.links;
    `outgoing` edges point from the node to the target, others from the target to it."""

    key: str
    rel: str
    target: Label
    outgoing: bool


# Every projected edge but RELATED (account relationships, rows of their own).
LINKS: Final[dict[Label, tuple[Link, ...]]] = {
    "User": (),
    "Account": (Link("parent", "PARENT_OF", "Account", False),
                Link("owner", "OWNS", "User", False)),
    "Contact": (Link("account", "WORKS_AT", "Account", True),
                Link("owner", "OWNS", "User", False),
                Link("lead", "FROM_LEAD", "Lead", True)),
    "Lead": (Link("contact", "CONVERTED_TO", "Contact", True),
             Link("owner", "OWNS", "User", False),
             Link("deal", "CONVERTED_TO_DEAL", "Deal", True),
             Link("account", "CONVERTED_TO_ACCOUNT", "Account", True)),
    "Deal": (Link("account", "FOR_ACCOUNT", "Account", True),
             Link("contact", "WITH_CONTACT", "Contact", True),
             Link("owner", "OWNS", "User", False)),
    "Campaign": (),
    # A touchpoint's lead and contact both touched it: one relation type, two target labels.
    "Touchpoint": (Link("lead", "TOUCHED", "Lead", False),
                   Link("contact", "TOUCHED", "Contact", False),
                   Link("campaign", "OF_CAMPAIGN", "Campaign", True)),
    "Pipeline": (),
    "Stage": (Link("pipeline", "IN_PIPELINE", "Pipeline", True),),
    "StageMove": (Link("deal", "OF_DEAL", "Deal", True),
                  Link("from", "FROM_STAGE", "Stage", True),
                  Link("to", "TO_STAGE", "Stage", True)),
    # An activity is about one contact, lead, account or deal (its related_type and _id).
    "Activity": tuple(Link(label.lower(), "ABOUT", label, True)
                      for label in ("Contact", "Lead", "Account", "Deal")),
}  # fmt: skip


@dataclass(frozen=True)
class Node:
    """A row as the graph holds it. `version` orders states of one row (its updated_at as a
    fixed-width UTC string, so later sorts after): an older state never overwrites a newer."""

    label: Label
    tenant_id: str
    id: str
    version: str
    props: dict[str, Any]
    links: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Relationship:
    """An account relationship: (account)-[:RELATED {id, type}]->(related)."""

    tenant_id: str
    id: str
    account_id: str
    related_account_id: str
    type: str


@dataclass(frozen=True)
class Deletion:
    label: Label
    tenant_id: str
    id: str


@dataclass
class Changes:
    """What to write: nodes (with or without their links), relationships, deletions (of
    nodes, and of account relationships: `unrelated`)."""

    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    unrelated: list[Relationship] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.relationships or self.deletions or self.unrelated)


def version(at: datetime) -> str:
    """SQLite gives times without a zone; they are UTC, as every time we store."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def at(value: datetime | None) -> datetime | None:
    """A time as the graph keeps it (a zoned DateTime): SQLite's zoneless times are UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cents(value: Decimal) -> int:
    """Money as an exact integer of hundredths (the Money columns have two decimals)."""
    return int((value * 100).to_integral_value())


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


# Per projected row kind: its events' base class, the deletion among them (campaigns and
# touchpoints have none; a touchpoint goes with its lead or contact), the payload field
# holding the row, its label and how its node is made.
ROWS: Final[tuple[tuple[type[payloads.Payload], type[payloads.Payload] | None, str, Label,
                        Callable[[Any], Node]], ...]] = (
    (payloads.AccountEvent, payloads.AccountDeleted, "account", "Account", account),
    (payloads.ContactEvent, payloads.ContactDeleted, "contact", "Contact", contact),
    (payloads.LeadEvent, payloads.LeadDeleted, "lead", "Lead", lead),
    (payloads.DealEvent, payloads.DealDeleted, "deal", "Deal", deal),
    (payloads.CampaignEvent, None, "campaign", "Campaign", campaign),
    (payloads.TouchpointRecorded, None, "touchpoint", "Touchpoint", touchpoint),
    (payloads.PipelineEvent, payloads.PipelineDeleted, "pipeline", "Pipeline", pipeline),
    (payloads.ActivityEvent, payloads.ActivityDeleted, "activity", "Activity", activity),
    # complete_task records only task.completed; task.due changes no projected field.
    (payloads.TaskCompleted, None, "task", "Activity", activity),
)  # fmt: skip


def _carried(payload: payloads.Payload, out: Changes) -> None:
    """Rows an event carries besides its own: a new pipeline's stages, a stage added,
    changed or removed, and the stage history row of a deal's move."""
    if isinstance(payload, payloads.PipelineCreated):
        out.nodes.extend(stage(s) for s in payload.stages)
    if isinstance(payload, payloads.PipelineChanged):
        if payload.change == "stage_removed":
            out.deletions.append(Deletion("Stage", payload.stage.tenant_id, str(payload.stage.id)))
        else:
            out.nodes.append(stage(payload.stage))
    if isinstance(payload, payloads.DealStageChanged) and payload.deal_stage_change is not None:
        out.nodes.append(stage_move(payload.deal_stage_change))


RELATIONSHIP_EVENTS: Final = (payloads.AccountRelationshipCreated,
                               payloads.AccountRelationshipDeleted)  # fmt: skip


def changes_of(payload: payloads.Payload) -> Changes:
    """The graph's part of one event; empty for events the graph does not hold."""
    out = Changes()
    if isinstance(payload, payloads.AccountRelationshipCreated):
        out.relationships.append(relationship(payload.account_relationship))
    if isinstance(payload, payloads.AccountRelationshipDeleted):
        out.unrelated.append(relationship(payload.account_relationship))
    for base, deleted, name, label, node in ROWS:
        if isinstance(payload, base):
            row = getattr(payload, name)
            if deleted is not None and isinstance(payload, deleted):
                out.deletions.append(Deletion(label, row.tenant_id, str(row.id)))
            else:
                out.nodes.append(node(row))
    _carried(payload, out)
    return out


def combined(parts: Iterable[Changes]) -> Changes:
    """The changes of several events, in their order, as one write: each node's newest state
    only (the highest version; of equal versions the last, as a later equal state
    overwrites), so its links are those of the state that wins, as when written one by one."""
    out = Changes()
    newest: dict[tuple[str, str, str], Node] = {}
    for part in parts:
        for node in part.nodes:
            key = (node.label, node.tenant_id, node.id)
            kept = newest.get(key)
            if kept is None or kept.version <= node.version:
                newest[key] = node
        out.relationships.extend(part.relationships)
        out.deletions.extend(part.deletions)
        out.unrelated.extend(part.unrelated)
    out.nodes.extend(newest.values())
    return out


# The topics whose events change the graph (the projection consumer's topics).
TOPICS: Final = frozenset(
    cls.TOPIC
    for cls in payloads.PAYLOADS.values()
    if issubclass(cls, (*RELATIONSHIP_EVENTS, *(kind[0] for kind in ROWS)))
)
