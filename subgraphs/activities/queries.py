"""Query fields of the activities subgraph."""

from __future__ import annotations

import asyncio

import strawberry

from crmgraph.db.pagination import PageArgs
from crmgraph.domain.health import DEFAULT_MONTHS, checked_months
from crmgraph.domain.health_weights import tenant_weights
from crmgraph.gql.connections import Connection, PaginationInput, page_args, to_connection
from crmgraph.gql.context import Info
from crmgraph.gql.ids import parse_id
from subgraphs.activities.inputs import (
    ActivityFilter,
    ActivitySort,
    RelatedEntityInput,
    sort_of,
    spec_of,
)
from subgraphs.activities.loaders import RelatedPage
from subgraphs.activities.types import (
    NEWEST_FIRST,
    Activity,
    CustomerHealth,
    HealthWeights,
    activity_node,
)


@strawberry.type
class Query:
    @strawberry.field(
        description="One task, event or communication by id.",
    )
    async def activity(self, info: Info, id: strawberry.ID) -> Activity | None:
        loaders = info.context.loaders
        key = parse_id(id)
        rows = await asyncio.gather(
            loaders.task_by_id.load(key),
            loaders.event_by_id.load(key),
            loaders.communication_by_id.load(key),
        )
        found = [row for row in rows if row is not None]
        return activity_node(found[0]) if found else None

    @strawberry.field(
        description="Tasks, events and communications together, oldest created first unless "
        "sorted; cursors stay valid when activities are added.",
    )
    async def activities(
        self,
        info: Info,
        filter: ActivityFilter | None = None,
        sort: ActivitySort | None = None,
        pagination: PaginationInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Activity]:
        args = page_args(first, after, last, before, pagination)
        spec = spec_of(filter)
        loaders = info.context.loaders
        page = await loaders.activity_page(args, spec, sort_of(sort))
        return to_connection(page, activity_node, lambda: loaders.activity_count(spec))

    @strawberry.field(
        description="Activities about one entity, newest first by occurrence time (task "
        "dueDate or createdAt, event startTime, communication timestamp); at most the maximum "
        "page size (100 by default): page through activities(filter: {relatedTo}) for more.",
    )
    async def activity_timeline(self, info: Info, related_to: RelatedEntityInput) -> list[Activity]:
        ref = related_to.to_domain()
        size = info.context.runtime.settings.max_page_size
        key = RelatedPage((ref.type,), ref.id, PageArgs(size), sort=NEWEST_FIRST)
        page = await info.context.loaders.activities_by_related.load(key)
        return [activity_node(row) for row in page.rows]

    @strawberry.field(
        description="Customer health of an account, 0-100, with its components, risks, "
        "opportunities and a trend of `months` month ends (1-24); null for an unknown "
        "account. README: Customer health.",
    )
    async def customer_health(
        self, info: Info, account_id: strawberry.ID, months: int = DEFAULT_MONTHS
    ) -> CustomerHealth | None:
        key = (parse_id(account_id, field="accountId"), checked_months(months))
        report = await info.context.loaders.customer_health.load(key)
        return None if report is None else CustomerHealth.from_report(report)

    @strawberry.field(
        description="The tenant's weights of the customer health components (the defaults "
        "until set).",
    )
    async def customer_health_weights(self, info: Info) -> HealthWeights:
        async with info.context.session() as session:
            return HealthWeights.from_weights(await tenant_weights(session, info.context.scope))
