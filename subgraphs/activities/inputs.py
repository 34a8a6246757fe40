"""Filter, sort and reference inputs of the activities subgraph, and their translation."""

from __future__ import annotations

from enum import Enum

import strawberry

from crmgraph.db.pagination import Sort
from crmgraph.domain import activities
from crmgraph.gql.filters import (
    DateTimeFilter,
    IDFilter,
    SortDirection,
    conditions,
    id_conditions,
)
from crmgraph.gql.ids import parse_id
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
