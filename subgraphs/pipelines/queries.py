"""Query fields of the pipelines subgraph."""

from __future__ import annotations

import strawberry

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.gql.context import Info
from crmgraph.gql.lists import root_list
from subgraphs.pipelines.types import Pipeline


@strawberry.type
class Query:
    @strawberry.field(description="One pipeline by id.")
    async def pipeline(self, info: Info, id: strawberry.ID) -> Pipeline | None:
        return await Pipeline.resolve_reference(info, id)

    @strawberry.field(
        description="The tenant's pipelines (at most 20), oldest first.",
    )
    async def pipelines(self, info: Info) -> list[Pipeline]:
        model = models.Pipeline
        return await root_list(
            info.context,
            model,
            Pipeline.from_row,
            model.created_at,
            model.id,
            limit=bounds.PIPELINES,
        )
