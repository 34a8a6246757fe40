"""Loaders over contacts."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.db.filtering import Filter
from crmgraph.db.pagination import Page
from crmgraph.loaders.base import ChildPage, Loader, LoaderBase


class ContactLoaders(LoaderBase):
    @cached_property
    def contact_by_id(self) -> Loader[UUID, models.Contact | None]:
        return self.by_id(models.Contact)

    @cached_property
    def contacts_by_account(self) -> Loader[ChildPage, Page[models.Contact]]:
        return self.page_by(models.Contact, models.Contact.account_id)

    @cached_property
    def contact_count_by_account(self) -> Loader[tuple[UUID, Filter], int]:
        return self.count_by(models.Contact, models.Contact.account_id)
