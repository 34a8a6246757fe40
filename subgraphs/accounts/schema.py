"""The accounts subgraph schema: accounts, users, and the tenant's API keys."""

from __future__ import annotations

from strawberry.tools import merge_types

from crmgraph.gql.schema import build_schema
from subgraphs.accounts.api_keys import ApiKeyMutation, ApiKeyQuery
from subgraphs.accounts.mutations import Mutation
from subgraphs.accounts.queries import Query
from subgraphs.accounts.types import Account, User

schema = build_schema(
    query=merge_types("Query", (Query, ApiKeyQuery)),
    mutation=merge_types("Mutation", (Mutation, ApiKeyMutation)),
    types=[Account, User],
)
