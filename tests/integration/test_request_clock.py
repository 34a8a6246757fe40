"""One clock per request on the resolver path: every daysInStage and isOverdue of one answer
count from the same instant (Context.now), as the compiled path binds one instant per
statement. A clock that moves a day at each reading shows it: read per field, deals that
entered their stage together would answer different day counts within one page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.gql.router_gate import HEADER
from crmgraph.runtime import Runtime
from subgraphs.deals.app import create_app
from tests.factories import make_deal_world

ENTERED = datetime(2020, 1, 1, tzinfo=UTC)
PAGE = "{ deals(first: 5) { edges { node { daysInStage isOverdue } } } }"


def moving_clock() -> Iterator[datetime]:
    day = 0
    while True:
        day += 1
        yield ENTERED + timedelta(days=day)


async def test_one_answer_reads_one_clock(
    subgraph_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = subgraph_settings.model_copy(update={"compiled_reads": False})
    runtime = await Runtime.open(settings)
    try:
        tenant = f"t_{uuid.uuid4().hex[:12]}"
        await make_deal_world(runtime.sessions, tenant, deals_count=5)
        async with runtime.sessions() as session, session.begin():
            await session.execute(
                update(models.Deal)
                .where(models.Deal.tenant_id == tenant)
                .values(stage_entered_at=ENTERED, expected_close_date=ENTERED + timedelta(days=3),
                        status="ACTIVE")
            )  # fmt: skip
        token = issue_token(settings, tenant_id=tenant, subject=f"dev:{tenant}",
                            roles=("tenant_admin",), permissions=(), extra={})  # fmt: skip
        clock = moving_clock()
        for where in ("crmgraph.gql.context.utcnow", "crmgraph.domain.deals.utcnow"):
            monkeypatch.setattr(where, lambda: next(clock))
        headers = {HEADER: settings.router_secret or "", "authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://deals") as client:
            answers = []
            for _ in range(2):
                response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
                edges = response.json()["data"]["deals"]["edges"]
                answers.append([e["node"] for e in edges])
        for nodes in answers:
            assert len(nodes) == 5
            assert len({(n["daysInStage"], n["isOverdue"]) for n in nodes}) == 1, nodes
        # Each request reads the clock anew: the second is a later instant.
        assert answers[1][0]["daysInStage"] > answers[0][0]["daysInStage"]
    finally:
        await runtime.close()
