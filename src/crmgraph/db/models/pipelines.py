"""Pipelines and their ordered stages (the pipelines subgraph)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow


class Pipeline(TenantRow, Base):
    __tablename__ = "pipelines"
    __table_args__ = (Index(None, "tenant_id", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class PipelineStage(TenantRow, Base):
    __tablename__ = "pipeline_stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "position"),)

    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # "order" in the API; a reserved word in SQL.
    position: Mapped[int]
    probability: Mapped[int]
    automation_rules: Mapped[list[dict[str, Any]] | None]
