"""Zoho CRM's Notification API ("watch"), as crmgraph uses it: enable a channel (POST
{api_domain}/crm/v8/actions/watch) and move its expiry on (PATCH of the same URL, "Update
Specific Information of a Notification": what is sent is changed, the rest kept), each with
a body {"watch": [{channel_id, events, channel_expiry, token, notify_url}]} and the org's
access token (crmgraph.zoho.access_tokens; a refused one is replaced once). Zoho answers each
item {"code": "SUCCESS", "details": {"events": [{channel_expiry, ...}]}, ...}; it ends a
channel at its channel_expiry, at most a week ahead. Failures are as crmgraph.zoho.http says:
transient (unreachable, 429, 5xx) or ZohoRefused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.zoho.access_tokens import AccessToken, AccessTokens
from crmgraph.zoho.http import API_VERSION, ZohoRefused, call, json_of, transient
from crmgraph.zoho.orgs import OAuthClient
from crmgraph.zoho.values import utc

LIFETIME = timedelta(days=6)  # asked for each channel: Zoho takes at most a week ahead
MAX_TOKEN = 50  # Zoho's limit on a channel's token


@dataclass(frozen=True)
class Watch:
    """One channel as Zoho's watch calls take it."""

    channel_id: str
    events: Sequence[str]
    notify_url: str
    token: str
    expiry: datetime

    def body(self) -> dict[str, Any]:
        item = {"channel_id": int(self.channel_id), "events": list(self.events),
                "channel_expiry": self.expiry.isoformat(timespec="seconds"),
                "token": self.token, "notify_url": self.notify_url}  # fmt: skip
        return {"watch": [item]}


class WatchApi:
    def __init__(self, tokens: AccessTokens) -> None:
        self.tokens = tokens  # the zoho-mapper's: one lock per org for every call of a process

    async def send(
        self, sessions: async_sessionmaker[AsyncSession], scope: Scope, org_id: str,
        oauth: OAuthClient, method: str, watch: Watch,
    ) -> datetime:  # fmt: skip
        """POST (enable) or PATCH (renew) watch's channel; the expiry Zoho answers."""
        what = f"{method} actions/watch (channel {watch.channel_id})"

        def send(token: AccessToken) -> Any:
            url = f"{token.api_domain}/crm/{API_VERSION}/actions/watch"
            headers = {"Authorization": f"Zoho-oauthtoken {token.value}"}
            return call(client.request(method, url, json=watch.body(), headers=headers), what)

        async with httpx.AsyncClient(timeout=self.tokens.endpoints.timeout) as client:
            answer = await self.tokens.authorized(sessions, client, scope, org_id, oauth, send)
        return expiry_of(answer, what, watch.expiry)


def expiry_of(answer: httpx.Response, what: str, asked: datetime) -> datetime:
    """The channel_expiry of a successful watch answer (what was asked when it names none)."""
    transient(answer, what)
    items = json_of(answer).get("watch")
    item = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    if answer.status_code not in (200, 201) or item.get("code") != "SUCCESS":
        body = json_of(answer)
        why = item.get("message") or body.get("message") or answer.text[:300]
        code = item.get("code") or body.get("code")
        raise ZohoRefused(f"Zoho {what} answered HTTP {answer.status_code}: {code}: {why}")
    events = (item.get("details") or {}).get("events") or [{}]
    named = events[0].get("channel_expiry") if isinstance(events[0], dict) else None
    try:
        return utc(datetime.fromisoformat(named)) if isinstance(named, str) else asked
    except ValueError:
        return asked
