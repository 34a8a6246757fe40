"""The pipelines subgraph assembled: its federation schema and its ASGI app."""

from __future__ import annotations

from starlette.types import ASGIApp

from crmgraph.gql.app import create_subgraph_app
from crmgraph.gql.schema import build_schema
from crmgraph.runtime import Runtime
from subgraphs.pipelines.analytics import PipelineReport
from subgraphs.pipelines.mutations import Mutation
from subgraphs.pipelines.queries import Query
from subgraphs.pipelines.subscriptions import Subscription
from subgraphs.pipelines.types import Pipeline, PipelineStage

NAME = "pipelines"
schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Pipeline, PipelineStage, PipelineReport],
)


def create_app(runtime: Runtime) -> ASGIApp:
    """GraphQL over HTTP and WebSocket, and /health, behind the router's secret."""
    return create_subgraph_app(NAME, schema, runtime)
