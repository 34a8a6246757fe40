"""Stored secrets are encrypted in PostgreSQL while the stack still signs and verifies with
them: an outbound delivery checked by a real receiver, a signed 000 Zoho webhook accepted.
Rows written in plaintext before (legacy) still work and `crmgraph secrets reencrypt` seals
them."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from crmgraph.secrets_at_rest import PREFIX, Keyring
from tests.e2e.test_webhooks_out import receiver  # noqa: F401 (a fixture)
from tests.e2e.webhook_support import SECRET, admin, register
from tests.stack import Stack
from tests.webhook_receiver import Receiver

DATA = Path(__file__).parents[1] / "data" / "zoho"
ZOHO_SECRET = "zoho-org-secret-at-rest-0123456789"
ZOHO_TOKEN = "zoho-token-at-rest-0001"


def sql(stack: Stack, statement: str, **params: Any) -> list[Any]:
    async def run() -> list[Any]:
        async with stack.runtime.sessions() as session, session.begin():
            result = await session.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    return stack.call(run)


def ping(stack: Stack, tenant: str, hook_id: str) -> dict[str, Any]:
    response = httpx.post(f"{stack.rest_url}/api/v1/webhooks/{hook_id}/test",
                          headers=admin(stack, tenant))  # fmt: skip
    assert response.status_code == 200, response.text
    attempt: dict[str, Any] = response.json()["data"]
    return attempt


def keyring(stack: Stack) -> Keyring:
    return Keyring(stack.runtime.settings.secrets_keys)


def test_a_webhook_secret_is_stored_encrypted_and_still_signs(
    stack: Stack,
    tenant: str,
    receiver: Receiver,  # noqa: F811
) -> None:
    hook = register(stack, tenant, f"{receiver.url}/sealed")

    attempt = ping(stack, tenant, hook["id"])

    [(stored,)] = sql(stack, "SELECT secret FROM webhook_subscriptions WHERE id = :id",
                      id=uuid.UUID(hook["id"]))  # fmt: skip
    assert SECRET not in stored and stored.startswith(PREFIX)
    assert keyring(stack).open(stored) == SECRET
    assert attempt["status"] == "succeeded"
    assert receiver.at("/sealed")[0].verified


def test_zoho_secrets_and_tokens_are_stored_encrypted_and_a_signed_000_is_accepted(
    stack: Stack, tenant: str
) -> None:
    org_id = f"org{uuid.uuid4().int % 10**12}"
    registered = httpx.post(
        f"{stack.rest_url}/api/v1/zoho/orgs",
        json={"org_id": org_id, "secret": ZOHO_SECRET, "tokens": [ZOHO_TOKEN]},
        headers=admin(stack, tenant),
    )
    assert registered.status_code == 201, registered.text
    body = json.loads((DATA / "spec000_contact_created.json").read_text())
    raw = json.dumps({**body, "org_id": org_id}).encode()
    signature = hmac.new(ZOHO_SECRET.encode(), raw, hashlib.sha256).hexdigest()

    accepted = httpx.post(f"{stack.rest_url}/webhooks/zoho/crm", content=raw, headers={
        "content-type": "application/json", "X-Zoho-Signature": f"sha256={signature}",
        "X-Zoho-Org-Id": org_id})  # fmt: skip
    forged = httpx.post(f"{stack.rest_url}/webhooks/zoho/crm", content=raw, headers={
        "content-type": "application/json", "X-Zoho-Signature": f"sha256={'0' * 64}",
        "X-Zoho-Org-Id": org_id})  # fmt: skip

    [(secret, tokens)] = sql(stack, "SELECT secret, tokens::text FROM zoho_orgs "
                             "WHERE org_id = :o", o=org_id)  # fmt: skip
    assert ZOHO_SECRET not in secret and ZOHO_TOKEN not in tokens
    assert keyring(stack).open(secret) == ZOHO_SECRET
    assert [keyring(stack).open(t) for t in json.loads(tokens)] == [ZOHO_TOKEN]
    assert accepted.status_code == 202, accepted.text
    assert forged.status_code == 401


def test_a_legacy_plaintext_secret_still_signs_until_reencrypt_seals_it(
    stack: Stack,
    tenant: str,
    receiver: Receiver,  # noqa: F811
) -> None:
    hook_id = uuid.UUID(register(stack, tenant, f"{receiver.url}/legacy")["id"])
    sql(stack, "UPDATE webhook_subscriptions SET secret = :s WHERE id = :id", s=SECRET, id=hook_id)

    before = ping(stack, tenant, str(hook_id))
    cli = [str(Path(sys.executable).parent / "crmgraph"), "secrets", "reencrypt"]
    env = {**os.environ, "DATABASE_URL": stack.settings.database_url}
    done = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60)
    after = ping(stack, tenant, str(hook_id))

    assert done.returncode == 0, done.stderr
    assert "webhook_subscriptions:" in done.stdout and "zoho_orgs:" in done.stdout
    [(stored,)] = sql(stack, "SELECT secret FROM webhook_subscriptions WHERE id = :id", id=hook_id)
    assert stored.startswith(PREFIX) and SECRET not in stored
    assert (before["status"], after["status"]) == ("succeeded", "succeeded")
    assert [r.verified for r in receiver.at("/legacy")] == [True, True]
