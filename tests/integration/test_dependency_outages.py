"""Real outages under real `crmgraph serve` processes, on private servers (the shared ones
serve other test runs): PostgreSQL killed, a request that needs it gets SERVICE_UNAVAILABLE
with retryAfter at once (GraphQL), or 503 with Retry-After (REST), and /readyz says
unavailable; Redis killed, queries still answer, /readyz stays ready, and a new subscription
is refused with SERVICE_UNAVAILABLE and completed instead of waiting in silence; Neo4j
killed, contacts and the account hierarchy still answer and /readyz stays ready."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from crmgraph.config import Settings
from crmgraph.db.engine import create_engine
from crmgraph.db.migrate import upgrade
from tests.e2e.graphql_ws import GraphQLWebSocket, connect
from tests.integration.consumers.neo4j_server import PrivateNeo4j
from tests.integration.consumers.support import PrivateRedis
from tests.ports import free_port
from tests.private_postgres import PrivatePostgres
from tests.processes import Subgraph, token

CONTACTS = "{ contacts(first: 5) { totalCount } }"
UNAVAILABLE = {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5}


@pytest.fixture
async def private_pg(pg_settings: Settings) -> AsyncIterator[tuple[PrivatePostgres, Settings]]:
    server = await asyncio.to_thread(PrivatePostgres)
    try:
        await asyncio.to_thread(server.start)
        settings = pg_settings.model_copy(update={"database_url": server.url})
        await upgrade(settings)
        yield server, settings
    finally:
        await asyncio.to_thread(server.remove)


def bearer(settings: Settings) -> dict[str, str]:
    return {"authorization": f"Bearer {token(settings, f't_{uuid.uuid4().hex[:8]}')}"}


async def test_postgres_down_is_503_with_retry_after_not_a_hang(
    private_pg: tuple[PrivatePostgres, Settings], tmp_path: Path
) -> None:
    server, settings = private_pg
    contacts = Subgraph(settings, "contacts", tmp_path / "contacts.log")
    rest = Subgraph(settings, None, tmp_path / "rest.log")
    auth = bearer(settings)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            query = {"json": {"query": CONTACTS}, "headers": {**contacts.headers, **auth}}
            assert (await client.post(contacts.url, **query)).json() == {
                "data": {"contacts": {"totalCount": 0}}
            }
            await asyncio.to_thread(server.stop)

            started = time.monotonic()
            graphql = await client.post(contacts.url, **query)
            webhooks = await client.get(f"{rest.base}/api/v1/webhooks", headers=auth)
            took = time.monotonic() - started
            readyz = await client.get(f"{contacts.base}/readyz")
            rest_readyz = await client.get(f"{rest.base}/readyz")
            livez = await client.get(f"{contacts.base}/livez")
    finally:
        contacts.stop()
        rest.stop()

    assert took < 10, took
    [error] = graphql.json()["errors"]
    assert error["extensions"] == UNAVAILABLE
    assert error["message"] == "PostgreSQL is unavailable; try again in 5 s"
    assert webhooks.status_code == 503
    assert webhooks.headers["retry-after"] == "5"
    body = webhooks.json()
    assert body["success"] is False
    assert body["errors"][0]["code"] == "SERVICE_UNAVAILABLE"
    assert body["errors"][0]["details"] == {"retryAfter": 5}
    assert (readyz.status_code, readyz.json()) == (503, {"status": "unavailable"})
    assert rest_readyz.status_code == 503
    assert rest_readyz.json()["data"] == {"status": "unavailable"}
    assert livez.status_code == 200


CREATE_CONTACT = """mutation($email: String!) {
  createContact(input: {firstName: "Ada", lastName: "Outage", email: $email}) {
    contact { id } } }"""
CONTACT_UPDATED = "subscription { contactUpdated { id } }"


class Inbox:
    """A WebSocket's messages by operation id: waiting for one loses none of another's."""

    def __init__(self, ws: GraphQLWebSocket) -> None:
        self.ws = ws
        self.by_id: dict[str | None, list[dict[str, Any]]] = defaultdict(list)

    async def until_next(self, id_: str, within: float) -> list[dict[str, Any]]:
        """Messages of id_ up to its next `next`, `complete` or `error`."""
        seen = []
        async with asyncio.timeout(within):
            while True:
                waiting = self.by_id[id_]
                while waiting:
                    seen.append(waiting.pop(0))
                    if seen[-1]["type"] in ("next", "complete", "error"):
                        return seen
                message = await self.ws.receive()
                self.by_id[message.get("id")].append(message)


async def test_postgres_down_a_websocket_refuses_new_operations_and_keeps_its_streams(
    private_pg: tuple[PrivatePostgres, Settings], tmp_path: Path
) -> None:
    """Each operation over a WebSocket, and every open subscription every 1 s here, checks
    the connection's credentials against PostgreSQL (role overrides, not cached here). While
    it is down, a new subscription is refused with SERVICE_UNAVAILABLE and completed (it was
    left unanswered: acknowledged by the router, then silent), and an open one goes on (its
    check ended it with an internal error): after the outage, both it and a new one get the
    next event."""
    server, settings = private_pg
    contacts = Subgraph(settings, "contacts", tmp_path / "contacts.log",
                        CONSUMERS_IN_PROCESS="true", AUTH_CACHE_SECONDS="0",
                        CREDENTIAL_CHECK_SECONDS="1")  # fmt: skip
    auth = bearer(settings)
    try:
        async with (
            httpx.AsyncClient(timeout=30) as client,
            connect(contacts.ws_url, headers=contacts.headers, params=auth) as ws,
        ):

            async def create(email: str) -> str:
                """The contact's id, once PostgreSQL takes the write."""
                query = {"query": CREATE_CONTACT, "variables": {"email": email}}
                deadline = time.monotonic() + 60
                while True:
                    answer = (await client.post(
                        contacts.url, json=query, headers={**contacts.headers, **auth}
                    )).json()  # fmt: skip
                    if "errors" not in answer or time.monotonic() > deadline:
                        return str(answer["data"]["createContact"]["contact"]["id"])
                    await asyncio.sleep(0.5)

            inbox = Inbox(ws)
            open_before = await ws.subscribe(CONTACT_UPDATED)
            await asyncio.sleep(1)  # subscribed to Redis
            first = await create("before@example.com")
            before = await inbox.until_next(open_before, 30)

            await asyncio.to_thread(server.stop)
            during = await ws.subscribe(CONTACT_UPDATED)
            refused = await inbox.until_next(during, 10)
            completed = await inbox.until_next(during, 10)
            await asyncio.sleep(2.5)  # the open subscription's check runs during the outage
            await asyncio.to_thread(server.start)

            second = await create("after@example.com")  # once the process reaches it again
            kept = await inbox.until_next(open_before, 30)
            open_after = await ws.subscribe(CONTACT_UPDATED)
            await asyncio.sleep(1)
            third = await create("later@example.com")
            new = await inbox.until_next(open_after, 30)
            kept_later = await inbox.until_next(open_before, 30)
    finally:
        contacts.stop()

    assert before[-1]["payload"] == {"data": {"contactUpdated": {"id": first}}}
    [error] = refused[-1]["payload"]["errors"]
    assert error["extensions"] == UNAVAILABLE, refused
    assert error["message"] == "PostgreSQL is unavailable; try again in 5 s"
    assert completed == [{"id": during, "type": "complete"}]
    assert kept[-1]["payload"] == {"data": {"contactUpdated": {"id": second}}}, kept
    assert new[-1]["payload"] == {"data": {"contactUpdated": {"id": third}}}, new
    assert kept_later[-1]["payload"] == {"data": {"contactUpdated": {"id": third}}}


async def test_redis_down_queries_answer_and_subscriptions_are_refused(
    pg_settings: Settings, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    settings = pg_settings.model_copy(update={"redis_url": private_redis.url})
    contacts = Subgraph(settings, "contacts", tmp_path / "contacts.log")
    auth = bearer(settings)
    try:
        private_redis.stop()
        await asyncio.sleep(0.5)  # the process's bus notices the connection gone
        async with httpx.AsyncClient(timeout=30) as client:
            query = {"json": {"query": CONTACTS}, "headers": {**contacts.headers, **auth}}
            answer = await client.post(contacts.url, **query)
            readyz = await client.get(f"{contacts.base}/readyz")
            health = await client.get(f"{contacts.base}/health")
        async with connect(contacts.ws_url, headers=contacts.headers, params=auth) as ws:
            sent = await ws.subscribe("subscription { contactUpdated { id } }")
            async with asyncio.timeout(10):
                first = await ws.receive()
                second = await ws.receive()
    finally:
        contacts.stop()

    assert answer.json() == {"data": {"contacts": {"totalCount": 0}}}
    assert (readyz.status_code, readyz.json()) == (200, {"status": "ok"})
    assert (health.status_code, health.json()) == (503, {"status": "unavailable"})
    assert first["type"] == "next" and first["id"] == sent
    [error] = first["payload"]["errors"]
    assert error["extensions"] == UNAVAILABLE
    assert error["message"] == "Redis is unavailable; try again in 5 s"
    assert second == {"id": sent, "type": "complete"}


HIERARCHY = "query($id: ID!) { accountHierarchy(accountId: $id) { children { name } } }"
CREATE = """mutation($name: String!, $parent: ID) {
  createAccount(input: {name: $name, parentAccountId: $parent}) { account { id } } }"""
PROJECTING = """SELECT count(*) FROM outbox_deliveries
    WHERE consumer = 'graph-projection' AND state = 'pending'"""


@pytest.mark.timeout(480)  # a private Neo4j takes minutes to start on a loaded machine
async def test_neo4j_down_contacts_and_hierarchy_still_answer(
    own_pg_settings: Settings, tmp_path: Path
) -> None:
    """The graph's questions fall back to SQL (README, The graph), so a process stays ready
    (/readyz) and answers, though /health says a dependency is down."""
    with PrivateNeo4j(tmp_path) as neo4j:
        settings = own_pg_settings.model_copy(update={"neo4j_uri": neo4j.uri})
        # The accounts process runs the consumers: the projection gets the accounts.
        accounts = Subgraph(settings, "accounts", tmp_path / "accounts.log",
                            CONSUMERS_IN_PROCESS="true")  # fmt: skip
        contacts = Subgraph(settings, "contacts", tmp_path / "contacts.log")
        auth = bearer(settings)
        try:
            async with httpx.AsyncClient(timeout=30) as client:

                async def ask(where: Subgraph, query: str, **variables: str | None) -> object:
                    answer = await client.post(
                        where.url, json={"query": query, "variables": variables},
                        headers={**where.headers, **auth},
                    )  # fmt: skip
                    return answer.json()

                made = await ask(accounts, CREATE, name="Parent", parent=None)
                parent = made["data"]["createAccount"]["account"]["id"]  # type: ignore[index]
                await ask(accounts, CREATE, name="Child", parent=parent)
                await wait_for(PROJECTING, settings, want=0)
                before = await ask(accounts, HIERARCHY, id=parent)
                neo4j.stop()
                hierarchy = await ask(accounts, HIERARCHY, id=parent)
                listed = await ask(contacts, CONTACTS)
                readyz = await client.get(f"{accounts.base}/readyz")
                health = await client.get(f"{accounts.base}/health")
        finally:
            accounts.stop()
            contacts.stop()

    children = {"data": {"accountHierarchy": {"children": [{"name": "Child"}]}}}
    assert before == children
    assert hierarchy == children
    assert listed == {"data": {"contacts": {"totalCount": 0}}}
    assert (readyz.status_code, readyz.json()) == (200, {"status": "ok"})
    assert (health.status_code, health.json()) == (503, {"status": "unavailable"})


async def wait_for(sql: str, settings: Settings, want: int, within: float = 90) -> None:
    engine = create_engine(settings)
    try:
        async with asyncio.timeout(within):
            while True:
                async with engine.connect() as conn:
                    if (await conn.execute(text(sql))).scalar() == want:
                        return
                await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def test_a_process_starts_while_neo4j_is_down(
    own_pg_settings: Settings, tmp_path: Path
) -> None:
    """A restart during a Neo4j outage (a chaos run saw Neo4j take 150-225 s to come back)
    does not keep a process down for it: it starts, is ready, and answers contacts and the
    account hierarchy from PostgreSQL; /health still says Neo4j is down."""
    nothing = free_port()  # no Neo4j listens here
    settings = own_pg_settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{nothing}"})
    accounts = Subgraph(settings, "accounts", tmp_path / "accounts.log")
    auth = bearer(settings)
    try:
        async with httpx.AsyncClient(timeout=30) as client:

            async def ask(query: str, **variables: str | None) -> object:
                answer = await client.post(
                    accounts.url, json={"query": query, "variables": variables},
                    headers={**accounts.headers, **auth},
                )  # fmt: skip
                return answer.json()

            made = await ask(CREATE, name="Parent", parent=None)
            parent = made["data"]["createAccount"]["account"]["id"]  # type: ignore[index]
            await ask(CREATE, name="Child", parent=parent)
            hierarchy = await ask(HIERARCHY, id=parent)
            readyz = await client.get(f"{accounts.base}/readyz")
            health = await client.get(f"{accounts.base}/health")
    finally:
        accounts.stop()
    assert hierarchy == {"data": {"accountHierarchy": {"children": [{"name": "Child"}]}}}
    assert (readyz.status_code, readyz.json()) == (200, {"status": "ok"})
    assert health.status_code == 503
