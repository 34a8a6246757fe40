"""Loaders over leads."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.loaders.base import Loader, LoaderBase


class LeadLoaders(LoaderBase):
    @cached_property
    def lead_by_id(self) -> Loader[UUID, models.Lead | None]:
        return self.by_id(models.Lead)
