"""The leads subgraph schema."""

from __future__ import annotations

from crmgraph.gql.schema import build_schema
from subgraphs.leads.mutations import Mutation
from subgraphs.leads.queries import Query
from subgraphs.leads.types import Lead

schema = build_schema(query=Query, mutation=Mutation, types=[Lead])
