"""The entities other subgraphs own that carry deals here: `deals` and deal totals on
contacts, accounts, pipelines and stages (HasDeals), and the contact and account fields
the deals subgraph provides along Deal.contact and Deal.account."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from crmgraph.db import models
from crmgraph.db.filtering import Condition, Filter
from crmgraph.db.pagination import Page, PageArgs
from crmgraph.domain.contacts import full_name
from crmgraph.gql.connections import Connection, to_connection
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from crmgraph.gql.provided import card
from crmgraph.loaders import ChildPage, Loader
from subgraphs.deals.inputs import DealFilter, deal_filter
from subgraphs.loaders import Loaders

if TYPE_CHECKING:
    from subgraphs.deals.types.deal import Deal

# Deal refers to these types and they to Deal: the types here name it lazily.
DEAL_MODULE = "subgraphs.deals.types.deal"
ACTIVE_DEALS = Filter((Condition("status", "eq", "ACTIVE"),))
# What the deals subgraph answers itself about a deal's contact and account (@provides):
# the fields of a deal list's usual card. Anything else comes from their own subgraphs.
ACCOUNT_FIELDS = ("name", "industry")
CONTACT_FIELDS = ("firstName", "lastName", "fullName", "email", "company", "account")
ACCOUNT_PROVIDES = " ".join(ACCOUNT_FIELDS)
# The key goes in too: Contact.account is external here, so without it `account { id }`
# would send the router to the contacts subgraph.
CONTACT_PROVIDES = " ".join(CONTACT_FIELDS) + f" {{ id {ACCOUNT_PROVIDES} }}"


def account_card(info: Info, id_: UUID | None) -> Account | None:
    """An account along a provided path: with name and industry when the query asks."""
    if id_ is None:
        return None
    loader = info.context.loaders.account_by_id
    stub = partial(Account, id=strawberry.ID(str(id_)))
    return card(info, "Account", ACCOUNT_FIELDS, loader, id_, Account.card, stub)


DealLoaderPair = tuple[Loader[ChildPage, Page[models.Deal]], Loader[tuple[UUID, Filter], int]]


@strawberry.type
class HasDeals:
    """`deals` on an entity owned elsewhere; subclasses say which loaders page its deals."""

    id: strawberry.ID

    def _deal_loaders(self, loaders: Loaders) -> DealLoaderPair:
        raise NotImplementedError

    @strawberry.field(description="Deals linked to it, oldest first.")
    async def deals(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: DealFilter | None = None,
    ) -> Connection[Annotated[Deal, strawberry.lazy(DEAL_MODULE)]]:
        from subgraphs.deals.types.deal import Deal, prefetch_cards

        pages, counts = self._deal_loaders(info.context.loaders)
        parent, spec = parse_id(self.id), deal_filter(filter)
        page = await pages.load(ChildPage(parent, PageArgs(first, after), spec))
        await prefetch_cards(info, page.rows)
        return to_connection(page, Deal.from_row, lambda: counts.load((parent, spec)))


@strawberry.federation.type(keys=["id"])
class Contact(HasDeals):
    """Owned by contacts. The fields marked external are provided along Deal.contact
    (crmgraph.gql.provided): a deal list with its contacts is answered here. They hold
    values only in a contact made by Deal.contact for a query that asks for them."""

    first_name: str = strawberry.federation.field(external=True, default=None)
    last_name: str = strawberry.federation.field(external=True, default=None)
    full_name: str = strawberry.federation.field(external=True, default=None)
    email: str | None = strawberry.federation.field(external=True, default=None)
    company: str | None = strawberry.federation.field(external=True, default=None)
    account_id: strawberry.Private[UUID | None] = None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Contact:
        return cls(id=id)

    @classmethod
    def card(cls, row: models.Contact) -> Contact:
        return cls(
            id=strawberry.ID(str(row.id)),
            first_name=row.first_name,
            last_name=row.last_name,
            full_name=full_name(row.first_name, row.last_name),
            email=row.email,
            company=row.company,
            account_id=row.account_id,
        )

    @strawberry.federation.field(external=True)
    def account(self, info: Info) -> Account | None:
        return account_card(info, self.account_id)

    def _deal_loaders(self, loaders: Loaders) -> DealLoaderPair:
        return loaders.deals_by_contact, loaders.deal_count_by_contact

    @strawberry.field(
        description="Total value of the contact's ACTIVE deals.",
    )
    async def deal_value(self, info: Info) -> float:
        totals = await info.context.loaders.deal_totals_by_contact.load(
            (parse_id(self.id), ACTIVE_DEALS)
        )
        return float(totals[0] or 0)


@strawberry.federation.type(keys=["id"])
class Account(HasDeals):
    """Owned by accounts; name and industry are provided along Deal.account and
    Deal.contact.account (crmgraph.gql.provided), and hold values only there."""

    name: str = strawberry.federation.field(external=True, default=None)
    industry: str | None = strawberry.federation.field(external=True, default=None)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return cls(id=id)

    @classmethod
    def card(cls, row: models.Account) -> Account:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, industry=row.industry)

    def _deal_loaders(self, loaders: Loaders) -> DealLoaderPair:
        return loaders.deals_by_account, loaders.deal_count_by_account

    @strawberry.field(
        description="Total value of the account's ACTIVE deals; with includeDescendants, "
        "those of every account below it too (rolled up by the graph store).",
    )
    async def total_deal_value(self, info: Info, include_descendants: bool = False) -> float:
        if include_descendants:
            rolled = info.context.graph_loaders.rolled_up_deal_value
            return float(await rolled.load(parse_id(self.id)))
        totals = await info.context.loaders.deal_totals_by_account.load(
            (parse_id(self.id), ACTIVE_DEALS)
        )
        return float(totals[0] or 0)

    @strawberry.field(description="Number of the account's ACTIVE deals.")
    async def active_deal_count(self, info: Info) -> int:
        totals = await info.context.loaders.deal_totals_by_account.load(
            (parse_id(self.id), ACTIVE_DEALS)
        )
        return int(totals[1] or 0)


@strawberry.federation.type(keys=["id"])
class Pipeline(HasDeals):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Pipeline:
        return cls(id=id)

    def _deal_loaders(self, loaders: Loaders) -> DealLoaderPair:
        return loaders.deals_by_pipeline, loaders.deal_count_by_pipeline


@strawberry.federation.type(keys=["id"])
class PipelineStage(HasDeals):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> PipelineStage:
        return cls(id=id)

    def _deal_loaders(self, loaders: Loaders) -> DealLoaderPair:
        return loaders.deals_by_stage, loaders.deal_count_by_stage
