"""POST /webhooks/zoho/desk on the REST shim with the test database: a Desk batch verified by
its X-ZDesk-JWT (against a JWKS file registered for the organisation) is stored with one
outbox event per event and answered 200; a forged token, or one for a Desk webhook the
organisation has not registered, is 401 and stores nothing; a repeat
is 200 and stores nothing; Desk's GET check of the URL is 200."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.rest.app import create_rest_app
from crmgraph.zoho import orgs
from tests.integration.test_zoho_webhooks import Shim, open_runtime

DATA = Path(__file__).parents[1] / "data" / "zoho"
KID = "desk-key-1"
WEBHOOK_ID = "1892000000123001"  # the Desk webhook the organisation registers
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_jwks(path: Path) -> Path:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    path.write_text(json.dumps({"keys": [{**public, "kid": KID, "alg": "RS256"}]}))
    return path


def desk_token(org_id: str, key: Any = KEY, webhook: str = WEBHOOK_ID) -> str:
    now = int(time.time())
    claims = {"iss": f"orgId:{org_id}", "aud": f"webhookId:{webhook}", "iat": now,
              "exp": now + 300}  # fmt: skip
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def desk_body(name: str, org_id: str) -> bytes:
    events = json.loads((DATA / name).read_text())
    return json.dumps([{**event, "orgId": org_id} for event in events]).encode()


@pytest.fixture(params=["postgresql", "sqlite"])
async def shim(
    request: pytest.FixtureRequest, pg_settings: Settings, tenant: str, tmp_path: Path
) -> AsyncIterator[Shim]:
    """The REST shim with a Desk organisation whose JWKS is a file."""
    runtime = await open_runtime(request.param, pg_settings, tmp_path)
    org_id = f"{uuid.uuid4().int % 10**12}"
    jwks = write_jwks(tmp_path / "desk-jwks.json")
    async with runtime.sessions() as session, session.begin():
        await orgs.add_org(session, scope=Scope(tenant_id=tenant), org_id=org_id,
                           secret=None, desk_jwks=str(jwks),
                           desk_webhook_ids=[WEBHOOK_ID])  # fmt: skip
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            yield Shim(client, runtime, tenant, org_id)
    finally:
        await runtime.close()


async def post(shim: Shim, body: bytes, token: str) -> httpx.Response:
    headers = {"content-type": "application/json", "X-ZDesk-JWT": token}
    return await shim.client.post("/webhooks/zoho/desk", content=body, headers=headers)


async def test_a_desk_batch_is_stored_with_its_outbox_events_and_answered_200(
    shim: Shim,
) -> None:
    body = desk_body("desk_ticket_update_delete.json", shim.org_id)
    answer = await post(shim, body, desk_token(shim.org_id))
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["event_ids"]) == 2
    assert await shim.counts() == (2, 2)
    rows = await shim.rows()
    assert {(r.zoho_module, r.operation, r.source_format) for r in rows} == {
        ("Tickets", "update", "desk"), ("Contacts", "delete", "desk")}  # fmt: skip


async def test_a_repeated_desk_delivery_is_200_and_stores_nothing(shim: Shim) -> None:
    body = desk_body("desk_ticket_add.json", shim.org_id)
    assert (await post(shim, body, desk_token(shim.org_id))).status_code == 200
    again = await post(shim, body, desk_token(shim.org_id))
    assert again.status_code == 200
    assert again.json()["message"] == "Webhook already processed"
    assert await shim.counts() == (1, 1)


@pytest.mark.parametrize("case", ["forged", "other-org", "missing", "unregistered-webhook"])
async def test_an_unverified_desk_token_is_401_and_stores_nothing(shim: Shim, case: str) -> None:
    body = desk_body("desk_ticket_add.json", shim.org_id)
    token = {"forged": desk_token(shim.org_id, key=FORGER), "other-org": desk_token("42"),
             "missing": "",
             "unregistered-webhook": desk_token(shim.org_id, webhook="1892000000999999"),
             }[case]  # fmt: skip
    answer = await post(shim, body, token)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "UNAUTHORIZED"
    assert await shim.counts() == (0, 0)


async def test_desks_check_of_a_new_url_is_200(shim: Shim) -> None:
    answer = await shim.client.get("/webhooks/zoho/desk")
    assert answer.status_code == 200
    assert answer.json() == {"success": True}
