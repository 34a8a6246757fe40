"""A stage's automation rules over REST (POST/GET /api/v1/pipelines/{id}/stages/{id}/automation):
the API design's example body is stored as given, read back, kept by id, refused whole when
one part is wrong, and written only with pipelines:manage."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from tests.factories import make_pipeline, make_user
from tests.identity_provider import IdentityProvider

# 004's "Stage Automation" request; its user id `user_senior_rep` becomes a real user's id.
EXAMPLE = json.loads((Path(__file__).parents[1] / "data" / "stage_automation_004.json").read_text())


@pytest.fixture
async def shim(pg_settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    runtime = await Runtime.open(pg_settings)
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
        yield runtime, client
    await runtime.close()


@dataclass(frozen=True)
class World:
    pipeline_id: str
    stage_id: str
    body: dict[str, Any]  # 004's example, naming a user of the tenant

    @property
    def path(self) -> str:
        return f"/api/v1/pipelines/{self.pipeline_id}/stages/{self.stage_id}/automation"


async def world(runtime: Runtime, tenant: str) -> World:
    """A pipeline's Proposal stage and 004's body naming a user of the tenant."""
    scope = Scope(tenant_id=tenant)
    async with runtime.sessions() as session, session.begin():
        pipeline, stages = await make_pipeline(session, scope)
        senior = await make_user(session, scope, name="Senior Rep")
    body = copy.deepcopy(EXAMPLE)
    body["rules"][0]["actions"][0]["userId"] = str(senior.id)
    return World(str(pipeline.id), str(stages["Proposal"].id), body)


def bearer(idp: IdentityProvider, tenant: str, role: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + idp.token(tenant_id=tenant, user_roles=[role])}


Setup = tuple[Runtime, httpx.AsyncClient, World]


@pytest.fixture
async def setup(shim: tuple[Runtime, httpx.AsyncClient], tenant: str) -> Setup:
    runtime, client = shim
    return runtime, client, await world(runtime, tenant)


async def stored(runtime: Runtime, stage_id: str) -> Any:
    async with runtime.sessions() as session:
        return await session.scalar(
            select(models.PipelineStage.automation_rules).where(models.PipelineStage.id == stage_id)
        )


async def test_the_designs_example_is_stored_read_back_and_kept_by_id(
    setup: Setup, identity_provider: IdentityProvider, tenant: str
) -> None:
    runtime, client, w = setup
    path, stage_id, body = w.path, w.stage_id, w.body
    manager = bearer(identity_provider, tenant, "sales_manager")

    set_ = await client.post(path, json=body, headers=manager)
    got = await client.get(path, headers=bearer(identity_provider, tenant, "sales_rep"))

    assert set_.status_code == 200, set_.text
    rules = set_.json()["data"]["rules"]
    assert [{k: v for k, v in r.items() if k != "id"} for r in rules] == body["rules"]
    assert got.json()["data"] == {"pipeline_id": w.pipeline_id, "stage_id": stage_id,
                                  "rules": rules}  # fmt: skip
    assert await stored(runtime, stage_id) == rules

    # The rule passed back with its id stays itself; a second one is new.
    second = {"trigger": "stage_exited", "action": "create_task", "parameters": {"title": "Bye"}}
    again = await client.post(path, json={"rules": [rules[0], second]}, headers=manager)
    assert again.status_code == 200, again.text
    kept = again.json()["data"]["rules"]
    assert kept[0] == rules[0] and kept[1]["id"] != rules[0]["id"]

    cleared = await client.post(path, json={"rules": []}, headers=manager)
    assert cleared.json()["data"]["rules"] == [] and await stored(runtime, stage_id) == []


async def test_a_bad_rule_is_refused_whole_naming_the_body_field(
    setup: Setup, identity_provider: IdentityProvider, tenant: str
) -> None:
    runtime, client, w = setup
    path, stage_id, body = w.path, w.stage_id, w.body
    manager = bearer(identity_provider, tenant, "sales_manager")
    assert (await client.post(path, json=body, headers=manager)).status_code == 200
    before = await stored(runtime, stage_id)

    wrong_value = copy.deepcopy(body)
    wrong_value["rules"][0]["conditions"][0]["value"] = "lots"
    unknown_user = copy.deepcopy(body)
    unknown_user["rules"][0]["actions"][0]["userId"] = "user_senior_rep"
    answers = [
        await client.post(path, json=wrong_value, headers=manager),
        await client.post(path, json=unknown_user, headers=manager),
        await client.post(path, json={"rules": [{"trigger": "never"}]}, headers=manager),
        await client.post(path, content=b'{"rules": [', headers=manager),
    ]

    errors = [a.json()["errors"][0] for a in answers]
    assert [a.status_code for a in answers] == [400, 400, 400, 400], errors
    assert [e["code"] for e in errors] == ["VALIDATION_ERROR"] * 4
    assert errors[0]["field"] == "rules.0.conditions.0.value"
    assert errors[1]["field"].startswith("rules.0.actions.0")
    assert errors[2]["field"] == "rules.0.trigger"
    assert await stored(runtime, stage_id) == before


async def test_only_pipelines_manage_writes_and_other_tenants_see_nothing(
    setup: Setup, identity_provider: IdentityProvider, tenant: str
) -> None:
    runtime, client, w = setup
    path, stage_id, body = w.path, w.stage_id, w.body

    rep = await client.post(path, json=body, headers=bearer(identity_provider, tenant, "sales_rep"))
    other = bearer(identity_provider, f"{tenant}x", "tenant_admin")
    foreign_write = await client.post(path, json=body, headers=other)
    foreign_read = await client.get(path, headers=other)
    anonymous = await client.post(path, json=body)

    assert rep.status_code == 403 and rep.json()["errors"][0]["code"] == "FORBIDDEN"
    assert foreign_write.status_code == 404 and foreign_read.status_code == 404
    assert anonymous.status_code == 401
    assert await stored(runtime, stage_id) in (None, [])
