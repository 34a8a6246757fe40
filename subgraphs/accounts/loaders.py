"""Loaders over accounts, account relationships and users."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.domain import bounds
from crmgraph.loaders.base import Loader, LoaderBase


class AccountLoaders(LoaderBase):
    @cached_property
    def account_by_id(self) -> Loader[UUID, models.Account | None]:
        return self.by_id(models.Account)

    @cached_property
    def child_accounts_by_parent(self) -> Loader[UUID, list[models.Account]]:
        acc = models.Account
        return self.all_by(
            acc, acc.parent_account_id, order=(acc.name, acc.id), limit=bounds.CHILD_ACCOUNTS
        )

    @cached_property
    def user_by_id(self) -> Loader[UUID, models.User | None]:
        return self.by_id(models.User)
