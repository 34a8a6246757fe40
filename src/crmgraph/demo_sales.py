"""The demo tenant's sales history: closed deals of its pipeline with backdated stage
history and activities, so that Deal.winProbability, dealForecast and pipelineAnalytics
have the tenant's own history to show in `make run` (README: Sales forecasts and pipeline
analytics). Written through the domain functions; only the times are set afterwards, as no
client can write the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.domain import activities, deals

# The stages a closed deal goes through in order, from the first.
PATH = ("Lead", "Qualification", "Proposal", "Negotiation")
# (title, value, won, days in each stage of PATH it reached, closed days ago, tasks)
HISTORY = (
    ("Backup appliance refresh", 12000, True, (4, 6, 10, 7), 160, 3),
    ("Firewall upgrade", 18000, True, (3, 5, 12, 6), 140, 2),
    ("Service desk pilot", 9000, True, (2, 4, 8, 5), 120, 2),
    ("Office 365 tenancy move", 26000, True, (5, 7, 15, 9), 110, 4),
    ("Managed Wi-Fi", 14000, True, (3, 6, 11, 4), 95, 1),
    ("Disaster recovery plan", 32000, True, (6, 8, 18, 10), 80, 3),
    ("Patch management", 7000, True, (2, 3, 9, 4), 60, 2),
    ("Vulnerability scan", 11000, True, (4, 5, 13, 6), 45, 2),
    ("Laptop fleet", 21000, True, (3, 6, 16, 8), 30, 3),
    ("Email security", 8000, True, (2, 4, 7, 3), 12, 1),
    ("Data centre exit", 95000, False, (6, 10, 40), 150, 0),
    ("VoIP rollout", 16000, False, (5, 9), 130, 0),
    ("Print management", 6000, False, (3, 4, 35), 100, 1),
    ("SIEM evaluation", 42000, False, (8, 12, 28, 20), 70, 1),
    ("Network audit", 5000, False, (4,), 50, 0),
    ("Cloud cost review", 13000, False, (3, 7, 31), 20, 0),
)


async def load_sales_history(
    session: AsyncSession, scope: Scope, *, pipeline_id: UUID, stages: dict[str, UUID]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for title, value, won, stays, closed_ago, tasks in HISTORY:
        new = deals.NewDeal(title=title, value=value, pipeline_id=pipeline_id,
                            stage_id=stages[PATH[0]])  # fmt: skip
        deal = await deals.create_deal(session, scope=scope, data=new)
        for name in [*PATH[1 : len(stays)], "Closed Won" if won else "Closed Lost"]:
            await deals.move_deal_stage(session, scope=scope, deal_id=deal.id,
                                        stage_id=stages[name], reason=None)  # fmt: skip
        for n in range(tasks):
            await activities.create_task(session, scope=scope, data=activities.NewTask(
                title=f"Call {n + 1}: {title}", status="COMPLETED",
                related_to=activities.RelatedRef(type="DEAL", id=deal.id)))  # fmt: skip
        closed = now - timedelta(days=closed_ago)
        created = closed - timedelta(days=sum(stays))
        entered = [created, *_entries(created, stays)]
        path = [*PATH[: len(stays)], "Closed Won" if won else "Closed Lost"]
        await _backdate(
            session, scope, deal.id, {stages[n]: at for n, at in zip(path, entered, strict=True)}
        )
        deal.created_at, deal.stage_entered_at, deal.actual_close_date = created, closed, closed


def _entries(created: datetime, stays: tuple[int, ...]) -> list[datetime]:
    """When the deal entered each stage after its first, the close last."""
    found, at = [], created
    for days in stays:
        at += timedelta(days=days)
        found.append(at)
    return found


async def _backdate(
    session: AsyncSession, scope: Scope, deal_id: UUID, entered: dict[UUID, datetime]
) -> None:
    """Each recorded entry of the deal into a stage gets the time it entered it."""
    c = models.DealStageChange
    for change in await session.scalars(scoped(select(c), c, scope).where(c.deal_id == deal_id)):
        change.created_at = entered[change.to_stage_id]
