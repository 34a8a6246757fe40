"""What the chaos load works in, made before the load starts: a tenant with a pipeline whose
stages carry automation rules (a task per deal created, a task per entry into Won), a Zoho
organisation whose signed webhooks the shim accepts, and an outbound webhook subscription to
contact.created that delivers to the local receiver."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx

from tests.webhook_receiver import Receiver

TENANT = "chaos"
ORG_ID = "chaos-org-1"
ZOHO_SECRET = "chaos-zoho-webhook-secret-0123456789"
RECEIVER_SECRET = "whsec_chaos-receiver-secret-0123456789"
FAILING_DELIVERIES = 20
CREATED_TASK = "chaos: deal created"
ENTERED_TASK = "chaos: entered Won"
PIPELINE = """mutation($stages: [StageInput!]!) {
  createPipeline(input: {name: "Chaos", stages: $stages}) {
    pipeline { id stages { id name } } } }"""


def _rule(trigger: str, title: str) -> dict[str, Any]:
    return {"trigger": trigger, "action": "create_task", "parameters": {"title": title}}


@dataclass
class World:
    pipeline: str
    stages: dict[str, str]  # name -> id
    webhook: str
    receiver: Receiver


def graphql(url: str, token: str, query: str, **variables: Any) -> Any:
    answer = httpx.post(
        url,
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=60,
    )
    body = answer.json()
    if body.get("errors"):
        raise RuntimeError(f"setup failed: {body['errors']}")
    return body["data"]


def make_world(router_url: str, rest_url: str, token: str, env: dict[str, str]) -> World:
    stages = [
        {
            "name": "Open",
            "order": 1,
            "probability": 10,
            "automationRules": [_rule("deal_created", CREATED_TASK)],
        },
        {
            "name": "Won",
            "order": 2,
            "probability": 100,
            "automationRules": [_rule("stage_entered", ENTERED_TASK)],
        },
    ]
    made = graphql(router_url, token, PIPELINE, stages=stages)["createPipeline"]["pipeline"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crmgraph.cli",
            "zoho",
            "add-org",
            ORG_ID,
            "--tenant",
            TENANT,
            "--secret",
            ZOHO_SECRET,
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    # The first deliveries fail, so retries (and their backoff) are part of every run.
    receiver = Receiver(RECEIVER_SECRET, script={"/hook": [503] * FAILING_DELIVERIES})
    receiver.start()
    registered = httpx.post(
        f"{rest_url}/api/v1/webhooks",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "url": f"{receiver.url}/hook",
            "events": ["contact.created"],
            "security": {"secret": RECEIVER_SECRET},
            "retry_config": {
                "max_retries": 10,
                "retry_delay_seconds": 1,
                "timeout_seconds": 5,
                "disable_after_failures": 1000,
            },
        },
        timeout=60,
    )
    if registered.status_code != 201:
        raise RuntimeError(f"webhook registration: {registered.status_code} {registered.text}")
    return World(
        made["id"],
        {s["name"]: s["id"] for s in made["stages"]},
        registered.json()["data"]["id"],
        receiver,
    )
