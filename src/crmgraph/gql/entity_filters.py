"""ContactFilter and AccountFilter: declared once here because several subgraphs take them
(contacts(filter:), accounts(filter:), and deals(filter: {contact: ..., account: ...})).
Federation merges same-named inputs by intersection, so every subgraph must declare them
identically, which importing one class guarantees."""

from __future__ import annotations

from enum import Enum

import strawberry

from crmgraph.db.filtering import Condition, Filter, JsonCondition
from crmgraph.gql.filters import (
    DateTimeFilter,
    FloatFilter,
    IDFilter,
    IntFilter,
    JSONFilter,
    StringFilter,
    conditions,
    id_conditions,
    json_conditions,
)


@strawberry.input(description="Filter contacts; all given conditions must hold.")
class ContactFilter:
    id: IDFilter | None = None
    first_name: StringFilter | None = None
    last_name: StringFilter | None = None
    email: StringFilter | None = None
    phone: StringFilter | None = None
    company: StringFilter | None = None
    job_title: StringFilter | None = None
    account_id: IDFilter | None = None
    created_at: DateTimeFilter | None = None
    updated_at: DateTimeFilter | None = None
    custom_fields: JSONFilter | None = None

    def to_filter(self) -> Filter:
        found: list[Condition | JsonCondition] = [
            *id_conditions("id", self.id, field="filter.id"),
            *id_conditions("account_id", self.account_id, field="filter.accountId"),
            *json_conditions("custom_fields", self.custom_fields),
        ]
        for name in ("first_name", "last_name", "email", "phone", "company", "job_title",
                     "created_at", "updated_at"):  # fmt: skip
            found += conditions(name, getattr(self, name))
        return Filter(tuple(found))


@strawberry.enum(description="Kinds of account.")
class AccountType(Enum):
    PROSPECT = "PROSPECT"
    CUSTOMER = "CUSTOMER"
    PARTNER = "PARTNER"
    VENDOR = "VENDOR"
    COMPETITOR = "COMPETITOR"
    OTHER = "OTHER"


@strawberry.input(description="Filter accounts; all given conditions must hold.")
class AccountFilter:
    id: IDFilter | None = None
    name: StringFilter | None = None
    industry: StringFilter | None = None
    website: StringFilter | None = None
    type: list[AccountType] | None = strawberry.field(
        default=None, description="Any of these types."
    )
    employees: IntFilter | None = None
    annual_revenue: FloatFilter | None = None
    parent_account_id: IDFilter | None = None
    created_at: DateTimeFilter | None = None
    updated_at: DateTimeFilter | None = None
    custom_fields: JSONFilter | None = None

    def to_filter(self) -> Filter:
        found: list[Condition | JsonCondition] = [
            *id_conditions("id", self.id, field="filter.id"),
            *id_conditions(
                "parent_account_id", self.parent_account_id, field="filter.parentAccountId"
            ),
            *json_conditions("custom_fields", self.custom_fields),
        ]
        if self.type is not None:
            found.append(Condition("type", "in", tuple(t.value for t in self.type)))
        for name in ("name", "industry", "website", "employees", "annual_revenue", "created_at",
                     "updated_at"):  # fmt: skip
            found += conditions(name, getattr(self, name))
        return Filter(tuple(found))


def filter_of(spec: ContactFilter | AccountFilter | None) -> Filter:
    return Filter() if spec is None else spec.to_filter()
