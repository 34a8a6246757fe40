"""The entities other subgraphs own that carry activities here: `activities`,
`lastActivity` and `nextActivity` on Contact, Lead, Account and Deal (what an activity is
related to), and the activities of a customer overview."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from crmgraph.db.pagination import Page, PageArgs, Sort
from crmgraph.domain.health import DEFAULT_MONTHS, checked_months
from crmgraph.gql.connections import Connection, to_connection
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.activities.feed import ActivityRow, ActivitySpec, occurred_at
from subgraphs.activities.inputs import ActivityFilter, ActivitySort, sort_of, spec_of
from subgraphs.activities.loaders import RelatedCount, RelatedPage
from subgraphs.activities.types.activity import Activity, activity_node
from subgraphs.activities.types.health import CustomerHealth

NEWEST_FIRST = Sort(column="occurred_at", descending=True)
SOONEST_FIRST = Sort(column="occurred_at")


async def _page(info: Info, key: RelatedPage) -> Page[ActivityRow]:
    return await info.context.loaders.activities_by_related.load(key)


async def _first(info: Info, key: RelatedPage) -> Activity | None:
    rows = (await _page(info, key)).rows
    return activity_node(rows[0]) if rows else None


@strawberry.type
class HasActivities:
    """Activity fields of an entity owned elsewhere; its GraphQL name is its related type."""

    id: strawberry.ID

    def _related(self) -> tuple[tuple[str, ...], UUID]:
        return (type(self).__name__.upper(),), parse_id(self.id)

    @strawberry.field(
        description="Activities about this entity, oldest first unless sorted.",
    )
    async def activities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: ActivityFilter | None = None,
        sort: ActivitySort | None = None,
    ) -> Connection[Activity]:
        types, parent = self._related()
        spec = spec_of(filter)
        args = PageArgs(first, after, last, before)
        page = await _page(info, RelatedPage(types, parent, args, spec, sort_of(sort)))
        counts = info.context.loaders.activity_count_by_related
        return to_connection(
            page, activity_node, lambda: counts.load(RelatedCount(types, parent, spec))
        )

    @strawberry.field(
        description="The latest activity that has already happened (by occurrence time: task "
        "dueDate or createdAt, event startTime, communication timestamp).",
    )
    async def last_activity(self, info: Info) -> Activity | None:
        types, parent = self._related()
        past = ActivitySpec(past_at=info.context.loaders.activity_now)
        return await _first(info, RelatedPage(types, parent, PageArgs(1), past, NEWEST_FIRST))


@strawberry.type
class HasNextActivity(HasActivities):
    @strawberry.field(
        description="The earliest open task due from now on, or event starting from now on.",
    )
    async def next_activity(self, info: Info) -> Activity | None:
        types, parent = self._related()
        pending = ActivitySpec(pending_from=info.context.loaders.activity_now)
        return await _first(info, RelatedPage(types, parent, PageArgs(1), pending, SOONEST_FIRST))


# Entities owned elsewhere: this subgraph adds their activity fields.
@strawberry.federation.type(keys=["id"])
class Contact(HasActivities):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Contact:
        return cls(id=id)


@strawberry.federation.type(keys=["id"])
class Lead(HasActivities):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Lead:
        return cls(id=id)


@strawberry.federation.type(keys=["id"])
class Account(HasNextActivity):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return cls(id=id)

    @strawberry.field(
        description="Customer health, 0-100, from its support, deals and activities, with a "
        "trend of `months` month ends (1-24); README: Customer health.",
    )
    async def health(self, info: Info, months: int = DEFAULT_MONTHS) -> CustomerHealth | None:
        key = (parse_id(self.id), checked_months(months))
        report = await info.context.loaders.customer_health.load(key)
        return None if report is None else CustomerHealth.from_report(report)


@strawberry.federation.type(keys=["id"])
class Deal(HasNextActivity):
    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Deal:
        return cls(id=id)


RelatedEntity = Annotated[Contact | Lead | Account | Deal, strawberry.union("RelatedEntity")]
STUBS: dict[str, type[Contact | Lead | Account | Deal]] = {
    "CONTACT": Contact,
    "LEAD": Lead,
    "ACCOUNT": Account,
    "DEAL": Deal,
}


CUSTOMER = ("CONTACT", "ACCOUNT")


@strawberry.federation.type(keys=["id"])
class CustomerOverview:
    """customerOverview(customerId): id is the customerId, a contact or an account id."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> CustomerOverview:
        return cls(id=id)

    @strawberry.field(
        description="Activities about the contact or account, newest first by occurrence "
        "time, at most the maximum page size (100 by default).",
    )
    async def activities(self, info: Info) -> list[Activity]:
        size = info.context.runtime.settings.max_page_size
        key = RelatedPage(CUSTOMER, parse_id(self.id), PageArgs(size), sort=NEWEST_FIRST)
        return [activity_node(row) for row in (await _page(info, key)).rows]

    @strawberry.field(
        description="When the latest activity that has already happened occurred.",
    )
    async def last_interaction(self, info: Info) -> datetime | None:
        past = ActivitySpec(past_at=info.context.loaders.activity_now)
        key = RelatedPage(CUSTOMER, parse_id(self.id), PageArgs(1), past, NEWEST_FIRST)
        rows = (await _page(info, key)).rows
        return occurred_at(rows[0]) if rows else None
