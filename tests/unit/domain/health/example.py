"""The worked example of README "Customer health", as facts (tests read it; so does the
README's arithmetic)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from crmgraph.domain.health import AccountFacts, DealFact, StageVisit, SupportTicketEvent, TaskFact

NOW = datetime(2026, 6, 15, tzinfo=UTC)


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, tzinfo=UTC)


EXAMPLE = AccountFacts(
    account_id=UUID(int=1),
    name="Acme",
    support=(
        SupportTicketEvent("101", day(6, 10)),
        SupportTicketEvent("101", day(6, 12)),
        SupportTicketEvent("102", day(6, 1)),
        SupportTicketEvent("90", day(4, 1)),
    ),
    tasks=(
        TaskFact(created_at=day(5, 20), due_date=day(6, 1), completed_at=None),
        TaskFact(created_at=day(5, 1), due_date=day(5, 10), completed_at=day(5, 9)),
    ),
    deals=(
        DealFact(Decimal(40000), "WON", day(1, 10), day(3, 1),
                 (StageVisit(day(1, 10), 10), StageVisit(day(2, 9), 50))),
        DealFact(Decimal(10000), "LOST", day(2, 1), day(5, 1),
                 (StageVisit(day(2, 1), 10), StageVisit(day(3, 3), 40))),
        DealFact(Decimal(25000), "ACTIVE", day(4, 1), None,
                 (StageVisit(day(4, 1), 20), StageVisit(day(5, 6), 60))),
    ),
    interactions=(day(6, 11), day(5, 20), day(4, 20), day(3, 1)),
)  # fmt: skip
