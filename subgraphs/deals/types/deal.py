"""The Deal type, its stage history, the user it names, and the deals of a customer
overview (CustomerOverview)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from crmgraph.db import models
from crmgraph.db.pagination import PageArgs
from crmgraph.domain import deals
from crmgraph.gql.context import Info
from crmgraph.gql.entities import by_ids
from crmgraph.gql.ids import parse_id
from crmgraph.gql.provided import card, prefetch
from crmgraph.gql.selection import selected_names
from crmgraph.gql.shared_types import REFERENCE_ONLY, json_out
from crmgraph.loaders import ChildPage
from subgraphs.deals.inputs import DealStatus
from subgraphs.deals.types.extended import (
    ACCOUNT_PROVIDES,
    ACTIVE_DEALS,
    CONTACT_FIELDS,
    CONTACT_PROVIDES,
    Account,
    Contact,
    Pipeline,
    PipelineStage,
    account_card,
)
from subgraphs.deals.types.win_probability import WinProbability


@strawberry.federation.type(keys=REFERENCE_ONLY)
class User:
    id: strawberry.ID


def user(id_: UUID | None) -> User | None:
    return None if id_ is None else User(id=strawberry.ID(str(id_)))


def stage_name(stage: models.PipelineStage | None) -> str:
    return "" if stage is None else stage.name


def deal_of(row: models.Deal | None) -> Deal | None:
    return None if row is None else Deal.from_row(row)


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
    row: strawberry.Private[models.Deal]

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
            row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Deal | None:
        row = await info.context.loaders.deal_by_id.load(parse_id(id))
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_references(cls, info: Info, ids: list[Any]) -> list[Deal | None]:
        found = await by_ids(info.context.loaders.deal_by_id, ids, cls.from_row)
        await prefetch_cards(info, [d.row for d in found if d is not None])
        return found

    @strawberry.field(description="Name of the pipeline stage the deal is in.")
    def stage(self, info: Info) -> str:
        # Synchronous when the list that made this deal prefetched its stages (prefetch_cards).
        return info.context.loaders.stage_by_id.now_or_later(self.row.stage_id, stage_name)

    @strawberry.field(description="The stage the deal is in.")
    def pipeline_stage(self) -> PipelineStage:
        return PipelineStage(id=strawberry.ID(str(self.row.stage_id)))

    @strawberry.field(description="value * probability / 100.")
    def weighted_value(self) -> float:
        return float(Decimal(self.row.value) * self.probability / 100)

    @strawberry.field(description="Whole days since the deal entered its current stage.")
    def days_in_stage(self, info: Info) -> int:
        return deals.days_in_stage(self.row, info.context.now())

    @strawberry.field(description="Still ACTIVE after its expected close date.")
    def is_overdue(self, info: Info) -> bool:
        return deals.is_overdue(self.row, info.context.now())

    @strawberry.field
    def pipeline(self) -> Pipeline:
        return Pipeline(id=strawberry.ID(str(self.row.pipeline_id)))

    @strawberry.federation.field(provides=[CONTACT_PROVIDES])
    def contact(self, info: Info) -> Contact | None:
        id_ = self.row.contact_id
        if id_ is None:
            return None
        loader = info.context.loaders.contact_by_id
        stub = partial(Contact, id=strawberry.ID(str(id_)))
        return card(info, "Contact", CONTACT_FIELDS, loader, id_, Contact.card, stub)

    @strawberry.federation.field(provides=[ACCOUNT_PROVIDES])
    def account(self, info: Info) -> Account | None:
        return account_card(info, self.row.account_id)

    @strawberry.field(description="The user who owns the deal; null for integration-made deals.")
    def owner(self) -> User | None:
        return user(self.row.owner_id)

    @strawberry.field(
        description="The deal's chance of being won, from the tenant's closed deals, with a "
        "95% interval, risk factors and success indicators (README: Deal win probability)."
    )
    async def win_probability(self, info: Info) -> WinProbability | None:
        found = await info.context.loaders.win_probability.load(self.row.id)
        return None if found is None else WinProbability.of(found)

    @strawberry.field(description="The latest 100 stage moves (creation included), oldest first.")
    async def stage_history(self, info: Info) -> list[DealStageChange]:
        rows = await info.context.loaders.stage_changes_by_deal.load(self.row.id)
        return [DealStageChange(row=row) for row in reversed(rows)]


async def prefetch_cards(info: Info, rows: Sequence[models.Deal]) -> None:
    """Load, a batch each, what the query will ask of these deals: their stages, and the
    contacts and accounts it reads along the provided paths. Deal.stage and the provided
    fields then answer without an await (a task per deal and field, otherwise)."""
    names = selected_names(info)
    loaders = info.context.loaders
    wanted = []
    if "stage" in names:
        wanted.append(prefetch(loaders.stage_by_id, [row.stage_id for row in rows]))
    if "account" in names:
        wanted.append(prefetch(loaders.account_by_id, [row.account_id for row in rows]))
    if "contact" in names:
        wanted.append(prefetch(loaders.contact_by_id, [row.contact_id for row in rows]))
    await asyncio.gather(*wanted)
    if "contact" in names and "account" in names:  # contact { account { name } }
        contacts = [loaders.contact_by_id.peek(row.contact_id) for row in rows if row.contact_id]
        accounts = [c.account_id for c in contacts if isinstance(c, models.Contact)]
        await prefetch(loaders.account_by_id, accounts)


@strawberry.type(description="A move of a deal from one stage to another.")
class DealStageChange:
    row: strawberry.Private[models.DealStageChange]
    # Filled from a live event, so that many subscribers need no query each.
    deal_row: strawberry.Private[models.Deal | None] = None
    stage_names: strawberry.Private[tuple[str | None, str] | None] = None

    # Synchronous when the change came from a live event (deal and stage names travel with
    # it), so that each of many subscribers costs no coroutine.
    @strawberry.field
    def deal(self, info: Info) -> Deal | None:
        if self.deal_row is not None:
            return Deal.from_row(self.deal_row)
        return info.context.loaders.deal_by_id.now_or_later(self.row.deal_id, deal_of)

    @strawberry.field(description="Name of the stage left; null for the creation.")
    def previous_stage(self, info: Info) -> str | None:
        if self.stage_names is not None:
            return self.stage_names[0]
        if self.row.from_stage_id is None:
            return None
        stages = info.context.loaders.stage_by_id
        return stages.now_or_later(self.row.from_stage_id, lambda s: None if s is None else s.name)

    @strawberry.field(description="Name of the stage entered.")
    def new_stage(self, info: Info) -> str:
        if self.stage_names is not None:
            return self.stage_names[1]
        return info.context.loaders.stage_by_id.now_or_later(self.row.to_stage_id, stage_name)

    @strawberry.field
    def changed_by(self) -> User | None:
        return user(self.row.changed_by_id)

    @strawberry.field
    def reason(self) -> str | None:
        return self.row.reason

    @strawberry.field
    def timestamp(self) -> datetime:
        return self.row.created_at


@strawberry.federation.type(keys=["id"])
class CustomerOverview:
    """The customer id is a contact's or an account's: deals are that contact's or account's."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> CustomerOverview:
        return cls(id=id)

    async def _deals(self, info: Info) -> list[models.Deal]:
        loaders, key = info.context.loaders, parse_id(self.id, field="customerId")
        by_contact, by_account = await asyncio.gather(
            loaders.deals_by_contact.load(
                ChildPage(key, PageArgs(first=info.context.runtime.settings.max_page_size))
            ),
            loaders.deals_by_account.load(
                ChildPage(key, PageArgs(first=info.context.runtime.settings.max_page_size))
            ),
        )
        return by_contact.rows or by_account.rows

    @strawberry.field(
        description="The customer's deals, oldest first (at most 100).",
    )
    async def deals(self, info: Info) -> list[Deal]:
        return [Deal.from_row(row) for row in await self._deals(info)]

    @strawberry.field(
        description="Total value of the customer's ACTIVE deals.",
    )
    async def total_value(self, info: Info) -> float:
        loaders, key = info.context.loaders, parse_id(self.id, field="customerId")
        by_contact, by_account = await asyncio.gather(
            loaders.deal_totals_by_contact.load((key, ACTIVE_DEALS)),
            loaders.deal_totals_by_account.load((key, ACTIVE_DEALS)),
        )
        return float(by_contact[0] or by_account[0] or 0)
