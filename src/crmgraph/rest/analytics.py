"""GET /api/v1/analytics/revenue-attribution: 000's revenue-attribution report over the
GraphStore's journeys (crmgraph.domain.revenue_report), the same as GraphQL's
revenueAttribution."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.auth.route_needs import ROUTES
from crmgraph.domain import validation
from crmgraph.domain.attribution import GroupBy, Model
from crmgraph.domain.revenue_report import Fields, request_of, revenue_report
from crmgraph.rest.analytics_payloads import RevenueAttributionOut
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.operations import Operation, Param, Reply
from crmgraph.runtime import Runtime

PATH = "/api/v1/analytics/revenue-attribution"
FIELDS = Fields(
    start="start_date",
    end="end_date",
    model="attribution_model",
    group_by="grouping",
    min_revenue="min_revenue",
    half_life="half_life_days",
)
PER_GROUP = 10
T = TypeVar("T")


def _param(request: Request, name: str, parse: Callable[[str], T], default: T) -> T:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise validation.invalid(name, f"{name} is not valid: {raw[:40]!r}") from None


def _bool(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValueError(raw)
    return raw == "true"


def _required_date(request: Request, name: str) -> date:
    found = _param(request, name, date.fromisoformat, None)
    if found is None:
        raise validation.invalid(name, f"{name} is required (YYYY-MM-DD)")
    return found


def _per_group(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 100:
        raise ValueError(raw)
    return value


def analytics_operations(runtime: Runtime) -> list[Operation]:
    async def revenue_attribution(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"GET {PATH}"])
        began = time.perf_counter()
        attribution_request = request_of(
            start_date=_required_date(request, "start_date"),
            end_date=_required_date(request, "end_date"),
            model=_param(request, "attribution_model", str, "linear"),
            group_by=_param(request, "grouping", str, "campaign"),
            include_indirect=_param(request, "include_indirect", _bool, True),
            min_revenue=_param(request, "min_revenue", str, "0"),
            half_life_days=_param(request, "half_life_days", float, None),
            fields=FIELDS,
        )
        per_group = _param(request, "journeys_per_group", _per_group, PER_GROUP)
        async with runtime.read_sessions() as session:
            report = await revenue_report(
                runtime.graph_reads.for_request(), session, scope.tenant_id, attribution_request
            )
        elapsed = round((time.perf_counter() - began) * 1000)
        body = RevenueAttributionOut.of(
            attribution_request, report, elapsed_ms=elapsed, per_group=per_group
        )
        return JSONResponse(envelope(request, body.model_dump(mode="json")))

    date_schema = {"type": "string", "format": "date"}
    params = (
        Param.query("start_date", date_schema, required=True, description="First day, included"),
        Param.query("end_date", date_schema, required=True, description="Last day, included"),
        Param.query("attribution_model", {"type": "string", "enum": [m.value for m in Model]},
                    description="linear unless given"),
        Param.query("grouping", {"type": "string", "enum": [g.value for g in GroupBy]},
                    description="campaign unless given"),
        Param.query("include_indirect", {"type": "string", "enum": ["true", "false"]},
                    description="true unless given"),
        Param.query("min_revenue", {"type": "number", "minimum": 0},
                    description="Groups below it are left out of attribution_results"),
        Param.query("half_life_days", {"type": "number", "exclusiveMinimum": 0, "maximum": 3650},
                    description="time_decay's half-life, 7 unless given"),
        Param.query("journeys_per_group", {"type": "integer", "minimum": 0, "maximum": 100},
                    description=f"revenue_journey items per group, {PER_GROUP} unless given"),
    )  # fmt: skip
    return [
        Operation("GET", PATH, revenue_attribution, name="revenueAttribution", params=params,
                  summary="Revenue of the deals won in a date range, attributed to campaigns "
                  "(or sources, media, channels) by a model; README: Revenue attribution models",
                  replies={200: Reply("The report", RevenueAttributionOut)}, errors=(400,)),
    ]  # fmt: skip
