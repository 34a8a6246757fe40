"""Zoho CRM's REST API, as the zoho-mapper needs it: records of one module by their ids.

Access tokens come from the organisation's refresh token and are shared by every process
through the database (crmgraph.zoho.access_tokens): made once, used until a minute before
they expire, and only with the OAuth client that made them; one the API refuses (401
INVALID_TOKEN: revoked, or expired early) is replaced once, by one process. Records are
read from the api_domain the token call answers (Zoho's data centre of the org:
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

from collections.abc import Awaitable, Sequence
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.zoho.access_tokens import AccessToken, AccessTokens
from crmgraph.zoho.http import (
    API_VERSION,
    Endpoints,
    ZohoRefused,
    call,
    code_of,
    json_of,
    transient,
)
from crmgraph.zoho.orgs import OAuthClient

MAX_IDS = 100  # Zoho's limit on the ids of one Get Records call

__all__ = ["Endpoints", "ZohoCrmApi", "ZohoRefused", "read_records"]


class ZohoCrmApi:
    """Reads Zoho CRM records for any organisation; one per consumer."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self.tokens = AccessTokens(endpoints)

    async def records(
        self, sessions: async_sessionmaker[AsyncSession], scope: Scope, org_id: str,
        oauth: OAuthClient, module: str, ids: Sequence[str],
    ) -> dict[str, dict[str, Any] | None]:  # fmt: skip
        """Each id's record as Zoho's API names its fields, or None when Zoho has no such
        record; one GET per MAX_IDS ids. sessions: where the shared access token is."""
        found: dict[str, dict[str, Any] | None] = {}
        unique = list(dict.fromkeys(ids))
        async with httpx.AsyncClient(timeout=self.endpoints.timeout) as client:
            for start in range(0, len(unique), MAX_IDS):
                chunk = unique[start : start + MAX_IDS]

                def get(token: AccessToken, chunk: list[str] = chunk) -> Awaitable[httpx.Response]:
                    return self._get(client, token, module, chunk)

                answer = await self.tokens.authorized(sessions, client, scope, org_id, oauth, get)
                found.update(read_records(answer, module, chunk))
        return found

    async def _get(
        self, client: httpx.AsyncClient, token: AccessToken, module: str, ids: Sequence[str]
    ) -> httpx.Response:
        url = f"{token.api_domain}/crm/{API_VERSION}/{quote(module)}"
        headers = {"Authorization": f"Zoho-oauthtoken {token.value}"}
        request = client.get(url, params={"ids": ",".join(ids)}, headers=headers)
        return await call(request, f"GET {module}?ids={','.join(ids)[:200]}")


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
