"""The accounts subgraph assembled (accounts, users, the tenant's API keys and webhooks): its
federation schema and its ASGI app."""

from __future__ import annotations

from starlette.types import ASGIApp
from strawberry.tools import merge_types

from crmgraph.compiled import account_roots
from crmgraph.compiled.hook import compiled_front
from crmgraph.gql.app import create_subgraph_app
from crmgraph.gql.schema import build_schema
from crmgraph.runtime import Runtime
from subgraphs.accounts.api_keys import ApiKeyMutation, ApiKeyQuery
from subgraphs.accounts.mutations import Mutation
from subgraphs.accounts.queries import Query
from subgraphs.accounts.subscriptions import Subscription
from subgraphs.accounts.types import Account, User
from subgraphs.accounts.webhooks import WebhookMutation, WebhookQuery

NAME = "accounts"
schema = build_schema(
    query=merge_types("Query", (Query, ApiKeyQuery, WebhookQuery)),
    mutation=merge_types("Mutation", (Mutation, ApiKeyMutation, WebhookMutation)),
    subscription=Subscription,
    types=[Account, User],
)


def create_app(runtime: Runtime) -> ASGIApp:
    """GraphQL over HTTP and WebSocket, and /health, behind the router's secret."""
    roots = account_roots.roots(runtime.settings.max_page_size, schema, runtime.engine.dialect)
    return create_subgraph_app(NAME, schema, runtime, compiled_front(schema, runtime, roots))
