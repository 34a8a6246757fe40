"""Loaders over leads and their score history."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.loaders.base import Loader, LoaderBase


class LeadLoaders(LoaderBase):
    @cached_property
    def lead_by_id(self) -> Loader[UUID, models.Lead | None]:
        return self.by_id(models.Lead)

    @cached_property
    def score_history_by_lead(self) -> Loader[UUID, list[models.LeadScoreHistory]]:
        """The latest changes, newest first."""
        hist = models.LeadScoreHistory
        newest_first = (hist.created_at.desc(), hist.id.desc())
        return self.all_by(hist, hist.lead_id, order=newest_first, limit=bounds.SCORING_HISTORY)
