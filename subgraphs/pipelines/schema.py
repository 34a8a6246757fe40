"""The pipelines subgraph schema."""

from __future__ import annotations

from crmgraph.gql.schema import build_schema
from subgraphs.pipelines.mutations import Mutation
from subgraphs.pipelines.queries import Query
from subgraphs.pipelines.subscriptions import Subscription
from subgraphs.pipelines.types import Pipeline, PipelineStage

schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Pipeline, PipelineStage],
)
