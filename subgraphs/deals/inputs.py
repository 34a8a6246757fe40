"""Input types of the deals subgraph: the inputs of its mutations, DealFilter and DealSort
(and the DealStatus they use)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from crmgraph.db.filtering import Condition, Filter, JsonCondition, Related
from crmgraph.domain import deals
from crmgraph.gql.entity_filters import AccountFilter, ContactFilter
from crmgraph.gql.filters import (
    DateTimeFilter,
    FloatFilter,
    IDFilter,
    IntFilter,
    JSONFilter,
    SortDirection,
    StringFilter,
    conditions,
    id_conditions,
    json_conditions,
)
from crmgraph.gql.ids import parse_id, parse_optional_id
from crmgraph.gql.inputs import given
from crmgraph.gql.shared_types import json_object


@strawberry.input
class CreateDealInput:
    title: str
    value: float
    currency: str = "USD"
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the tenant's oldest pipeline."
    )
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="A stage of the pipeline; defaults to its first stage."
    )
    stage: str | None = strawberry.field(
        default=None, description="Alternatively, the stage's name (case-insensitive)."
    )
    probability: int | None = strawberry.field(
        default=None, description="0..100; defaults to the stage's probability."
    )
    contact_id: strawberry.ID | None = None
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the contact's account."
    )
    expected_close_date: datetime | None = None
    description: str | None = None
    custom_fields: JSON | None = None

    def to_domain(self) -> deals.NewDeal:
        return deals.NewDeal(
            title=self.title,
            value=self.value,
            currency=self.currency,
            pipeline_id=parse_optional_id(self.pipeline_id, field="pipelineId"),
            stage_id=parse_optional_id(self.stage_id, field="stageId"),
            stage=self.stage,
            probability=self.probability,
            contact_id=parse_optional_id(self.contact_id, field="contactId"),
            account_id=parse_optional_id(self.account_id, field="accountId"),
            expected_close_date=self.expected_close_date,
            description=self.description,
            custom_fields=json_object(self.custom_fields, field="customFields"),
        )


@strawberry.input(
    description="Only the fields given change; null clears an optional field. "
    "The stage changes through moveDealStage."
)
class UpdateDealInput:
    title: str | None = strawberry.UNSET
    value: float | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    contact_id: strawberry.ID | None = strawberry.UNSET
    account_id: strawberry.ID | None = strawberry.UNSET
    expected_close_date: datetime | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    custom_fields: JSON | None = strawberry.UNSET

    def to_domain(self) -> deals.DealChanges:
        return given(
            self,
            deals.DealChanges,
            contact_id=lambda v: parse_id(v, field="contactId"),
            account_id=lambda v: parse_id(v, field="accountId"),
            custom_fields=lambda v: json_object(v, field="customFields"),
        )


@strawberry.enum
class DealStatus(Enum):
    ACTIVE = "ACTIVE"
    WON = "WON"
    LOST = "LOST"


@strawberry.input(description="Filter deals; all given conditions must hold.")
class DealFilter:
    id: IDFilter | None = None
    title: StringFilter | None = None
    value: FloatFilter | None = None
    stage: StringFilter | None = strawberry.field(
        default=None, description="The stage's name; eq/in/ne/nin ignore case."
    )
    status: DealStatus | None = None
    pipeline_id: IDFilter | None = None
    stage_id: IDFilter | None = None
    contact_id: IDFilter | None = None
    account_id: IDFilter | None = None
    owner_id: IDFilter | None = None
    currency: StringFilter | None = None
    expected_close_date: DateTimeFilter | None = None
    actual_close_date: DateTimeFilter | None = None
    probability: IntFilter | None = None
    created_at: DateTimeFilter | None = None
    updated_at: DateTimeFilter | None = None
    custom_fields: JSONFilter | None = None
    account: AccountFilter | None = strawberry.field(
        default=None, description="Deals whose account matches."
    )
    contact: ContactFilter | None = strawberry.field(
        default=None, description="Deals whose contact matches."
    )

    def to_filter(self) -> Filter:
        found: list[Condition | JsonCondition | Related] = [
            *json_conditions("custom_fields", self.custom_fields)
        ]
        for name, field in (("id", "id"), ("pipeline_id", "pipelineId"), ("stage_id", "stageId"),
                            ("contact_id", "contactId"), ("account_id", "accountId"),
                            ("owner_id", "ownerId")):  # fmt: skip
            found += id_conditions(name, getattr(self, name), field=f"filter.{field}")
        for name in ("title", "value", "currency", "expected_close_date", "actual_close_date",
                     "probability", "created_at", "updated_at"):  # fmt: skip
            found += conditions(name, getattr(self, name))
        if self.status is not None:
            found.append(Condition("status", "eq", self.status.value))
        if self.stage is not None:
            found.append(
                Related("stage", Filter(tuple(conditions("name", self.stage, ignore_case=True))))
            )
        if self.account is not None:
            found.append(Related("account", self.account.to_filter()))
        if self.contact is not None:
            found.append(Related("contact", self.contact.to_filter()))
        return Filter(tuple(found))


def deal_filter(spec: DealFilter | None) -> Filter:
    return Filter() if spec is None else spec.to_filter()


@strawberry.enum
class DealSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    TITLE = "title"
    VALUE = "value"
    CURRENCY = "currency"
    PROBABILITY = "probability"
    STATUS = "status"
    EXPECTED_CLOSE_DATE = "expected_close_date"
    ACTUAL_CLOSE_DATE = "actual_close_date"
    STAGE_ENTERED_AT = "stage_entered_at"


@strawberry.input(description="Order of a deal list; the id breaks ties.")
class DealSort:
    field: DealSortField
    direction: SortDirection = SortDirection.ASC
