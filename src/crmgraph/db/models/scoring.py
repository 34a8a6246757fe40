"""Lead scoring (crmgraph.domain.scoring): a tenant's rules, the manual adjustments of a
lead's score and the explanation kept beside each computed score."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow, UserRef
from crmgraph.db.types import utcnow


class LeadScoringRules(Base):
    """A tenant's own rules; a tenant without a row uses the default."""

    __tablename__ = "lead_scoring_rules"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rules: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LeadScoreAdjustment(TenantRow, Base):
    """Kept, never changed: a lead's adjustment of a factor is its latest row for it."""

    __tablename__ = "lead_score_adjustments"
    __table_args__ = (Index(None, "lead_id", "created_at"),)

    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    factor: Mapped[str] = mapped_column(String(64))
    points: Mapped[int]
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UserRef)


class LeadScoreExplanation(Base):
    """Why the lead's score is what it is: written with every computed score."""

    __tablename__ = "lead_score_explanations"

    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(String(64))
    explanation: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
