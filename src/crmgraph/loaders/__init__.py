"""Per-request dataloaders, one group per domain; their caches die with the request."""

from __future__ import annotations

from crmgraph.loaders.accounts import AccountLoaders
from crmgraph.loaders.activities import ActivityLoaders
from crmgraph.loaders.base import MISSING, ChildPage, Loader
from crmgraph.loaders.contacts import ContactLoaders
from crmgraph.loaders.deals import DealLoaders
from crmgraph.loaders.leads import LeadLoaders
from crmgraph.loaders.pipelines import PipelineLoaders

__all__ = ["MISSING", "ChildPage", "Loader", "Loaders"]


class Loaders(
    AccountLoaders, ContactLoaders, DealLoaders, LeadLoaders, ActivityLoaders, PipelineLoaders
):
    """Every loader of one request."""
