"""LeadFilter and LeadSort: the arguments of the leads list."""

from __future__ import annotations

from enum import Enum

import strawberry

from crmgraph.db.filtering import Condition, Filter, JsonCondition
from crmgraph.db.pagination import Sort
from crmgraph.gql.filters import (
    DateTimeFilter,
    IDFilter,
    IntFilter,
    JSONFilter,
    SortDirection,
    StringFilter,
    conditions,
    id_conditions,
    json_conditions,
    sort_of,
)
from subgraphs.leads.types import LeadStatus


@strawberry.input(description="Match lead statuses.")
class LeadStatusFilter:
    eq: LeadStatus | None = None
    ne: LeadStatus | None = None
    in_: list[LeadStatus] | None = strawberry.field(name="in", default=None)
    nin: list[LeadStatus] | None = None


@strawberry.input(description="Filter leads; all given conditions must hold.")
class LeadFilter:
    id: IDFilter | None = None
    first_name: StringFilter | None = None
    last_name: StringFilter | None = None
    email: StringFilter | None = strawberry.field(
        default=None, description="Ignores case (emails are stored lower-case)."
    )
    company: StringFilter | None = None
    source: StringFilter | None = None
    status: LeadStatusFilter | None = None
    score: IntFilter | None = None
    created_at: DateTimeFilter | None = None
    custom_fields: JSONFilter | None = None

    def to_filter(self) -> Filter:
        found: list[Condition | JsonCondition] = [
            *id_conditions("id", self.id, field="filter.id"),
            *conditions("email", self.email, ignore_case=True),
            *json_conditions("custom_fields", self.custom_fields),
        ]
        for name in ("first_name", "last_name", "company", "source", "status", "score",
                     "created_at"):  # fmt: skip
            found += conditions(name, getattr(self, name))
        return Filter(tuple(found))


@strawberry.enum(description="Lead columns a list can be sorted by.")
class LeadSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    COMPANY = "company"
    SCORE = "score"
    STATUS = "status"
    SOURCE = "source"


@strawberry.input(description="Sort order of a lead list; the id breaks ties.")
class LeadSort:
    field: LeadSortField
    direction: SortDirection = SortDirection.ASC


def lead_filter(spec: LeadFilter | None) -> Filter:
    return Filter() if spec is None else spec.to_filter()


def lead_sort(spec: LeadSort | None) -> Sort:
    if spec is None:
        return Sort()
    return sort_of(spec.field, spec.direction, {f.value: f.value for f in LeadSortField})
