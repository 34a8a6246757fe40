"""The compiled reads count daysInStage and isOverdue from the request's instant (Binding.now,
crmgraph.db.types.utcnow: the resolvers' clock), not the database's now(): at any instant,
on either side of a day's boundary or a deadline, the statement answers what
crmgraph.domain.deals answers for that instant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
from graphql.execution.values import VariableValues, get_variable_values
from sqlalchemy import select, update

from crmgraph.auth.tokens import issue_token
from crmgraph.compiled.hook import CompiledReads, front_of
from crmgraph.compiled.plan import Binding, compile_operation
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.domain import deals
from crmgraph.runtime import Runtime
from subgraphs.deals.app import create_app
from tests.factories import make_deal_world

QUERY = "query($id: ID!) { deal(id: $id) { daysInStage isOverdue } }"
ENTERED = datetime(2020, 1, 1, 6, 30, tzinfo=UTC)
CLOSE = datetime(2020, 1, 3, 6, 30, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


async def test_days_in_stage_and_overdue_count_from_the_request_instant(
    subgraph_settings: Settings,
) -> None:
    settings = subgraph_settings.model_copy(update={"compiled_reads": True})
    runtime = await Runtime.open(settings)
    try:
        tenant = f"t_{uuid.uuid4().hex[:12]}"
        (deal_id,) = await make_deal_world(runtime.sessions, tenant, deals_count=1)
        async with runtime.sessions() as session, session.begin():
            await session.execute(update(models.Deal).where(models.Deal.id == deal_id).values(
                stage_entered_at=ENTERED, expected_close_date=CLOSE, status="ACTIVE"))  # fmt: skip
            row = await session.scalar(select(models.Deal).where(models.Deal.id == deal_id))
        assert row is not None
        front = front_of(create_app(runtime))
        assert isinstance(front, CompiledReads)
        token = issue_token(settings, tenant_id=tenant, subject=f"dev:{tenant}",
                            roles=("tenant_admin",), permissions=(), extra={})  # fmt: skip
        caller = await runtime.authenticator.authenticate(
            {"authorization": f"Bearer {token}"}, None
        )
        document = front.documents.get(QUERY)
        assert document is not None
        operation = document.operation(None)
        assert operation is not None
        variables = get_variable_values(
            front.schema, operation.variable_definitions or (), {"id": str(deal_id)}
        )
        assert isinstance(variables, VariableValues)
        plan = compile_operation(front.schema, operation, document.fragments, variables,
                                 caller, front.roots)  # fmt: skip
        day = timedelta(days=1)
        instants = [ENTERED - MICRO, ENTERED, ENTERED + day - MICRO, ENTERED + day,
                    CLOSE - MICRO, CLOSE, CLOSE + MICRO, ENTERED + 400 * day]  # fmt: skip
        seen = []
        for now in instants:
            answer = await front.run(plan, Binding(caller, variables, now=now))
            assert answer is not None
            seen.append(orjson.loads(answer)["data"]["deal"])
        expected = [{"daysInStage": deals.days_in_stage(row, now),
                     "isOverdue": deals.is_overdue(row, now)} for now in instants]  # fmt: skip
        assert seen == expected
        # The instants span both sides of each boundary.
        assert {d["daysInStage"] for d in seen} == {0, 1, 2, 400}
        assert {d["isOverdue"] for d in seen} == {True, False}
    finally:
        await runtime.close()
