"""Loaders over deals."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.db.filtering import Filter
from crmgraph.db.pagination import Page
from crmgraph.loaders.base import ChildPage, Loader, LoaderBase


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
