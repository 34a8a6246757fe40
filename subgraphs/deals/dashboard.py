"""Query.dashboardData of the deals subgraph: a built-in dashboard's widgets (the widgets:
crmgraph.reporting.dashboards)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from crmgraph.gql.context import Info
from crmgraph.reporting.dashboard_facts import dashboard
from crmgraph.reporting.dashboards import Dashboard, Point, Widget


@strawberry.type(description="One point of a widget's series.")
class DataPoint:
    label: str
    value: float

    @classmethod
    def of(cls, p: Point) -> DataPoint:
        return cls(label=p.label, value=float(p.value))


@strawberry.type(description="A figure (value) or a series (series, in order) of a dashboard.")
class DashboardWidget:
    key: str
    title: str
    unit: str = strawberry.field(description="currency, count or percent.")
    value: float | None
    series: list[DataPoint]

    @classmethod
    def of(cls, w: Widget) -> DashboardWidget:
        return cls(key=w.key, title=w.title, unit=w.unit,
                   value=None if w.value is None else float(w.value),
                   series=[DataPoint.of(p) for p in w.series])  # fmt: skip


@strawberry.type(description="A dashboard's widgets, computed when asked.")
class DashboardData:
    id: strawberry.ID
    name: str
    generated_at: datetime
    widgets: list[DashboardWidget]

    @classmethod
    def of(cls, d: Dashboard, at: datetime) -> DashboardData:
        return cls(id=strawberry.ID(d.id), name=d.name, generated_at=at,
                   widgets=[DashboardWidget.of(w) for w in d.widgets])  # fmt: skip


async def resolve_dashboard_data(info: Info, dashboard_id: strawberry.ID) -> DashboardData | None:
    now = datetime.now(UTC)
    async with info.context.session() as session:
        found = await dashboard(session, info.context.scope, str(dashboard_id), now=now)
    return None if found is None else DashboardData.of(found, now)
