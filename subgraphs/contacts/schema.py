"""The contacts subgraph schema."""

from __future__ import annotations

from crmgraph.gql.schema import build_schema
from subgraphs.contacts.mutations import Mutation
from subgraphs.contacts.queries import Query
from subgraphs.contacts.types import Account, Contact, CustomerOverview

schema = build_schema(
    query=Query,
    mutation=Mutation,
    types=[Contact, Account, CustomerOverview],
)
