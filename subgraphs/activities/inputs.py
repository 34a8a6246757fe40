"""Input types of the activities subgraph: the inputs of its mutations, and its filter, sort
and reference inputs, with their translation."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry

from crmgraph.db.pagination import Sort
from crmgraph.domain import activities
from crmgraph.domain.health import Weights, checked_weights
from crmgraph.gql.filters import (
    DateTimeFilter,
    IDFilter,
    SortDirection,
    conditions,
    id_conditions,
)
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from subgraphs.activities.enums import (
    CommunicationDirection,
    CommunicationType,
    Priority,
    TaskStatus,
)
from subgraphs.activities.feed import ActivitySpec


@strawberry.enum
class RelatedEntityType(Enum):
    CONTACT = "CONTACT"
    LEAD = "LEAD"
    ACCOUNT = "ACCOUNT"
    DEAL = "DEAL"


@strawberry.enum(description="The three kinds of activity.")
class ActivityKind(Enum):
    TASK = "TASK"
    EVENT = "EVENT"
    COMMUNICATION = "COMMUNICATION"


@strawberry.input(description="The entity an activity is about.")
class RelatedEntityInput:
    type: RelatedEntityType
    id: strawberry.ID

    def to_domain(self) -> activities.RelatedRef:
        return activities.RelatedRef(type=self.type.value, id=parse_id(self.id, field="relatedTo"))


@strawberry.input(description="Filter activities; all given conditions must hold.")
class ActivityFilter:
    type: list[ActivityKind] | None = strawberry.field(
        default=None, description="Only these kinds."
    )
    related_to: RelatedEntityInput | None = None
    assigned_to: IDFilter | None = strawberry.field(
        default=None, description="The assignee (tasks only: other kinds have none)."
    )
    created_at: DateTimeFilter | None = None
    occurred_at: DateTimeFilter | None = strawberry.field(
        default=None,
        description="When it happens: a task's dueDate (createdAt without one), an event's "
        "startTime, a communication's timestamp.",
    )

    def to_spec(self) -> ActivitySpec:
        related = None if self.related_to is None else self.related_to.to_domain()
        return ActivitySpec(
            kinds=activity_kinds(self.type),
            related_types=None if related is None else (related.type,),
            related_id=None if related is None else related.id,
            conditions=(
                *id_conditions("assigned_to_id", self.assigned_to, field="filter.assignedTo"),
                *conditions("created_at", self.created_at),
                *conditions("occurred_at", self.occurred_at),
            ),
        )


def activity_kinds(kinds: list[ActivityKind] | None) -> tuple[str, ...]:
    if kinds is None:
        return ActivitySpec().kinds
    chosen = {k.value for k in kinds}
    return tuple(k for k in ActivitySpec().kinds if k in chosen)


def spec_of(filter: ActivityFilter | None) -> ActivitySpec:
    return ActivitySpec() if filter is None else filter.to_spec()


@strawberry.enum
class ActivitySortField(Enum):
    CREATED_AT = "created_at"
    OCCURRED_AT = "occurred_at"


@strawberry.input(description="Order of an activity list; ties are broken by id.")
class ActivitySort:
    field: ActivitySortField = ActivitySortField.CREATED_AT
    direction: SortDirection = SortDirection.ASC

    def to_sort(self) -> Sort:
        return Sort(column=self.field.value, descending=self.direction is SortDirection.DESC)


def sort_of(sort: ActivitySort | None) -> Sort:
    return Sort() if sort is None else sort.to_sort()


def _ref(value: RelatedEntityInput | None) -> activities.RelatedRef | None:
    return None if value is None else value.to_domain()


def _ids(values: list[strawberry.ID] | None, *, field: str) -> tuple[UUID, ...]:
    return tuple(parse_id(v, field=field) for v in values or [])


@strawberry.input
class CreateTaskInput:
    title: str
    description: str | None = None
    due_date: datetime | None = None
    priority: Priority = Priority.MEDIUM
    status: TaskStatus = TaskStatus.PENDING
    assigned_to: strawberry.ID | None = strawberry.field(
        default=None, description="A user id; defaults to the caller."
    )
    related_to: RelatedEntityInput | None = None

    def to_domain(self) -> activities.NewTask:
        return activities.NewTask(
            title=self.title,
            description=self.description,
            due_date=self.due_date,
            priority=self.priority.value,
            status=self.status.value,
            assigned_to_id=parse_optional_id(self.assigned_to, field="assignedTo"),
            related_to=_ref(self.related_to),
        )


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateTaskInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    due_date: datetime | None = strawberry.UNSET
    priority: Priority | None = strawberry.UNSET
    status: TaskStatus | None = strawberry.UNSET
    assigned_to: strawberry.ID | None = strawberry.UNSET
    related_to: RelatedEntityInput | None = strawberry.UNSET

    def to_domain(self) -> activities.TaskChanges:
        return given(
            self,
            activities.TaskChanges,
            priority=lambda v: v.value,
            status=lambda v: v.value,
            assigned_to=lambda v: parse_id(v, field="assignedTo"),
            related_to=RelatedEntityInput.to_domain,
        )


@strawberry.input
class CreateEventInput:
    title: str
    start_time: datetime
    end_time: datetime
    description: str | None = None
    location: str | None = None
    attendees: list[strawberry.ID] | None = strawberry.field(
        default=None, description="User ids of this tenant, at most 50."
    )
    related_to: RelatedEntityInput | None = None

    def to_domain(self) -> activities.NewEvent:
        return activities.NewEvent(
            title=self.title,
            start_time=self.start_time,
            end_time=self.end_time,
            description=self.description,
            location=self.location,
            attendee_ids=_ids(self.attendees, field="attendees"),
            related_to=_ref(self.related_to),
        )


@strawberry.input(
    description="Only the fields given change; null clears an optional field (attendees: "
    "all of them)."
)
class UpdateEventInput:
    title: str | None = strawberry.UNSET
    start_time: datetime | None = strawberry.UNSET
    end_time: datetime | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    location: str | None = strawberry.UNSET
    attendees: list[strawberry.ID] | None = strawberry.UNSET
    related_to: RelatedEntityInput | None = strawberry.UNSET

    def to_domain(self) -> activities.EventChanges:
        return given(
            self,
            activities.EventChanges,
            attendees=lambda v: _ids(v, field="attendees"),
            related_to=RelatedEntityInput.to_domain,
        )


@strawberry.input
class CommunicationInput:
    type: CommunicationType
    direction: CommunicationDirection
    content: str
    subject: str | None = None
    timestamp: datetime | None = strawberry.field(
        default=None, description="When it took place; defaults to now."
    )
    participants: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Contact ids of this tenant, at most 50."
    )
    related_to: RelatedEntityInput | None = None

    def to_domain(self) -> activities.NewCommunication:
        return activities.NewCommunication(
            type=self.type.value,
            direction=self.direction.value,
            content=self.content,
            subject=self.subject,
            timestamp=self.timestamp,
            participant_ids=_ids(self.participants, field="participants"),
            related_to=_ref(self.related_to),
        )


@strawberry.input(
    description="A tenant's weights of the customer health components: each at least 0, "
    "their sum above 0."
)
class HealthWeightsInput:
    support: float
    financial: float
    delivery: float
    engagement: float

    def to_domain(self) -> Weights:
        return checked_weights(self.support, self.financial, self.delivery, self.engagement)
