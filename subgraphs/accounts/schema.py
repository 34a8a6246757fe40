"""The accounts subgraph schema."""

from __future__ import annotations

from crmgraph.gql.schema import build_schema
from subgraphs.accounts.mutations import Mutation
from subgraphs.accounts.queries import Query
from subgraphs.accounts.types import Account, User

schema = build_schema(
    query=Query, mutation=Mutation, types=[Account, User], owned={"Account": "accounts"}
)
