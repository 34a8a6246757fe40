"""Loaders over pipelines and their stages."""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from crmgraph.db import models
from crmgraph.loaders.base import Loader, LoaderBase


class PipelineLoaders(LoaderBase):
    @cached_property
    def pipeline_by_id(self) -> Loader[UUID, models.Pipeline | None]:
        return self.by_id(models.Pipeline)

    @cached_property
    def stage_by_id(self) -> Loader[UUID, models.PipelineStage | None]:
        return self.by_id(models.PipelineStage)

    @cached_property
    def stages_by_pipeline(self) -> Loader[UUID, list[models.PipelineStage]]:
        st = models.PipelineStage
        return self.all_by(st, st.pipeline_id, order=(st.position,))
