"""One frozen payload dataclass per topic: what an event says, typed.

A payload holds the state of the row it is about (crmgraph.events.states) in the field
named after the row's model in snake_case (`deal`, `account_relationship`, ...), the user
who caused it (`actor_id`, None for the system) and what else the event says. VERSION is
the shape of its JSON (crmgraph.events.codec); change a class's fields, raise its VERSION
and teach the codec the old one. PAYLOADS finds the class of a topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from msgspec import UNSET, UnsetType

from crmgraph.events import states
from crmgraph.events.topics import Topic


@dataclass(frozen=True, kw_only=True)
class Payload:
    """Base of every payload."""

    TOPIC: ClassVar[Topic]
    VERSION: ClassVar[int] = 1

    actor_id: UUID | None = None
    # Set on the events of a change an automation rule made (crmgraph.events.outbox.caused_by);
    # absent from every other event's JSON.
    automation: RuleCause | UnsetType = UNSET


@dataclass(frozen=True, kw_only=True)
class RuleCause:
    """The automation rule run that made a change: the rule, the event that triggered it,
    and how deep the chain of rules is (1: a change of a user's or a system's triggered it)."""

    rule_id: UUID
    event_id: UUID
    depth: int


# Accounts


@dataclass(frozen=True, kw_only=True)
class AccountEvent(Payload):
    account: states.AccountState


@dataclass(frozen=True, kw_only=True)
class AccountCreated(AccountEvent):
    TOPIC = Topic.ACCOUNT_CREATED


@dataclass(frozen=True, kw_only=True)
class AccountUpdated(AccountEvent):
    TOPIC = Topic.ACCOUNT_UPDATED


@dataclass(frozen=True, kw_only=True)
class AccountDeleted(AccountEvent):
    TOPIC = Topic.ACCOUNT_DELETED


@dataclass(frozen=True, kw_only=True)
class AccountRelationshipCreated(Payload):
    TOPIC = Topic.ACCOUNT_RELATIONSHIP_CREATED
    account_relationship: states.AccountRelationshipState


@dataclass(frozen=True, kw_only=True)
class AccountRelationshipDeleted(Payload):
    TOPIC = Topic.ACCOUNT_RELATIONSHIP_DELETED
    account_relationship: states.AccountRelationshipState


# Activities: a task, a calendar event or a communication; exactly one of the three is
# present, the other two are absent (not null) in the JSON too.


@dataclass(frozen=True, kw_only=True)
class ActivityEvent(Payload):
    task: states.TaskState | UnsetType = UNSET
    event: states.EventState | UnsetType = UNSET
    communication: states.CommunicationState | UnsetType = UNSET

    def __post_init__(self) -> None:
        present = [s for s in (self.task, self.event, self.communication) if s is not UNSET]
        if len(present) != 1:
            raise ValueError(f"{self.TOPIC} carries one activity, not {len(present)}")

    @property
    def activity(self) -> states.ActivityState:
        """The activity: whichever of task, event and communication is present."""
        for state in (self.task, self.event, self.communication):
            if not isinstance(state, UnsetType):
                return state
        raise AssertionError("checked in __post_init__")


@dataclass(frozen=True, kw_only=True)
class ActivityCreated(ActivityEvent):
    TOPIC = Topic.ACTIVITY_CREATED


@dataclass(frozen=True, kw_only=True)
class ActivityUpdated(ActivityEvent):
    TOPIC = Topic.ACTIVITY_UPDATED


@dataclass(frozen=True, kw_only=True)
class ActivityDeleted(ActivityEvent):
    TOPIC = Topic.ACTIVITY_DELETED


@dataclass(frozen=True, kw_only=True)
class TaskEvent(Payload):
    task: states.TaskState


@dataclass(frozen=True, kw_only=True)
class TaskCompleted(TaskEvent):
    TOPIC = Topic.TASK_COMPLETED


@dataclass(frozen=True, kw_only=True)
class TaskDue(TaskEvent):
    TOPIC = Topic.TASK_DUE


# API keys


@dataclass(frozen=True, kw_only=True)
class ApiKeyEvent(Payload):
    api_key: states.ApiKeyState


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(ApiKeyEvent):
    TOPIC = Topic.API_KEY_CREATED


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(ApiKeyEvent):
    TOPIC = Topic.API_KEY_REVOKED


# Contacts


@dataclass(frozen=True, kw_only=True)
class ContactEvent(Payload):
    contact: states.ContactState


@dataclass(frozen=True, kw_only=True)
class ContactCreated(ContactEvent):
    TOPIC = Topic.CONTACT_CREATED


@dataclass(frozen=True, kw_only=True)
class ContactUpdated(ContactEvent):
    TOPIC = Topic.CONTACT_UPDATED


@dataclass(frozen=True, kw_only=True)
class ContactDeleted(ContactEvent):
    TOPIC = Topic.CONTACT_DELETED


# Deals


@dataclass(frozen=True, kw_only=True)
class DealEvent(Payload):
    """The deal as it is just after the change (before it, for deal.deleted)."""

    deal: states.DealState


@dataclass(frozen=True, kw_only=True)
class DealCreated(DealEvent):
    TOPIC = Topic.DEAL_CREATED


@dataclass(frozen=True, kw_only=True)
class DealUpdated(DealEvent):
    """previous_value: the value before this update when it changed the value, else null
    (an addition with a default: every reader of version 1 accepts it)."""

    TOPIC = Topic.DEAL_UPDATED
    previous_value: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class DealStageChanged(DealEvent):
    """The move; stage names travel with it so that subscribers need no lookup."""

    TOPIC = Topic.DEAL_STAGE_CHANGED
    from_stage_id: UUID | None
    to_stage_id: UUID
    from_stage_name: str | None
    to_stage_name: str
    reason: str | None
    # The history row the move wrote (its id and time: the graph projection's stage move).
    # Absent from events written before it was added: an addition every reader of version 1
    # accepts, hence no new version.
    deal_stage_change: states.DealStageChangeState | None = None


@dataclass(frozen=True, kw_only=True)
class DealDeleted(DealEvent):
    TOPIC = Topic.DEAL_DELETED


@dataclass(frozen=True, kw_only=True)
class DealAutomation(Payload):
    """An automation rule's emit_webhook action (crmgraph.domain.automation_actions): the deal
    as it is, the event's name and data, the rule, and the event that triggered it. Not a
    DealEvent: the deal did not change (the graph projection has nothing to write)."""

    TOPIC = Topic.DEAL_AUTOMATION
    deal: states.DealState
    name: str
    data: dict[str, Any]
    rule_id: UUID
    trigger_event_id: UUID


# Pipelines


@dataclass(frozen=True, kw_only=True)
class PipelineEvent(Payload):
    pipeline: states.PipelineState


@dataclass(frozen=True, kw_only=True)
class PipelineCreated(PipelineEvent):
    TOPIC = Topic.PIPELINE_CREATED
    stages: list[states.PipelineStageState]


@dataclass(frozen=True, kw_only=True)
class PipelineUpdated(PipelineEvent):
    TOPIC = Topic.PIPELINE_UPDATED


@dataclass(frozen=True, kw_only=True)
class PipelineChanged(PipelineEvent):
    """A stage added, changed, removed or reordered: `change` says which."""

    TOPIC = Topic.PIPELINE_CHANGED
    change: str
    stage: states.PipelineStageState


@dataclass(frozen=True, kw_only=True)
class PipelineDeleted(PipelineEvent):
    TOPIC = Topic.PIPELINE_DELETED


# Payloads kept in modules of their own: imported here so that PAYLOADS finds them.
from crmgraph.events import lead_payloads as lead_payloads  # noqa: E402
from crmgraph.events.zoho_payloads import ZohoRecordReceived as ZohoRecordReceived  # noqa: E402


def _leaves(base: type[Payload]) -> list[type[Payload]]:
    found: list[type[Payload]] = []
    for sub in base.__subclasses__():
        found.extend([sub] if "TOPIC" in vars(sub) else _leaves(sub))
    return found


# The payload class of each topic; tests/unit/events hold it to exactly one per topic.
PAYLOADS: dict[Topic, type[Payload]] = {cls.TOPIC: cls for cls in _leaves(Payload)}
