"""What the outbound webhook tests share: the receiver's secret, fast retries, and
registering a webhook over REST as a tenant admin."""

from __future__ import annotations

from typing import Any

import httpx

from tests.stack import Stack

SECRET = "whsec_e2e_receiver_secret_0123"
FAST = {"retry_delay_seconds": 0.2, "timeout_seconds": 5}


def admin(stack: Stack, tenant: str, **token: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {stack.token(tenant, **token)}"}


def register(stack: Stack, tenant: str, url: str, **body: Any) -> dict[str, Any]:
    sent = {"events": ["deal.stage_changed"], "security": {"secret": SECRET},
            "retry_config": FAST, **body}  # fmt: skip
    response = httpx.post(f"{stack.rest_url}/api/v1/webhooks", json={"url": url, **sent},
                          headers=admin(stack, tenant))  # fmt: skip
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["data"]
    return created
