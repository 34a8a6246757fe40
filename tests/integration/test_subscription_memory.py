"""A subscription's memory does not grow with the events it delivers.

The soak (scaleout.soak) saw the deals subgraph grow about 2 KiB per delivered
dealStageChanged event, without levelling off. tracemalloc put it in graphql-core's
executor: each event's memo of collected subfields went into the subscription's shared memo
and stayed there (crmgraph.gql.execution). Here a real deals subgraph (its servers and
outbox consumers, as `crmgraph serve deals` runs them) delivers real moves to subscribers
over graphql-transport-ws; after a warm-up, more events leave no more of graphql-core's
execution objects alive: a count of objects, which machine load does not change."""

from __future__ import annotations

import asyncio
import gc
import secrets
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.gql.router_gate import HEADER
from crmgraph.runtime import Runtime
from crmgraph.server import build_servers
from tests.e2e.graphql_ws import connect
from tests.factories import make_deal_world
from tests.integration.consumers.support import wait_until
from tests.ports import free_port

# What the soak's subscribers (scaleout.load) ask for, and how it moves deals.
CHANGES = "subscription($p: ID!) { dealStageChanged(pipelineId: $p) { deal { id } newStage } }"
MOVE = "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"
SUBSCRIBERS = 10
WARM_UP, MEASURED = 10, 30


def execution_objects() -> int:
    """Live objects of graphql-core's execution package (collected fields, field details)."""
    gc.collect()
    modules = (type(o).__module__ for o in gc.get_objects())
    return sum(isinstance(m, str) and m.startswith("graphql.execution") for m in modules)


class Deals:
    """A deals subgraph served on a free port with its outbox consumers, and one deal."""

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        self.settings, self.runtime = settings, runtime
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.tenant = f"t_{uuid.uuid4().hex[:12]}"
        self.servers = build_servers(runtime, ["deals"], rest=False, ports={"deals": self.port},
                                     consumers=True, log_level="warning")  # fmt: skip
        self.deal = self.pipeline = ""
        self.stages: list[str] = []

    async def prepare(self) -> None:
        deal_id = (await make_deal_world(self.runtime.sessions, self.tenant, deals_count=1))[0]
        async with self.runtime.sessions() as session:
            deal = await session.get(models.Deal, deal_id)
            assert deal is not None
            query = select(models.PipelineStage.id).where(
                models.PipelineStage.pipeline_id == deal.pipeline_id
            )
            stages = [s for s in (await session.execute(query)).scalars() if s != deal.stage_id]
        # Its own stage last: moving round the list never asks for the stage it is in.
        self.stages = [str(s) for s in [*stages, deal.stage_id]]
        self.deal, self.pipeline = str(deal_id), str(deal.pipeline_id)

    def token(self, subject: str, role: str) -> str:
        return issue_token(self.settings, tenant_id=self.tenant, subject=subject, roles=(role,))


@pytest.fixture
async def deals(own_pg_settings: Settings) -> AsyncIterator[Deals]:
    settings = own_pg_settings.model_copy(
        update={"router_secret": secrets.token_urlsafe(32), "neo4j_uri": None}
    )
    runtime = await Runtime.open(settings)
    subgraph = Deals(settings, runtime)
    serving = asyncio.create_task(subgraph.servers.run())
    try:
        await subgraph.prepare()
        await wait_until(lambda: subgraph.servers.started, within=60)
        yield subgraph
    finally:
        subgraph.servers.stop()
        await serving
        await runtime.close()


async def test_more_events_leave_no_more_execution_state(deals: Deals) -> None:
    received: Counter[int] = Counter()
    ready = [asyncio.Event() for _ in range(SUBSCRIBERS)]
    secret = {HEADER: deals.settings.router_secret or ""}

    async def subscriber(n: int) -> None:
        bearer = {"authorization": f"Bearer {deals.token(f'watcher-{n}', 'sales_rep')}"}
        async with connect(deals.url.replace("http", "ws"), headers=secret, params=bearer) as ws:
            await ws.subscribe(CHANGES, {"p": deals.pipeline})
            ready[n].set()
            while True:
                message = await ws.receive()
                assert message["type"] == "next" and "errors" not in message["payload"], message
                received[n] += 1

    admin = {**secret, "authorization": f"Bearer {deals.token('dev:admin', 'tenant_admin')}"}
    moved = 0

    async def move(client: httpx.AsyncClient, times: int) -> None:
        """times moves, each delivered to every subscriber before this returns."""
        nonlocal moved
        for _ in range(times):
            stage = deals.stages[moved % len(deals.stages)]
            answer = await client.post(
                deals.url, json={"query": MOVE, "variables": {"d": deals.deal, "s": stage}}
            )
            assert "errors" not in answer.json(), answer.json()
            moved += 1
        await wait_until(lambda: min(received[n] for n in range(SUBSCRIBERS)) >= moved, 60)
        assert all(received[n] == moved for n in range(SUBSCRIBERS)), (received, moved)

    subscribers = [asyncio.create_task(subscriber(n)) for n in range(SUBSCRIBERS)]
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(r.wait() for r in ready))
        async with httpx.AsyncClient(headers=admin, timeout=30) as client:
            await move(client, WARM_UP)
            before = execution_objects()
            await move(client, MEASURED)
            grown = execution_objects() - before
    finally:
        for task in subscribers:
            task.cancel()
        await asyncio.gather(*subscribers, return_exceptions=True)
    deliveries = SUBSCRIBERS * MEASURED
    # Before the fix: 6 objects more per delivery (2 CollectedFields, 4 FieldDetails).
    assert grown < deliveries // 10, f"{grown} more objects after {deliveries} deliveries"
