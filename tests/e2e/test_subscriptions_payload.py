"""Subscribers are answered from the event's typed payload: what the write recorded, exact
(money, nulls), without a query of the deal per event; the SSE feed renders it in 004's
shape with money as an exact JSON number."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, update

from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.events import outbox, payloads
from crmgraph.events.topics import Topic
from subgraphs.deals.subscriptions import DEAL_CHANGES
from tests.e2e.graphql_ws import connect
from tests.e2e.test_subscriptions import bearer, make_deal, mutate, next_event, subscribed, ws_url
from tests.e2e.test_subscriptions_more import make_user
from tests.e2e.test_subscriptions_sse import feed
from tests.stack import Stack

DEAL_UPDATED = """subscription($p: ID) {
  dealUpdated(pipelineId: $p) { id title value currency expectedCloseDate stage status }
}"""


@contextmanager
def deal_reads(stack: Stack) -> Iterator[list[str]]:
    """The statements reading deals that the subgraphs' read engine runs inside."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM deals" in statement:
            seen.append(statement)

    engine = stack.runtime.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def write_deal(stack: Stack, tenant: str, deal_id: str, **values: Any) -> None:
    """Change the deal and record deal.updated (as updateDeal does), then change its title in
    the database behind the event's back: what a subscriber gets shows where it came from."""

    async def run() -> None:
        scope = Scope(tenant_id=tenant)
        async with stack.runtime.sessions() as session, session.begin():
            deal = await session.get(models.Deal, uuid.UUID(deal_id))
            assert deal is not None
            for name, value in values.items():
                setattr(deal, name, value)
            await outbox.record(session, scope=scope, event=payloads.DealUpdated, row=deal)
            await session.execute(
                update(models.Deal).where(models.Deal.id == deal.id).values(title="In the db")
            )
        stack.runtime.wake_consumers()

    stack.call(run)


async def test_deal_updated_is_the_events_deal_with_no_deal_query(
    stack: Stack, tenant: str
) -> None:
    ids = make_deal(stack, tenant)
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client, DEAL_UPDATED, tenant=tenant,
            topics=[kind.TOPIC for kind in DEAL_CHANGES], p=ids["pipeline"],
        )  # fmt: skip
        with deal_reads(stack) as reads:
            write_deal(stack, tenant, ids["deal"], title="In the event",
                       value=Decimal("1234567.89"), expected_close_date=None)  # fmt: skip
            got = await next_event(client, id_)

    assert got == {"data": {"dealUpdated": {
        "id": ids["deal"], "title": "In the event", "value": 1234567.89, "currency": "USD",
        "expectedCloseDate": None, "stage": "Lead", "status": "ACTIVE",
    }}}  # fmt: skip
    assert reads == []


async def test_update_deal_reaches_subscribers_exact(stack: Stack, tenant: str) -> None:
    ids = make_deal(stack, tenant)
    when = datetime(2031, 5, 17, 12, 0, tzinfo=UTC).isoformat()
    update_deal = """mutation($id: ID!, $v: Float, $d: DateTime) {
      updateDeal(id: $id, input: {value: $v, expectedCloseDate: $d}) { deal { id } } }"""
    async with connect(ws_url(stack), params=bearer(stack, tenant)) as client:
        id_ = await subscribed(
            stack, client, DEAL_UPDATED, tenant=tenant,
            topics=[kind.TOPIC for kind in DEAL_CHANGES], p=ids["pipeline"],
        )  # fmt: skip
        await mutate(stack, tenant, update_deal, id=ids["deal"], v=1234567.89, d=when)
        dated = await next_event(client, id_)
        await mutate(stack, tenant, update_deal, id=ids["deal"], v=0.1, d=None)
        cleared = await next_event(client, id_)

    assert dated["data"]["dealUpdated"]["value"] == 1234567.89
    assert dated["data"]["dealUpdated"]["expectedCloseDate"] == "2031-05-17T12:00:00+00:00"
    assert cleared["data"]["dealUpdated"]["value"] == 0.1
    assert cleared["data"]["dealUpdated"]["expectedCloseDate"] is None


async def test_sse_renders_money_as_an_exact_number_in_the_same_shape(
    stack: Stack, tenant: str
) -> None:
    ids = make_deal(stack, tenant)
    ada = make_user(stack, tenant, "ada")
    async with feed(stack, tenant, ada) as live:
        # More digits than a float holds: only a write below the API's Float input has them.
        write_deal(stack, tenant, ids["deal"], title="Huge", owner_id=uuid.UUID(ada),
                   value=Decimal("9876543210987654.32"))  # fmt: skip
        lines = []
        async for line in live.lines:
            lines.append(line)
            if line.startswith("data: "):
                break

    assert lines[-1] == (
        f'data: {{"type": "{Topic.DEAL_UPDATED}", "data": {{"deal_id": "{ids["deal"]}", '
        f'"title": "Huge", "value": 9876543210987654.32}}}}'
    )
