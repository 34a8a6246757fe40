"""The contacts subgraph assembled: its federation schema and its ASGI app."""

from __future__ import annotations

from starlette.types import ASGIApp

from crmgraph.compiled import contact_roots
from crmgraph.compiled.hook import compiled_front
from crmgraph.gql.app import create_subgraph_app
from crmgraph.gql.schema import build_schema
from crmgraph.runtime import Runtime
from subgraphs.contacts.mutations import Mutation
from subgraphs.contacts.queries import Query
from subgraphs.contacts.subscriptions import Subscription
from subgraphs.contacts.types import Account, Contact, CustomerOverview

NAME = "contacts"
schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Contact, Account, CustomerOverview],
)


def create_app(runtime: Runtime) -> ASGIApp:
    """GraphQL over HTTP and WebSocket, and /health, behind the router's secret."""
    roots = contact_roots.roots(runtime.settings.max_page_size, schema, runtime.engine.dialect)
    return create_subgraph_app(NAME, schema, runtime, compiled_front(schema, runtime, roots))
