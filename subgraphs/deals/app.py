"""The deals subgraph assembled: its federation schema and its ASGI app."""

from __future__ import annotations

from starlette.types import ASGIApp

from crmgraph.compiled import deal_roots
from crmgraph.compiled.hook import compiled_front
from crmgraph.gql.app import create_subgraph_app
from crmgraph.gql.schema import build_schema
from crmgraph.runtime import Runtime
from subgraphs.deals.mutations import Mutation
from subgraphs.deals.queries import Query
from subgraphs.deals.subscriptions import Subscription
from subgraphs.deals.types import (
    Account,
    Contact,
    CustomerOverview,
    Deal,
    Pipeline,
    PipelineStage,
    User,
)
from subgraphs.deals.types.forecast import PipelineReport

NAME = "deals"
schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Deal, Contact, Account, Pipeline, PipelineStage, CustomerOverview, User, PipelineReport],
)


def create_app(runtime: Runtime) -> ASGIApp:
    """GraphQL over HTTP and WebSocket, and /health, behind the router's secret."""
    roots = deal_roots.roots(runtime.settings.max_page_size, schema, runtime.engine.dialect)
    return create_subgraph_app(NAME, schema, runtime, compiled_front(schema, runtime, roots))
