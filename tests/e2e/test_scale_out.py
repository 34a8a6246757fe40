"""The scale-out layout (scaleout.layout): two routers, two processes of the contacts and
deals subgraphs (one of the others), two REST shims and two workers on one PostgreSQL and
Redis, behind HAProxy. Requests spread over the routers, a subscription on one router sees
a mutation made through the other, a SIGKILLed router or subgraph process is routed around
once the balancer's checks notice (haproxy.DETECTION_BOUND_S), a tier with no process in
rotation is SERVICE_UNAVAILABLE to clients (and never a silent subscription), and the
workers share the outbox with each event delivered once."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.runtime import Runtime
from scaleout import haproxy
from scaleout.layout import Cluster, Layout, start
from tests.e2e.graphql_ws import connect
from tests.factories import make_pipeline
from tests.webhook_receiver import Receiver

LAYOUT = Layout(routers=2, processes=1, subgraphs={"contacts": 2, "deals": 2}, rest=2, workers=2)
SECRET = "whsec_scale_out_receiver_0123"
CREATE_DEAL = """mutation($t: String!) { createDeal(input: {title: $t, value: 100}) {
  deal { id } } }"""
MOVE = "mutation($d: ID!, $s: ID!) { moveDealStage(dealId: $d, stageId: $s) { deal { id } } }"
DEALS = "{ deals(first: 5) { edges { node { id title } } } }"
CHANGES = "subscription($p: ID!) { dealStageChanged(pipelineId: $p) { deal { id } newStage } }"
# A loaded machine delays HAProxy's own timers a little past the configured bound.
SLACK_S = 3.0


@pytest.fixture(scope="module")
def cluster(own_pg_settings: Settings, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:  # fmt: skip
    s = own_pg_settings
    env = {
        "DATABASE_URL": s.database_url,
        "REDIS_URL": s.redis_url,
        "NEO4J_URI": s.neo4j_uri or "",
        "NEO4J_USER": s.neo4j_user,
        "NEO4J_PASSWORD": s.neo4j_password or "",
        "JWT_SECRET": s.jwt_secret or "",
        "JWT_ISSUER": s.jwt_issuer,
        "JWT_AUDIENCE": s.jwt_audience,
        "CRMGRAPH_SECRETS_KEY": os.environ["CRMGRAPH_SECRETS_KEY"],
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "CRMGRAPH_RATE_LIMITS_ENABLED": "false",
        # 10 server processes and 2 workers on a PostgreSQL other test runs share.
        "DB_POOL_SIZE": "2",
    }
    with start(LAYOUT, env, tmp_path_factory.mktemp("scaleout")) as running:
        yield running


def bearer(settings: Settings, tenant: str) -> dict[str, str]:
    token = issue_token(settings, tenant_id=tenant, subject=f"dev:{tenant}",
                        roles=("tenant_admin",))  # fmt: skip
    return {"authorization": f"Bearer {token}"}


def graphql(url: str, headers: dict[str, str], query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(url, json={"query": query, "variables": variables},
                          headers=headers, timeout=30)  # fmt: skip
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def pipeline(settings: Settings, tenant: str) -> dict[str, str]:
    """A pipeline of the tenant's: its id and its stages' ids by name."""

    async def run() -> dict[str, str]:
        runtime = await Runtime.open(settings)
        try:
            async with runtime.sessions() as session, session.begin():
                made, stages = await make_pipeline(session, Scope(tenant_id=tenant))
        finally:
            await runtime.close()
        return {"pipeline": str(made.id), **{n: str(st.id) for n, st in stages.items()}}

    return asyncio.run(run())


@pytest.fixture
def world(own_pg_settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh tenant with a pipeline: an admin's headers, and the pipeline's ids."""
    tenant = f"t_{uuid.uuid4().hex[:12]}"
    return bearer(own_pg_settings, tenant), pipeline(own_pg_settings, tenant)


def sessions_by_server(cluster: Cluster, tier: str) -> dict[str, int]:
    return {s.server: s.sessions for s in cluster.stats() if s.tier == tier}


def test_queries_and_mutations_through_one_address_land_on_every_router(
    cluster: Cluster, world: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers = world[0]
    before = sessions_by_server(cluster, "router")
    for i in range(10):
        graphql(cluster.address("router"), headers, CREATE_DEAL, t=f"deal {i}")
        graphql(cluster.address("router"), headers, DEALS)
    after = sessions_by_server(cluster, "router")

    served = {name: after[name] - before.get(name, 0) for name in after}
    assert len(served) == LAYOUT.routers and all(n > 0 for n in served.values()), served
    found = graphql(cluster.address("router"), headers, DEALS)["deals"]["edges"]
    assert len(found) == 5


def test_a_subscription_on_one_router_sees_a_mutation_through_another(
    cluster: Cluster, world: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, ids = world
    deal = graphql(cluster.address("router"), headers, CREATE_DEAL, t="watched")
    deal_id = deal["createDeal"]["deal"]["id"]
    first, second = cluster.tier("router")

    async def run() -> dict[str, Any]:
        ws = f"ws://127.0.0.1:{first.port}/graphql"
        async with connect(ws, params=headers) as client:
            sub = await client.subscribe(CHANGES, {"p": ids["pipeline"]})
            # The router acknowledges before its subgraph has subscribed to Redis: move
            # again (to the next stage) until an event arrives.
            for stage in ("Qualification", "Proposal", "Negotiation"):
                await asyncio.to_thread(graphql, f"{second.url}/graphql", headers, MOVE,
                                        d=deal_id, s=ids[stage])  # fmt: skip
                try:
                    message = await asyncio.wait_for(client.receive(), timeout=10)
                except TimeoutError:
                    continue
                assert message["id"] == sub and message["type"] == "next", message
                return dict(message["payload"]["data"]["dealStageChanged"])
        raise AssertionError("no event reached the subscriber on the other router")

    change = asyncio.run(run())
    assert change["deal"]["id"] == deal_id


@pytest.mark.parametrize("tier", ["router", "deals"])
def test_a_killed_process_is_routed_around_once_the_checks_notice(
    cluster: Cluster, world: tuple[dict[str, str], dict[str, str]], tier: str
) -> None:
    headers = world[0]
    victim = cluster.tier(tier)[0]
    os.kill(victim.pid, signal.SIGKILL)
    try:
        noticed = cluster.wait_status(victim, "DOWN", timeout=30)
        assert noticed <= haproxy.DETECTION_BOUND_S + SLACK_S, noticed
        # After that, every request through the one address succeeds on the survivors.
        for i in range(15):
            graphql(cluster.address("router"), headers, CREATE_DEAL, t=f"after kill {i}")
            graphql(cluster.address("router"), headers, DEALS)
    finally:
        cluster.restart(victim)
    # Back in rotation, it serves again.
    before = sessions_by_server(cluster, tier)[victim.name]
    for _ in range(6):
        graphql(cluster.address("router"), headers, DEALS)
    assert sessions_by_server(cluster, tier)[victim.name] > before


def set_tier(cluster: Cluster, tier: str, state: str) -> None:
    """Every process of tier out of rotation (maint) or back into it (ready), by HAProxy's
    admin socket: the balancer then answers the tier's requests with its own 503 page."""
    for member in cluster.tier(tier):
        haproxy.command(cluster.stats_socket, f"set server {tier}/{member.name} state {state}")


def back_in_rotation(cluster: Cluster, tier: str) -> None:
    set_tier(cluster, tier, "ready")
    for member in cluster.tier(tier):
        cluster.wait_status(member, "UP", timeout=30)


def test_a_tier_with_no_process_in_rotation_is_service_unavailable(
    cluster: Cluster, world: tuple[dict[str, str], dict[str, str]]
) -> None:
    """The balancer's 503 page for the deals tier (what every process failing /readyz while
    PostgreSQL is down gives, found by make chaos) reaches the client as SERVICE_UNAVAILABLE
    with HTTP 503 and Retry-After, not as INTERNAL_SERVER_ERROR."""
    headers = world[0]
    set_tier(cluster, "deals", "maint")
    try:
        response = httpx.post(cluster.address("router"), json={"query": DEALS},
                              headers=headers, timeout=30)  # fmt: skip
    finally:
        back_in_rotation(cluster, "deals")
    assert response.status_code == 503, response.text
    assert response.headers.get("retry-after") == "5", response.headers
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["SERVICE_UNAVAILABLE"], errors
    assert errors[0]["extensions"]["retryAfter"] == 5
    graphql(cluster.address("router"), headers, DEALS)


def test_a_subscription_made_while_its_tier_is_out_of_rotation_is_never_silent(
    cluster: Cluster, world: tuple[dict[str, str], dict[str, str]]
) -> None:
    """Subscribed while no deals process is in rotation, then the processes come back: the
    subscription either ends with an error (the client subscribes again) or delivers the
    events made afterwards. Seen in make chaos: subscriptions acknowledged just as
    PostgreSQL came back received nothing until their router restarted."""
    headers, ids = world
    deal = graphql(cluster.address("router"), headers, CREATE_DEAL, t="watched late")
    deal_id = deal["createDeal"]["deal"]["id"]

    async def run() -> dict[str, Any]:
        ws = cluster.address("router").replace("http://", "ws://")
        async with connect(ws, params=headers) as client:
            await asyncio.to_thread(set_tier, cluster, "deals", "maint")
            try:
                sub = await client.subscribe(CHANGES, {"p": ids["pipeline"]})
                await asyncio.sleep(1.0)
            finally:
                await asyncio.to_thread(back_in_rotation, cluster, "deals")
            for stage in ("Qualification", "Proposal", "Negotiation", "Qualification"):
                await asyncio.to_thread(graphql, cluster.address("router"), headers, MOVE,
                                        d=deal_id, s=ids[stage])  # fmt: skip
                try:
                    message = await asyncio.wait_for(client.receive(), timeout=10)
                except TimeoutError:
                    continue
                assert message["id"] == sub, message
                return dict(message)
        raise AssertionError("the subscription stayed silent: no event, no error")

    message = asyncio.run(run())
    assert message["type"] in ("next", "error"), message  # a bare complete says nothing
    if message["type"] == "next" and not message["payload"].get("errors"):
        assert message["payload"]["data"]["dealStageChanged"]["deal"]["id"] == deal_id
    else:  # an error the client acts on: SERVICE_UNAVAILABLE, then it subscribes again
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", message


def test_workers_share_the_outbox_and_deliver_each_event_once(
    cluster: Cluster, world: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers = world[0]
    receiver = Receiver(secret=SECRET)
    receiver.start()
    try:
        body = {"url": f"{receiver.url}/hook", "events": ["deal.created"],
                "security": {"secret": SECRET}}  # fmt: skip
        created = httpx.post(f"{cluster.address('rest')}/api/v1/webhooks", json=body,
                             headers=headers, timeout=30)  # fmt: skip
        assert created.status_code == 201, created.text
        ids = {
            graphql(cluster.address("router"), headers, CREATE_DEAL, t=f"d{i}")["createDeal"][
                "deal"]["id"]
            for i in range(20)
        }  # fmt: skip
        got = receiver.wait_for("/hook", count=len(ids), timeout=60)
        time.sleep(3)  # a second delivery of any of them would come now
    finally:
        receiver.stop()
    events = [r.json["event_id"] for r in receiver.at("/hook")]
    assert len(events) == len(set(events)) == len(ids), (len(events), len(set(events)))
    assert {r.json["data"]["deal"]["id"] for r in got} == ids
    assert all(r.verified for r in got)
    assert all(w.process.poll() is None for w in cluster.tier("worker"))
