"""A tenant's own weights of the customer health components (crmgraph.domain.health);
a tenant without a row uses the defaults."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base
from crmgraph.db.types import utcnow


class HealthWeights(Base):
    __tablename__ = "health_weights"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    support: Mapped[float] = mapped_column(Float)
    financial: Mapped[float] = mapped_column(Float)
    delivery: Mapped[float] = mapped_column(Float)
    engagement: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
