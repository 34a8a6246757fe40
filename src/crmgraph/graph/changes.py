"""The graph's part of an event: the nodes, relationships and deletions it writes
(changes_of), and the topics whose events change the graph (TOPICS, the projection
consumer's). Rows an event carries besides its own (a pipeline's stages, a deal's stage
move) are `_carried`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from crmgraph.events import lead_payloads, payloads
from crmgraph.graph.model import Changes, Deletion, Label, Node
from crmgraph.graph.nodes import (
    account,
    activity,
    campaign,
    contact,
    deal,
    lead,
    pipeline,
    relationship,
    stage,
    stage_move,
    touchpoint,
)

# Per projected row kind: its events' base class, the deletion among them (campaigns and
# touchpoints have none; a touchpoint goes with its lead or contact), the payload field
# holding the row, its label and how its node is made.
ROWS: Final[tuple[tuple[type[payloads.Payload], type[payloads.Payload] | None, str, Label,
                        Callable[[Any], Node]], ...]] = (
    (payloads.AccountEvent, payloads.AccountDeleted, "account", "Account", account),
    (payloads.ContactEvent, payloads.ContactDeleted, "contact", "Contact", contact),
    (lead_payloads.LeadEvent, lead_payloads.LeadDeleted, "lead", "Lead", lead),
    (payloads.DealEvent, payloads.DealDeleted, "deal", "Deal", deal),
    (lead_payloads.CampaignEvent, None, "campaign", "Campaign", campaign),
    (lead_payloads.TouchpointRecorded, None, "touchpoint", "Touchpoint", touchpoint),
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


# The topics whose events change the graph (the projection consumer's topics).
TOPICS: Final = frozenset(
    cls.TOPIC
    for cls in payloads.PAYLOADS.values()
    if issubclass(cls, (*RELATIONSHIP_EVENTS, *(kind[0] for kind in ROWS)))
)
