"""The activities subgraph schema."""

from __future__ import annotations

from crmgraph.gql.schema import build_schema
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

schema = build_schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Task, Event, Communication, Contact, Lead, Account, Deal, CustomerOverview],
)
