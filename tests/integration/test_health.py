"""/health is readiness: when a dependency goes away, the REST shim and the subgraphs answer
503 "unavailable", still naming nothing. The fault is real: the database is dropped under
a running runtime."""

from __future__ import annotations

import secrets
import uuid

import httpx
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp

from crmgraph.config import Settings
from crmgraph.gql.app import create_subgraph_app
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from subgraphs.registry import load_schema
from tests.conftest import admin


async def get(app: ASGIApp, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
        return await client.get(path)


async def test_health_turns_unavailable_when_the_database_goes_away(pg_settings: Settings) -> None:
    name = f"crmgraph_health_{uuid.uuid4().hex[:10]}"
    await admin(pg_settings, f'CREATE DATABASE "{name}"')
    url = make_url(pg_settings.database_url).set(database=name)
    settings = pg_settings.model_copy(
        update={
            "database_url": url.render_as_string(hide_password=False),
            "router_secret": secrets.token_urlsafe(32),  # subgraphs never run without one
        }
    )
    runtime = await Runtime.open(settings)
    try:
        rest = create_rest_app(runtime)
        deals = create_subgraph_app("deals", load_schema("deals"), runtime)
        before = [await get(rest, "/health"), await get(deals, "/health")]
        await admin(pg_settings, f'DROP DATABASE "{name}" WITH (FORCE)')
        after = [await get(rest, "/health"), await get(deals, "/health")]
    finally:
        await runtime.close()

    assert [r.status_code for r in before] == [200, 200]
    assert [r.status_code for r in after] == [503, 503]
    assert after[0].json()["success"] is False
    assert after[0].json()["data"] == {"status": "unavailable"}
    assert after[1].json() == {"status": "unavailable"}
    assert name not in after[0].text + after[1].text
