"""GraphQL types of the deals subgraph."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.db.filtering import Filter
from crmgraph.db.pagination import Page, PageArgs
from crmgraph.gql.connections import Connection, to_connection
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.shared_types import REFERENCE_ONLY, json_out
from crmgraph.loaders import ChildPage, Loader


@strawberry.enum
class DealStatus(Enum):
    ACTIVE = "ACTIVE"
    WON = "WON"
    LOST = "LOST"


@strawberry.federation.type(keys=REFERENCE_ONLY)
class Pipeline:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], description="A sales opportunity in a pipeline stage.")
class Deal:
    id: strawberry.ID
    title: str
    value: float
    currency: str
    probability: int
    status: DealStatus
    expected_close_date: datetime | None
    actual_close_date: datetime | None
    description: str | None
    custom_fields: JSON | None
    created_at: datetime
    updated_at: datetime
    stage_id: strawberry.Private[UUID]
    pipeline_id: strawberry.Private[UUID]
    contact_id: strawberry.Private[UUID | None]
    account_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: models.Deal) -> Deal:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            value=float(row.value),
            currency=row.currency,
            probability=row.probability,
            status=DealStatus(row.status),
            expected_close_date=row.expected_close_date,
            actual_close_date=row.actual_close_date,
            description=row.description,
            custom_fields=json_out(row.custom_fields),
            created_at=row.created_at,
            updated_at=row.updated_at,
            stage_id=row.stage_id,
            pipeline_id=row.pipeline_id,
            contact_id=row.contact_id,
            account_id=row.account_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Deal | None:
        row = await info.context.loaders.deal_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="Name of the pipeline stage the deal is in.")
    async def stage(self, info: Info) -> str:
        stage = await info.context.loaders.stage_by_id.load(self.stage_id)
        return "" if stage is None else stage.name

    @strawberry.field(description="value * probability / 100.")
    def weighted_value(self) -> float:
        return float(Decimal(str(self.value)) * self.probability / 100)

    @strawberry.field
    def pipeline(self) -> Pipeline:
        return Pipeline(id=strawberry.ID(str(self.pipeline_id)))

    @strawberry.field
    def contact(self) -> Contact | None:
        return None if self.contact_id is None else Contact(id=strawberry.ID(str(self.contact_id)))

    @strawberry.field
    def account(self) -> Account | None:
        return None if self.account_id is None else Account(id=strawberry.ID(str(self.account_id)))


async def deal_connection(
    pages: Loader[ChildPage, Page[models.Deal]],
    counts: Loader[tuple[UUID, Filter], int],
    parent_id: UUID,
    args: PageArgs,
) -> Connection[Deal]:
    page = await pages.load(ChildPage(parent_id, args))
    return to_connection(page, Deal.from_row, lambda: counts.load((parent_id, Filter())))


@strawberry.federation.type(keys=["id"])
class Contact:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Contact:
        return cls(id=id)

    @strawberry.field(description="Deals with this contact, oldest first.")
    async def deals(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Deal]:
        loaders = info.context.loaders
        return await deal_connection(
            loaders.deals_by_contact,
            loaders.deal_count_by_contact,
            parse_id(self.id),
            PageArgs(first, after),
        )


@strawberry.federation.type(keys=["id"])
class Account:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return cls(id=id)

    @strawberry.field(description="Deals with this account, oldest first.")
    async def deals(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Deal]:
        loaders = info.context.loaders
        return await deal_connection(
            loaders.deals_by_account,
            loaders.deal_count_by_account,
            parse_id(self.id),
            PageArgs(first, after),
        )
