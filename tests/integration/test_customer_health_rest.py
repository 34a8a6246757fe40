"""GET /api/v1/analytics/customer-health/{account_id} on the REST shim: the account's
health in 000's shape, 404 for an account of no tenant or another's, 400 for a bad id or
months, 403 without deals:read."""

from __future__ import annotations

import uuid

import httpx

from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from tests.identity_provider import IdentityProvider
from tests.integration.test_health_facts import customer

PATH = "/api/v1/analytics/customer-health"


async def test_customer_health_over_rest(
    pg_settings: Settings, identity_provider: IdentityProvider, tenant: str
) -> None:
    def bearer(role: str, tenant_id: str = tenant) -> dict[str, str]:
        token = identity_provider.token(tenant_id=tenant_id, user_roles=[role])
        return {"Authorization": f"Bearer {token}"}

    runtime = await Runtime.open(pg_settings)
    try:
        async with runtime.sessions() as session, session.begin():
            account = await customer(session, Scope(tenant_id=tenant), "Busy")
        transport = httpx.ASGITransport(app=create_rest_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            found = await client.get(f"{PATH}/{account}?months=3", headers=bearer("sales_rep"))
            unknown = await client.get(f"{PATH}/{uuid.uuid4()}", headers=bearer("sales_rep"))
            foreign = await client.get(f"{PATH}/{account}", headers=bearer("sales_rep", "other"))
            bad_id = await client.get(f"{PATH}/nope", headers=bearer("sales_rep"))
            bad_months = await client.get(f"{PATH}/{account}?months=25",
                                          headers=bearer("sales_rep"))  # fmt: skip
            agent = await client.get(f"{PATH}/{account}", headers=bearer("support_agent"))
    finally:
        await runtime.close()

    assert found.status_code == 200, found.text
    data = found.json()["data"]
    assert data["company"] == {"id": str(account), "name": "Busy"}
    assert data["health_score"]["overall_score"] == 64.1
    assert data["health_score"]["status"] == "at_risk"
    breakdown = data["score_breakdown"]
    assert {k: (v["score"], v["weight"]) for k, v in breakdown.items()} == {
        "support_health": (80.0, 30),
        "financial_health": (45.0, 35),
        "delivery_health": (70.0, 25),
        "engagement_health": (68.0, 10),
    }
    assert breakdown["support_health"]["factors"] == [
        {"name": "tickets_last_30d", "value": 1, "points": -10},
        {"name": "overdue_tasks", "value": 1, "points": -10},
    ]
    assert data["historical_trend"]["timeframe"] == "last_3_months"
    assert len(data["historical_trend"]["data_points"]) == 3
    assert [r["type"] for r in data["risk_factors"]] == ["overdue_tasks"]
    for missing in (unknown, foreign):
        assert missing.status_code == 404, missing.text
        assert missing.json()["errors"][0]["code"] == "NOT_FOUND"
    assert (bad_id.status_code, bad_id.json()["errors"][0]["field"]) == (400, "account_id")
    assert bad_months.status_code == 400
    assert agent.status_code == 403
