"""Loaders over accounts, account relationships and users."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.loaders.base import Loader, LoaderBase


class AccountLoaders(LoaderBase):
    @cached_property
    def account_by_id(self) -> Loader[UUID, models.Account | None]:
        return self.by_id(models.Account)

    @cached_property
    def user_by_id(self) -> Loader[UUID, models.User | None]:
        return self.by_id(models.User)
