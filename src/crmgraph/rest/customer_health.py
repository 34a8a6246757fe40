"""GET /api/v1/analytics/customer-health/{account_id}: an account's customer health in the
shape of the Zoho integration spec's "Customer Health Scoring" answer (README: Customer
health), scored 0-100; 404 for an account the caller's tenant does not have."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.auth.route_needs import ROUTES
from crmgraph.domain.bounds import HEALTH_MONTHS
from crmgraph.domain.customer_health import account_health
from crmgraph.domain.health import DEFAULT_MONTHS, HealthReport
from crmgraph.domain.health.parts import parts
from crmgraph.domain.validation import invalid
from crmgraph.gql.ids import parse_id
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.operations import UUID_STRING, Operation, Param, Reply
from crmgraph.runtime import Runtime

PATH = "/api/v1/analytics/customer-health/{account_id}"


class Company(BaseModel):
    id: str
    name: str


class HealthScore(BaseModel):
    overall_score: float
    previous_score: float | None
    trend: str  # improving | declining | stable
    status: str  # healthy | at_risk | critical
    last_updated: datetime


class FactorView(BaseModel):
    name: str
    value: float | None
    points: float


class ComponentView(BaseModel):
    score: float
    weight: float
    factors: list[FactorView]


class RiskView(BaseModel):
    type: str
    severity: str
    description: str
    recommendation: str


class OpportunityView(BaseModel):
    type: str
    confidence: int
    description: str
    estimated_value: float
    recommendation: str


class MonthView(BaseModel):
    month: str
    score: float


class Trend(BaseModel):
    timeframe: str
    data_points: list[MonthView]


class CustomerHealthView(BaseModel):
    company: Company
    health_score: HealthScore
    # support_health, financial_health, delivery_health, engagement_health
    score_breakdown: dict[str, ComponentView]
    risk_factors: list[RiskView]
    opportunities: list[OpportunityView]
    historical_trend: Trend

    @classmethod
    def of(cls, r: HealthReport) -> CustomerHealthView:
        p = parts(r)
        return cls(
            company=Company(id=str(r.facts.account_id), name=r.facts.name),
            health_score=HealthScore(
                overall_score=r.score,
                previous_score=r.previous_score,
                trend=r.direction,
                status=r.status,
                last_updated=r.computed_at,
            ),
            score_breakdown={
                f"{c['name']}_health": ComponentView.model_validate(c) for c in p["components"]
            },
            risk_factors=[RiskView.model_validate(x) for x in p["risks"]],
            opportunities=[OpportunityView.model_validate(o) for o in p["opportunities"]],
            historical_trend=Trend(
                timeframe=f"last_{len(r.trend)}_months",
                data_points=[MonthView.model_validate(m) for m in p["trend"]],
            ),
        )


def months_of(request: Request) -> int:
    raw = request.query_params.get("months")
    if raw is None:
        return DEFAULT_MONTHS
    if not raw.isdigit():
        raise invalid("months", f"months must be a whole number from 1 to {HEALTH_MONTHS}")
    return int(raw)


def customer_health_operations(runtime: Runtime) -> list[Operation]:
    async def health(request: Request) -> JSONResponse:
        scope = await scope_of(request, runtime, needs=ROUTES[f"GET {PATH}"])
        account_id = parse_id(request.path_params["account_id"], field="account_id")
        months = months_of(request)
        async with runtime.read_sessions() as session:
            report = await account_health(session, scope, account_id, months=months)
        return JSONResponse(
            envelope(request, CustomerHealthView.of(report).model_dump(mode="json"))
        )

    months = {"type": "integer", "minimum": 1, "maximum": HEALTH_MONTHS, "default": DEFAULT_MONTHS}
    return [
        Operation("GET", PATH, health, name="getCustomerHealth",
                  summary="An account's customer health, 0-100, with its breakdown, risks, "
                          "opportunities and monthly trend (README: Customer health)",
                  params=(Param.path("account_id", UUID_STRING),
                          Param.query("months", months,
                                      description="Months of the trend, the current one last")),
                  replies={200: Reply("The account's health", CustomerHealthView)},
                  errors=(400, 404)),
    ]  # fmt: skip
