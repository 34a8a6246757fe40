"""The triggers of automation rules: a small registry of which event fires which trigger,
for which deal, and whose rules apply (the rules of a pipeline stage).

| trigger | event | rules of |
|---|---|---|
| stage_entered (or deal_entered_stage) | deal.stage_changed | the stage the deal moved to |
| stage_exited (or deal_exited_stage) | deal.stage_changed | the stage the deal left |
| deal_created | deal.created | the stage the deal was created in |
| deal_value_changed | deal.updated that changed the value | the deal's stage |

A new trigger is one register() call: its name, its topic, and a function from the event's
payload to a Fired (or None when this event does not fire it). The automation consumer
(crmgraph.events.consumers.automation) wants every registered topic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from crmgraph.events import payloads, states
from crmgraph.events.topics import Topic


@dataclass(frozen=True)
class Fired:
    """A trigger fired: the deal it is about, the stage whose rules apply, and the facts the
    rules' conditions read besides the deal's own (automation_conditions.FIELDS)."""

    trigger: str
    deal_id: UUID
    stage_id: UUID
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Trigger:
    name: str
    topic: Topic
    fire: Callable[[payloads.Payload], Fired | None]


TRIGGERS: dict[str, Trigger] = {}
# Other names the API design uses for the same trigger.
ALIASES: Mapping[str, str] = {
    "deal_entered_stage": "stage_entered",
    "deal_exited_stage": "stage_exited",
}


def register(trigger: Trigger) -> Trigger:
    TRIGGERS[trigger.name] = trigger
    return trigger


def canonical(name: str) -> str | None:
    """The registered trigger a rule's trigger names (an alias resolved), or None."""
    name = ALIASES.get(name, name)
    return name if name in TRIGGERS else None


def names() -> list[str]:
    return [*TRIGGERS, *ALIASES]


def topics() -> frozenset[Topic]:
    return frozenset(trigger.topic for trigger in TRIGGERS.values())


def fired(topic: str, payload: payloads.Payload) -> list[Fired]:
    """The triggers an event fires, in registration order."""
    found = (t.fire(payload) for t in TRIGGERS.values() if t.topic == topic)
    return [one for one in found if one is not None]


def deal_facts(deal: states.DealState) -> dict[str, Any]:
    """The deal fields conditions read, under the API's names."""
    return {
        "value": deal.value,
        "probability": deal.probability,
        "title": deal.title,
        "currency": deal.currency,
        "status": deal.status,
        "description": deal.description,
        "ownerId": deal.owner_id,
        "accountId": deal.account_id,
        "contactId": deal.contact_id,
        "pipelineId": deal.pipeline_id,
        "expectedCloseDate": deal.expected_close_date,
        "customFields": deal.custom_fields or {},
    }


def _entered(payload: payloads.Payload) -> Fired | None:
    if not isinstance(payload, payloads.DealStageChanged):
        return None
    facts = {"stage": payload.to_stage_name, "previousStage": payload.from_stage_name}
    return Fired("stage_entered", payload.deal.id, payload.to_stage_id, facts)


def _exited(payload: payloads.Payload) -> Fired | None:
    if not isinstance(payload, payloads.DealStageChanged) or payload.from_stage_id is None:
        return None
    facts = {"stage": payload.to_stage_name, "previousStage": payload.from_stage_name}
    return Fired("stage_exited", payload.deal.id, payload.from_stage_id, facts)


def _created(payload: payloads.Payload) -> Fired | None:
    if not isinstance(payload, payloads.DealCreated):
        return None
    return Fired("deal_created", payload.deal.id, payload.deal.stage_id)


def _value_changed(payload: payloads.Payload) -> Fired | None:
    if not isinstance(payload, payloads.DealUpdated) or payload.previous_value is None:
        return None
    facts = {"previousValue": payload.previous_value}
    return Fired("deal_value_changed", payload.deal.id, payload.deal.stage_id, facts)


register(Trigger("stage_entered", Topic.DEAL_STAGE_CHANGED, _entered))
register(Trigger("stage_exited", Topic.DEAL_STAGE_CHANGED, _exited))
register(Trigger("deal_created", Topic.DEAL_CREATED, _created))
register(Trigger("deal_value_changed", Topic.DEAL_UPDATED, _value_changed))
