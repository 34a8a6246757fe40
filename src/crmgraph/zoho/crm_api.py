"""Zoho CRM's REST API, as the zoho-mapper needs it: records of one module by their ids.

Access tokens come from the organisation's refresh token (POST {accounts}/oauth/v2/token,
grant_type=refresh_token) and are cached per organisation, in this process, until a minute
before they expire, and only for the OAuth client they were made with (a client changed in
place, crmgraph.zoho.orgs.change_oauth, gets a token of its own at once); one the API
refuses (401 INVALID_TOKEN: revoked, or expired early) is replaced once. Records are read
from the api_domain the token call answers (Zoho's data centre of the org:
https://www.zohoapis.eu, ...), else Settings.zoho_api_domain, up to MAX_IDS at a time:
GET {api_domain}/crm/v8/{Module}?ids=a,b,c with `Authorization: Zoho-oauthtoken <token>`,
answered {"data": [record, ...]} with the records Zoho has (204 when it has none of them).

What can fail:
- Zoho unreachable, a timeout, 429 or 5xx: TransientFailure (the event is retried with the
  consumer's backoff for as long as it lasts, never dropped);
- the token call refused (a revoked refresh token, a wrong client secret) or any other
  answer we cannot use: ZohoRefused, an ordinary failure (retried, then a dead letter that
  `crmgraph webhooks replay` runs again once the credentials are fixed).
A record Zoho no longer has (left out of the answer, 204, or 400/404 INVALID_DATA for a
single id) is None: gone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from crmgraph.errors import TransientFailure
from crmgraph.zoho.orgs import OAuthClient

API_VERSION = "v8"
MAX_IDS = 100  # Zoho's limit on the ids of one Get Records call
EXPIRY_MARGIN = 60.0  # seconds: a token this close to expiring is replaced before use


class ZohoRefused(Exception):
    """Zoho refused the call in a way that retrying right away does not fix."""


@dataclass(frozen=True)
class AccessToken:
    value: str
    api_domain: str
    expires_at: float  # time.monotonic()
    client: OAuthClient  # what it was made with: never used with another client


@dataclass(frozen=True)
class Endpoints:
    """Where Zoho is when the organisation does not say (Settings.zoho_*)."""

    accounts_url: str
    api_domain: str
    timeout: float


class ZohoCrmApi:
    """Reads Zoho CRM records for any organisation; one per consumer, its tokens cached."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self._tokens: dict[str, AccessToken] = {}

    async def records(
        self, org_id: str, oauth: OAuthClient, module: str, ids: Sequence[str]
    ) -> dict[str, dict[str, Any] | None]:
        """Each id's record as Zoho's API names its fields, or None when Zoho has no such
        record; one GET per MAX_IDS ids."""
        found: dict[str, dict[str, Any] | None] = {}
        unique = list(dict.fromkeys(ids))
        async with httpx.AsyncClient(timeout=self.endpoints.timeout) as client:
            for start in range(0, len(unique), MAX_IDS):
                chunk = unique[start : start + MAX_IDS]
                token = await self._token(client, org_id, oauth)
                answer = await self._get(client, token, module, chunk)
                if answer.status_code == 401 and code_of(answer) == "INVALID_TOKEN":
                    self._tokens.pop(org_id, None)
                    token = await self._token(client, org_id, oauth)
                    answer = await self._get(client, token, module, chunk)
                found.update(read_records(answer, module, chunk))
        return found

    async def _get(
        self, client: httpx.AsyncClient, token: AccessToken, module: str, ids: Sequence[str]
    ) -> httpx.Response:
        url = f"{token.api_domain}/crm/{API_VERSION}/{quote(module)}"
        headers = {"Authorization": f"Zoho-oauthtoken {token.value}"}
        request = client.get(url, params={"ids": ",".join(ids)}, headers=headers)
        return await call(request, f"GET {module}?ids={','.join(ids)[:200]}")

    async def _token(
        self, client: httpx.AsyncClient, org_id: str, oauth: OAuthClient
    ) -> AccessToken:
        cached = self._tokens.get(org_id)
        fresh = cached is not None and cached.expires_at - EXPIRY_MARGIN > time.monotonic()
        if cached is not None and fresh and cached.client == oauth:
            return cached
        accounts = (oauth.accounts_url or self.endpoints.accounts_url).rstrip("/")
        form = {
            "grant_type": "refresh_token",
            "client_id": oauth.client_id,
            "client_secret": oauth.client_secret,
            "refresh_token": oauth.refresh_token,
        }
        answer = await call(client.post(f"{accounts}/oauth/v2/token", data=form), "token call")
        transient(answer, "token call")
        body = json_of(answer)
        value = body.get("access_token")
        if answer.status_code != 200 or not isinstance(value, str) or not value:
            # Zoho answers a refused refresh token with 200 {"error": "invalid_code"}.
            error = body.get("error") or f"HTTP {answer.status_code}"
            raise ZohoRefused(f"Zoho refused the OAuth token call for org {org_id}: {error}")
        domain = body.get("api_domain")
        api_domain = domain if isinstance(domain, str) and domain else self.endpoints.api_domain
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        token = AccessToken(value, api_domain.rstrip("/"), time.monotonic() + lifetime, oauth)
        self._tokens[org_id] = token
        return token


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


def read_records(
    answer: httpx.Response, module: str, ids: Sequence[str]
) -> dict[str, dict[str, Any] | None]:
    """The records of one GET by ids, by id; an id the answer leaves out is gone (None)."""
    what = f"GET {module}?ids={','.join(ids)[:200]}"
    transient(answer, what)
    if answer.status_code == 204 or (len(ids) == 1 and code_of(answer) == "INVALID_DATA"):
        return dict.fromkeys(ids)
    data = json_of(answer).get("data")
    if answer.status_code != 200 or not isinstance(data, list) or not data:
        raise ZohoRefused(f"Zoho {what} answered HTTP {answer.status_code}: {answer.text[:300]}")
    if not all(isinstance(record, dict) for record in data):
        raise ZohoRefused(f"Zoho {what} answered a record that is not an object")
    by_id = {str(record.get("id")): record for record in data}
    return {record_id: by_id.get(record_id) for record_id in ids}
