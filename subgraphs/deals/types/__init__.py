"""GraphQL types of the deals subgraph: the Deal, its stage history and a customer's deals
(deal.py), and the other subgraphs' entities that carry deals (extended.py)."""

from __future__ import annotations

from subgraphs.deals.types.deal import (
    CustomerOverview,
    Deal,
    DealStageChange,
    User,
    prefetch_cards,
)
from subgraphs.deals.types.extended import Account, Contact, Pipeline, PipelineStage

__all__ = [
    "Account",
    "Contact",
    "CustomerOverview",
    "Deal",
    "DealStageChange",
    "Pipeline",
    "PipelineStage",
    "User",
    "prefetch_cards",
]
