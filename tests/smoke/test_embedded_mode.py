"""Embedded mode (SQLite, in-memory pub/sub, SQL graph adapter) with the demo data, through
the real router: what `make run` gives a newcomer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from crmgraph.config import DEV_JWT_SECRET, Settings
from crmgraph.db.migrate import upgrade
from crmgraph.demo import CONTACTS, DEALS, load_demo
from tests.stack import Stack

QUERY = "{ deals(first: 5) { edges { node { title contact { fullName account { name } } } } } }"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("embedded")
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{workdir}/crmgraph.db",
        redis_url="memory://",
        neo4j_uri=None,
        anonymous_tenant="demo",
        jwt_secret=DEV_JWT_SECRET,
    )
    asyncio.run(upgrade(settings))
    stack = Stack(settings, workdir=workdir)
    stack.start()
    assert stack.call(lambda: load_demo(stack.runtime.sessions)) is True
    yield stack
    stack.stop()


def test_demo_deals_through_router_without_token(embedded: Stack) -> None:
    accounts = {last: account for _, last, _, account in CONTACTS}
    firsts = {last: first for first, last, _, _ in CONTACTS}
    expected = [
        {
            "node": {
                "title": title,
                "contact": {
                    "fullName": f"{firsts[last]} {last}",
                    "account": {"name": accounts[last]},
                },
            }
        }
        for title, _, _, last in DEALS[:5]
    ]

    body = embedded.graphql(QUERY).json()

    assert body == {"data": {"deals": {"edges": expected}}}


def test_demo_loads_once(embedded: Stack) -> None:
    assert embedded.call(lambda: load_demo(embedded.runtime.sessions)) is False


def test_health_reports_embedded_backends_to_a_system_admin(embedded: Stack) -> None:
    import httpx

    # Without a token the demo acts as a tenant admin, which sees only the status.
    plain = httpx.get(f"{embedded.rest_url}/health").json()
    admin = embedded.token("demo", roles=("system_admin",))
    body = httpx.get(
        f"{embedded.rest_url}/health/details", headers={"authorization": f"Bearer {admin}"}
    ).json()

    assert plain["data"] == {"status": "ok"}
    assert body["success"] is True
    assert body["data"]["mode"] == "embedded"
    assert {k: v["status"] for k, v in body["data"]["services"].items()} == {
        "database": "up",
        "pubsub": "up",
        "graph": "up",
    }
