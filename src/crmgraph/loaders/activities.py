"""Loaders over tasks, events and communications."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.loaders.base import Loader, LoaderBase


class ActivityLoaders(LoaderBase):
    @cached_property
    def task_by_id(self) -> Loader[UUID, models.Task | None]:
        return self.by_id(models.Task)

    @cached_property
    def event_by_id(self) -> Loader[UUID, models.Event | None]:
        return self.by_id(models.Event)

    @cached_property
    def communication_by_id(self) -> Loader[UUID, models.Communication | None]:
        return self.by_id(models.Communication)
