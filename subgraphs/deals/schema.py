"""The deals subgraph schema."""

from __future__ import annotations

from crmgraph.gql.schema import build_schema
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

schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Deal, Contact, Account, Pipeline, PipelineStage, CustomerOverview, User],
)
