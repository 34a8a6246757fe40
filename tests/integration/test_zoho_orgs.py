"""Registering Zoho organisations: tenant admins over REST, operators with `crmgraph zoho
add-org`; a registered org's webhooks are accepted with its keys, a deleted one's are 401."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.rest.app import create_rest_app
from crmgraph.runtime import Runtime
from crmgraph.zoho import orgs
from tests.identity_provider import IdentityProvider
from tests.integration import test_zoho_desk_webhooks as desk_tests

DATA = Path(__file__).parents[1] / "data" / "zoho"
CRMGRAPH = str(Path(sys.executable).parent / "crmgraph")


def signed(org_id: str, secret: str) -> tuple[bytes, dict[str, str]]:
    body = (DATA / "spec000_contact_created.json").read_bytes()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "content-type": "application/json",
        "X-Zoho-Org-Id": org_id,
        "X-Zoho-Signature": f"sha256={signature}",
    }


async def test_tenant_admins_register_list_and_delete_orgs(
    pg_settings: Settings, identity_provider: IdentityProvider, tenant: str
) -> None:
    admin = {
        "Authorization": "Bearer "
        + identity_provider.token(tenant_id=tenant, user_roles=["tenant_admin"])
    }
    rep = {
        "Authorization": "Bearer "
        + identity_provider.token(tenant_id=tenant, user_roles=["sales_rep"])
    }
    org_id = f"org{uuid.uuid4().int % 10**12}"
    runtime = await Runtime.open(pg_settings)
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            refused = await client.post("/api/v1/zoho/orgs", json={"org_id": org_id}, headers=rep)
            created = await client.post("/api/v1/zoho/orgs", json={"org_id": org_id}, headers=admin)
            again = await client.post("/api/v1/zoho/orgs", json={"org_id": org_id}, headers=admin)
            listed = await client.get("/api/v1/zoho/orgs", headers=admin)
            secret = created.json()["data"]["secret"]
            body, headers = signed(org_id, secret)
            accepted = await client.post("/webhooks/zoho/crm", content=body, headers=headers)
            deleted = await client.delete(f"/api/v1/zoho/orgs/{org_id}", headers=admin)
            body, headers = signed(org_id, secret)
            after = await client.post(
                "/webhooks/zoho/crm", content=body.replace(b"wh_abc", b"wh_new"), headers=headers
            )
    finally:
        await runtime.close()

    assert refused.status_code == 403
    assert created.status_code == 201, created.text
    assert len(secret) == 48 and secret.isalnum()  # made for it, as Zoho's field takes it
    assert again.status_code == 409
    assert listed.json()["data"] == [
        {
            "org_id": org_id,
            "tenant_id": tenant,
            "has_secret": True,
            "token_count": 0,
            "has_oauth_client": False,
            "desk_jwks": None,
            "desk_webhook_ids": [],
            "created_at": created.json()["data"]["created_at"],
        }
    ]
    assert secret not in listed.text
    assert accepted.status_code == 202, accepted.text
    assert deleted.status_code == 200
    assert after.status_code == 401


async def test_cli_add_org_registers_an_org_whose_webhooks_are_accepted(
    pg_settings: Settings, tenant: str
) -> None:
    org_id = f"org{uuid.uuid4().int % 10**12}"
    env = {**os.environ, "DATABASE_URL": pg_settings.database_url}

    made = await asyncio.to_thread(
        subprocess.run,
        [CRMGRAPH, "zoho", "add-org", org_id, "--tenant", tenant, "--token", "crm-token-000001"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    twice = await asyncio.to_thread(
        subprocess.run,
        [CRMGRAPH, "zoho", "add-org", org_id, "--tenant", tenant, "--secret", "s" * 20],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert len(secret) == 48
    assert twice.returncode == 2 and "registered already" in twice.stderr
    assert "Traceback" not in twice.stderr
    runtime = await Runtime.open(pg_settings)
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            body, headers = signed(org_id, secret)
            form = {"org_id": org_id, "token": "crm-token-000001", "module": "Leads", "id": "1"}
            by_secret = await client.post("/webhooks/zoho/crm", content=body, headers=headers)
            by_token = await client.post("/webhooks/zoho/crm", data=form)
    finally:
        await runtime.close()

    assert (by_secret.status_code, by_token.status_code) == (202, 200)


async def test_desk_jwks_is_registered_by_the_cli_and_only_as_a_url_over_rest(
    pg_settings: Settings, identity_provider: IdentityProvider, tenant: str, tmp_path: Path
) -> None:
    org_id = f"{uuid.uuid4().int % 10**12}"
    jwks = desk_tests.write_jwks(tmp_path / "desk-jwks.json")
    env = {**os.environ, "DATABASE_URL": pg_settings.database_url}
    made = await asyncio.to_thread(
        subprocess.run,
        [CRMGRAPH, "zoho", "add-org", org_id, "--tenant", tenant, "--desk-jwks", str(jwks),
         "--desk-webhook-id", desk_tests.WEBHOOK_ID, "--desk-webhook-id", "1892000000123002"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    admin = {"Authorization": "Bearer "
             + identity_provider.token(tenant_id=tenant, user_roles=["tenant_admin"])}  # fmt: skip
    runtime = await Runtime.open(pg_settings)
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:
            accepted = await client.post(
                "/webhooks/zoho/desk",
                content=desk_tests.desk_body("desk_ticket_add.json", org_id),
                headers={"X-ZDesk-JWT": desk_tests.desk_token(org_id)},
            )
            other_webhook = await client.post(
                "/webhooks/zoho/desk",
                content=desk_tests.desk_body("desk_ticket_update_delete.json", org_id),
                headers={"X-ZDesk-JWT": desk_tests.desk_token(org_id, webhook="1892000000123003")},
            )
            a_file = await client.post(
                "/api/v1/zoho/orgs",
                json={"org_id": f"x{org_id}", "desk_jwks": str(jwks)},
                headers=admin,
            )
            a_url = await client.post(
                "/api/v1/zoho/orgs",
                json={"org_id": f"y{org_id}", "desk_jwks": "https://desk.example/jwks",
                      "desk_webhook_ids": ["1892000000777001", "1892000000777002"]},
                headers=admin,
            )  # fmt: skip
            bad_id = await client.post(
                "/api/v1/zoho/orgs",
                json={"org_id": f"z{org_id}", "desk_webhook_ids": ["webhookId:1 2"]},
                headers=admin,
            )
            listed = await client.get("/api/v1/zoho/orgs", headers=admin)
    finally:
        await runtime.close()

    assert accepted.status_code == 200, accepted.text
    assert other_webhook.status_code == 401, other_webhook.text
    assert a_file.status_code == 400  # a tenant admin may not point the server at its files
    assert a_url.status_code == 201, a_url.text
    assert bad_id.status_code == 400, bad_id.text
    assert bad_id.json()["errors"][0]["field"] == "desk_webhook_ids"
    shown = {org["org_id"]: org for org in listed.json()["data"]}
    assert f"z{org_id}" not in shown  # refused: nothing stored
    assert (shown[org_id]["desk_jwks"], shown[org_id]["desk_webhook_ids"]) == (
        str(jwks), [desk_tests.WEBHOOK_ID, "1892000000123002"])  # fmt: skip
    assert (shown[f"y{org_id}"]["desk_jwks"], shown[f"y{org_id}"]["desk_webhook_ids"]) == (
        "https://desk.example/jwks", ["1892000000777001", "1892000000777002"])  # fmt: skip
    assert a_url.json()["data"]["desk_webhook_ids"] == ["1892000000777001", "1892000000777002"]


async def test_an_oauth_client_is_registered_over_rest_and_never_shown_again(
    pg_settings: Settings, identity_provider: IdentityProvider, tenant: str
) -> None:
    admin = {"Authorization": "Bearer "
             + identity_provider.token(tenant_id=tenant, user_roles=["tenant_admin"])}  # fmt: skip
    org_id = f"{uuid.uuid4().int % 10**12}"
    oauth = {"client_id": "1000.CLIENTID0001", "client_secret": "client-secret-value-0001",
             "refresh_token": "1000.refresh-token-value-0001"}  # fmt: skip
    runtime = await Runtime.open(pg_settings)
    transport = httpx.ASGITransport(app=create_rest_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crmgraph") as client:

            async def register(**body: object) -> httpx.Response:
                return await client.post("/api/v1/zoho/orgs", headers=admin, json=body)

            partial = await register(org_id=org_id, client_id="1000.CLIENTID0001")
            elsewhere = await register(org_id=org_id, **oauth, accounts_url="http://10.0.0.1")
            created = await register(
                org_id=org_id, **oauth, accounts_url="https://accounts.zoho.eu"
            )
            listed = await client.get("/api/v1/zoho/orgs", headers=admin)
        async with runtime.sessions() as session:
            kept = await orgs.find_oauth(session, org_id, scope=Scope(tenant_id=tenant))
    finally:
        await runtime.close()

    assert partial.status_code == 400 and partial.json()["errors"][0]["field"] == "client_secret"
    assert elsewhere.status_code == 400, elsewhere.text
    assert created.status_code == 201, created.text
    for answer in (created, listed):
        assert oauth["client_secret"] not in answer.text
        assert oauth["refresh_token"] not in answer.text
    assert [org["has_oauth_client"] for org in listed.json()["data"]] == [True]
    assert kept == orgs.OAuthClient(**oauth, accounts_url="https://accounts.zoho.eu")
