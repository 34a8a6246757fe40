"""The leads subgraph assembled: its federation schema and its ASGI app."""

from __future__ import annotations

from starlette.types import ASGIApp

from crmgraph.gql.app import create_subgraph_app
from crmgraph.gql.schema import build_schema
from crmgraph.runtime import Runtime
from subgraphs.leads.mutations import Mutation
from subgraphs.leads.queries import Query
from subgraphs.leads.routing import LeadRouting
from subgraphs.leads.subscriptions import Subscription
from subgraphs.leads.types import Account, Contact, Deal, Lead, User

NAME = "leads"
schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Lead, Contact, Account, Deal, User, LeadRouting],
)


def create_app(runtime: Runtime) -> ASGIApp:
    """GraphQL over HTTP and WebSocket, and /health, behind the router's secret."""
    return create_subgraph_app(NAME, schema, runtime)
