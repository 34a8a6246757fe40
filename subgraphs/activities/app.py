"""The activities subgraph assembled: its federation schema and its ASGI app."""

from __future__ import annotations

from starlette.types import ASGIApp

from crmgraph.gql.app import create_subgraph_app
from crmgraph.gql.schema import build_schema
from crmgraph.runtime import Runtime
from subgraphs.activities.mutations import Mutation
from subgraphs.activities.queries import Query
from subgraphs.activities.subscriptions import Subscription
from subgraphs.activities.types import (
    Account,
    Communication,
    Contact,
    CustomerOverview,
    Deal,
    Event,
    Lead,
    Task,
)

NAME = "activities"
schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Task, Event, Communication, Contact, Lead, Account, Deal, CustomerOverview],
)


def create_app(runtime: Runtime) -> ASGIApp:
    """GraphQL over HTTP and WebSocket, and /health, behind the router's secret."""
    return create_subgraph_app(NAME, schema, runtime)
