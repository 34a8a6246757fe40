"""Loaders over leads, their score history and explanation, campaigns and touchpoints."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from sqlalchemy import select

from crmgraph.db import models
from crmgraph.db.scoping import scoped
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

    @cached_property
    def routing_by_lead(self) -> Loader[UUID, list[models.LeadRouting]]:
        """The lead's routing (a lead has at most one)."""
        r = models.LeadRouting
        return self.all_by(r, r.lead_id, order=(r.created_at,), limit=1)

    @cached_property
    def score_explanation_by_lead(self) -> Loader[UUID, models.LeadScoreExplanation | None]:
        e = models.LeadScoreExplanation

        async def batch(ids: list[UUID]) -> list[models.LeadScoreExplanation | None]:
            stmt = scoped(select(e).where(e.lead_id.in_(ids)), e, self._scope)
            async with self._sessions() as session:
                found = {row.lead_id: row for row in await session.scalars(stmt)}
            return [found.get(id_) for id_ in ids]

        return Loader(batch)

    @cached_property
    def campaign_by_id(self) -> Loader[UUID, models.Campaign | None]:
        return self.by_id(models.Campaign)

    @cached_property
    def touchpoint_by_id(self) -> Loader[UUID, models.Touchpoint | None]:
        return self.by_id(models.Touchpoint)

    @cached_property
    def touchpoints_by_lead(self) -> Loader[UUID, list[models.Touchpoint]]:
        """The latest touches recorded on each lead, newest first."""
        tp = models.Touchpoint
        return self.all_by(tp, tp.lead_id, order=_NEWEST, limit=bounds.TOUCHPOINTS)

    @cached_property
    def touchpoints_by_contact(self) -> Loader[UUID, list[models.Touchpoint]]:
        """The latest touches recorded on each contact, newest first."""
        tp = models.Touchpoint
        return self.all_by(tp, tp.contact_id, order=_NEWEST, limit=bounds.TOUCHPOINTS)


_NEWEST = (models.Touchpoint.occurred_at.desc(), models.Touchpoint.id.desc())
