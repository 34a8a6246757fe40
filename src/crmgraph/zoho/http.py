"""Calling Zoho's APIs (accounts server, CRM REST API): where Zoho is, and what its failures
mean. A network failure, a timeout, 429 or 5xx is a TransientFailure (retried for as long as
it lasts, never a dead letter); an answer we cannot use is ZohoRefused (an ordinary failure,
retried and then a dead letter to replay once its cause is fixed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from crmgraph.errors import TransientFailure

API_VERSION = "v8"


class ZohoRefused(Exception):
    """Zoho refused the call in a way that retrying right away does not fix."""


@dataclass(frozen=True)
class Endpoints:
    """Where Zoho is when the organisation does not say (Settings.zoho_*)."""

    accounts_url: str
    api_domain: str
    timeout: float


async def call(request: Any, what: str) -> httpx.Response:
    """Await an httpx request; a network failure or timeout is transient."""
    try:
        response: httpx.Response = await request
    except httpx.HTTPError as exc:
        raise TransientFailure(f"Zoho {what} failed: {type(exc).__name__}: {exc}") from exc
    return response


def transient(answer: httpx.Response, what: str) -> None:
    if answer.status_code == 429 or answer.status_code >= 500:
        raise TransientFailure(f"Zoho {what} answered HTTP {answer.status_code}")


def json_of(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def code_of(answer: httpx.Response) -> str | None:
    """Zoho's error code: {"code": ...}, or the first of {"data": [{"code": ...}]}."""
    body = json_of(answer)
    code = body.get("code")
    data = body.get("data")
    if code is None and isinstance(data, list) and data and isinstance(data[0], dict):
        code = data[0].get("code")
    return code if isinstance(code, str) else None
