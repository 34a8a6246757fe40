"""Every loader of one request: the loader groups of all six subgraphs in one object, so a
resolver extending another subgraph's type reaches the loaders it needs; their caches die
with the request."""

from __future__ import annotations

from subgraphs.accounts.loaders import AccountLoaders
from subgraphs.activities.loaders import ActivityLoaders
from subgraphs.contacts.loaders import ContactLoaders
from subgraphs.deals.loaders import DealLoaders
from subgraphs.leads.loaders import LeadLoaders
from subgraphs.pipelines.loaders import PipelineLoaders


class Loaders(
    AccountLoaders, ContactLoaders, DealLoaders, LeadLoaders, ActivityLoaders, PipelineLoaders
):
    """Every loader of one request."""
