"""Input types of the contacts subgraph: ContactSort (ContactFilter, which the deals subgraph
filters by too, is shared in crmgraph.gql.entity_filters)."""

from __future__ import annotations

from enum import Enum

import strawberry

from crmgraph.gql.filters import SortDirection


@strawberry.enum
class ContactSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    COMPANY = "company"
    JOB_TITLE = "job_title"


@strawberry.input(description="Order of a contact list; the id breaks ties.")
class ContactSort:
    field: ContactSortField
    direction: SortDirection = SortDirection.ASC
