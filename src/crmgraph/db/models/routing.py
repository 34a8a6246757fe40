"""Lead routing (crmgraph.domain.lead_routing): which rep a qualified lead went to, the
qualification task made for it and why; one row per lead, so a lead is routed once."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crmgraph.db.models.base import Base, TenantRow, UserRef


class LeadRouting(TenantRow, Base):
    __tablename__ = "lead_routings"
    __table_args__ = (UniqueConstraint("lead_id"),)

    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    rep_id: Mapped[uuid.UUID | None] = mapped_column(UserRef)  # None: no sales rep then
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    matched: Mapped[list[str]] = mapped_column(default=list)  # the rep's matching specializations
    reason: Mapped[str] = mapped_column(Text)
    score: Mapped[int]  # the score that qualified the lead
    event_id: Mapped[str] = mapped_column(String(64))  # the lead.scored event that routed it
