"""Loaders over deals."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy import func

from crmgraph.db import models
from crmgraph.db.filtering import Filter
from crmgraph.db.pagination import Page
from crmgraph.domain import bounds
from crmgraph.loaders.base import ChildPage, Loader, LoaderBase
from crmgraph.reporting.forecast_facts import DealList, forecast_deal_lists
from crmgraph.reporting.win_facts import WinProbability, win_probabilities


class DealLoaders(LoaderBase):
    @cached_property
    def deal_by_id(self) -> Loader[UUID, models.Deal | None]:
        return self.by_id(models.Deal)

    @cached_property
    def deals_by_account(self) -> Loader[ChildPage, Page[models.Deal]]:
        return self.page_by(models.Deal, models.Deal.account_id)

    @cached_property
    def deals_by_contact(self) -> Loader[ChildPage, Page[models.Deal]]:
        return self.page_by(models.Deal, models.Deal.contact_id)

    @cached_property
    def deal_count_by_account(self) -> Loader[tuple[UUID, Filter], int]:
        return self.count_by(models.Deal, models.Deal.account_id)

    @cached_property
    def deal_count_by_contact(self) -> Loader[tuple[UUID, Filter], int]:
        return self.count_by(models.Deal, models.Deal.contact_id)

    @cached_property
    def deals_by_pipeline(self) -> Loader[ChildPage, Page[models.Deal]]:
        return self.page_by(models.Deal, models.Deal.pipeline_id)

    @cached_property
    def deals_by_stage(self) -> Loader[ChildPage, Page[models.Deal]]:
        return self.page_by(models.Deal, models.Deal.stage_id)

    @cached_property
    def deal_count_by_pipeline(self) -> Loader[tuple[UUID, Filter], int]:
        return self.count_by(models.Deal, models.Deal.pipeline_id)

    @cached_property
    def deal_count_by_stage(self) -> Loader[tuple[UUID, Filter], int]:
        return self.count_by(models.Deal, models.Deal.stage_id)

    @cached_property
    def deal_totals_by_contact(self) -> Loader[tuple[UUID, Filter], tuple[Any, ...]]:
        """(sum of value, count) of a contact's deals matching the filter."""
        deal = models.Deal
        return self.aggregate_by(deal, deal.contact_id, func.sum(deal.value), func.count())

    @cached_property
    def deal_totals_by_account(self) -> Loader[tuple[UUID, Filter], tuple[Any, ...]]:
        """(sum of value, count) of an account's deals matching the filter."""
        deal = models.Deal
        return self.aggregate_by(deal, deal.account_id, func.sum(deal.value), func.count())

    @cached_property
    def stage_changes_by_deal(self) -> Loader[UUID, list[models.DealStageChange]]:
        """The latest moves, newest first."""
        change = models.DealStageChange
        newest_first = (change.created_at.desc(), change.id.desc())
        return self.all_by(change, change.deal_id, order=newest_first, limit=bounds.STAGE_HISTORY)

    @cached_property
    def win_probability(self) -> Loader[UUID, WinProbability | None]:
        """Win probability of many deals: three statements per batch (README: Deal win
        probability)."""

        async def batch(ids: list[UUID]) -> list[WinProbability | None]:
            async with self._sessions() as session:
                found = await win_probabilities(session, self._scope, ids, datetime.now(UTC))
            return [found.get(id_) for id_ in ids]

        return Loader(batch)

    @cached_property
    def forecast_deals(self) -> Loader[DealList, list[models.Deal]]:
        """The deals behind a forecast's numbers: every list a request asks for (each bucket,
        category and size) in one statement per batch (README: Deal forecast)."""

        async def batch(lists: list[DealList]) -> list[list[models.Deal]]:
            async with self._sessions() as session:
                return await forecast_deal_lists(session, self._scope, lists)

        return Loader(batch)
