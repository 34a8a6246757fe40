"""Input types of the accounts subgraph: AccountSort (AccountFilter, which the deals subgraph
filters by too, is shared in crmgraph.gql.entity_filters)."""

from __future__ import annotations

from enum import Enum

import strawberry

from crmgraph.gql.filters import SortDirection


@strawberry.enum
class AccountSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"
    INDUSTRY = "industry"
    TYPE = "type"
    EMPLOYEES = "employees"
    ANNUAL_REVENUE = "annual_revenue"


@strawberry.input(description="Order of an account list; the id breaks ties.")
class AccountSort:
    field: AccountSortField
    direction: SortDirection = SortDirection.ASC
