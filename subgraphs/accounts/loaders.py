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
        """Any user of the tenant: the User entities rows name (a deal's owner, a report's
        top performer), the owner checks of crmgraph.gql.permissions."""
        return self.by_id(models.User, by_owner=False)

    @cached_property
    def directory_user_by_id(self) -> Loader[UUID, models.User | None]:
        """Query.user: only its team's for a caller reading users at the team level."""
        return self.by_id(models.User)
