"""A subgraph process that dies or stops answering, seen by a client of the router (README:
Live data; router-config/README.md, Subgraph faults): the deals subgraph runs as a real
`crmgraph serve deals` process (tests/processes.py) behind a router of its own, and the test
SIGKILLs it under a graphql-ws subscription, or SIGSTOPs it under a query."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crmgraph.errors import RETRY_AFTER_SECONDS
from tests.e2e.graphql_ws import connect
from tests.e2e.test_subscriptions import make_deal
from tests.ports import free_port
from tests.processes import Subgraph
from tests.routers import Router, per_router, router_env
from tests.stack import Stack

STAGE_CHANGES = """subscription($pipelineId: ID!) {
  dealStageChanged(pipelineId: $pipelineId) { deal { id } newStage } }"""
MOVE = """mutation($deal: ID!, $stage: ID!) {
  moveDealStage(dealId: $deal, stageId: $stage) { deal { id } } }"""
DEAL = "query($id: ID!) { deal(id: $id) { id title } }"
CONTACTS = "{ contacts(first: 5) { edges { node { fullName } } } }"
#: What the router must answer within, once it has given up on a paused subgraph
#: (CRMGRAPH_SUBGRAPH_TIMEOUT_MS below), on a loaded machine.
TIMEOUT_MS = 8000
UNAVAILABLE = {"code": "SERVICE_UNAVAILABLE", "retryAfter": RETRY_AFTER_SECONDS}
#: Hive Router 0.2.0's own codes for both faults (SUBGRAPH_WEBSOCKET_CLIENT_FAILURE,
#: SUBGRAPH_REQUEST_TIMEOUT) become ours (router-config/error-codes.json), without
#: retryAfter, and it answers a timeout with 200 (router-config/README.md, Subgraph faults).
LOST = per_router(UNAVAILABLE, {"code": "SERVICE_UNAVAILABLE"})
TIMED_OUT = per_router((503, UNAVAILABLE), (200, {"code": "SERVICE_UNAVAILABLE"}))
# The stack, a subgraph process and a router start in a test: minutes on a loaded machine.
pytestmark = pytest.mark.timeout(480)


class Faulty:
    """The stack's subgraphs but deals, which runs as its own process, and a router to them."""

    def __init__(self, stack: Stack, workdir: Path) -> None:
        settings = stack.settings
        # The process trusts the stack's tokens and the stack's router secret.
        self.deals = Subgraph(
            settings, "deals", workdir / "deals.log", ready_within=180,
            JWT_SECRET=settings.jwt_secret or "", JWT_ISSUER=settings.jwt_issuer or "",
            JWT_JWKS_URL=settings.jwt_jwks_url or "", CRMGRAPH_ROUTER_SECRET=stack.router_secret,
        )  # fmt: skip
        env = router_env(
            stack, CRMGRAPH_DEALS_URL=self.deals.url, CRMGRAPH_RATE_LIMITS_ENABLED="false",
            CRMGRAPH_SUBGRAPH_TIMEOUT_MS=str(TIMEOUT_MS),
        )  # fmt: skip
        self.router = Router(stack, free_port(), "faults-router", env)
        try:
            self.router.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.deals.process.poll() is None:
            os.kill(self.deals.process.pid, signal.SIGCONT)
        self.deals.stop()
        self.router.stop()


@pytest.fixture
def faulty(stack: Stack, tmp_path: Path) -> Iterator[Faulty]:
    running = Faulty(stack, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def ask(stack: Stack, url: str, tenant: str, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        url, json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {stack.token(tenant)}"}, timeout=60,
    )  # fmt: skip


async def test_a_killed_subgraph_ends_its_subscriptions_with_service_unavailable(
    stack: Stack, faulty: Faulty, tenant: str
) -> None:
    """SIGKILL of the subgraph a subscription runs on: the client is told, with a code and a
    time to retry (a `next` with the error, then `complete`), not only `complete`, which
    says the stream ended normally."""
    made = make_deal(stack, tenant)
    ws = faulty.router.url.replace("http://", "ws://")
    params = {"authorization": f"Bearer {stack.token(tenant)}"}
    async with connect(ws, params=params) as client:
        sub = await client.subscribe(STAGE_CHANGES, {"pipelineId": made["pipeline"]})
        # The subscription runs on the subgraph once an event reaches the client.
        first: dict[str, Any] = {}
        stages = iter(("Qualification", "Proposal", "Negotiation", "Lead"))
        async with asyncio.timeout(60):
            while not first:
                moved = await asyncio.to_thread(
                    ask, stack, faulty.router.url, tenant, MOVE,
                    deal=made["deal"], stage=made[next(stages)],
                )  # fmt: skip
                assert "errors" not in moved.json(), moved.json()
                try:
                    async with asyncio.timeout(5):
                        first = await client.receive()
                except TimeoutError:
                    continue
        assert first["type"] == "next", first
        faulty.deals.process.send_signal(signal.SIGKILL)
        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(60):
            while not seen or seen[-1]["type"] not in ("complete", "error"):
                seen.append(await client.receive())
    assert [(m["id"], m["type"]) for m in seen] == [(sub, "next"), (sub, "complete")], seen
    errors = seen[0]["payload"]["errors"]
    assert [e.get("extensions") for e in errors] == [LOST], seen


def test_a_paused_subgraph_is_given_up_on_in_bounded_time(
    stack: Stack, faulty: Faulty, tenant: str
) -> None:
    """SIGSTOP of the deals subgraph: a query that needs it is answered within the router's
    subgraph timeout with SERVICE_UNAVAILABLE, 503 and Retry-After, not held; one that does
    not need it answers as usual."""
    made = make_deal(stack, tenant)
    before = ask(stack, faulty.router.url, tenant, DEAL, id=made["deal"])
    assert before.json() == {"data": {"deal": {"id": made["deal"], "title": "Big deal"}}}
    faulty.deals.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        held = ask(stack, faulty.router.url, tenant, DEAL, id=made["deal"])
        took = time.monotonic() - started
        other = ask(stack, faulty.router.url, tenant, CONTACTS)
    finally:
        faulty.deals.process.send_signal(signal.SIGCONT)
    assert took < TIMEOUT_MS / 1000 + 5, took
    [error] = held.json()["errors"]
    assert (held.status_code, error["extensions"]) == TIMED_OUT, (held.status_code, error)
    if held.status_code == 503:
        assert held.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert other.json() == {"data": {"contacts": {"edges": [{"node": {"fullName": "Ada Byron"}}]}}}
    after = ask(stack, faulty.router.url, tenant, DEAL, id=made["deal"])
    assert after.json() == before.json()
