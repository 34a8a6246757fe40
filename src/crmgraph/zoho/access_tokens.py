"""Zoho access tokens, shared by every process through the database.

An organisation's OAuth client makes access tokens from its refresh token (POST
{accounts}/oauth/v2/token, grant_type=refresh_token), and Zoho limits hard how often a
refresh token may do so. So the token is kept in zoho_access_tokens, sealed, with its expiry
and the api_domain its answer named, and every process uses it until a minute before it
expires. When there is none, it is expiring, another client made it (the client was changed
in place: crmgraph.zoho.orgs.change_oauth), or the API refused it (401 INVALID_TOKEN: pass it
as `refused`), one process makes a new one and the others use that:

- in a process, concurrent tasks queue on an asyncio lock per organisation, so the database
  is asked once;
- on PostgreSQL, the process that makes it holds a transaction advisory lock per organisation
  over the token call; the others wait on the lock, then find the new token (a crashed
  holder's lock goes with its connection);
- SQLite (the embedded mode: one process) has the asyncio lock alone, and calls Zoho with
  no transaction open: a transaction there holds the database's one write lock.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph.db.models import ZohoAccessToken
from crmgraph.db.scoping import Scope, scoped
from crmgraph.db.types import utcnow
from crmgraph.events.deliveries import lock_key
from crmgraph.zoho.http import Endpoints, ZohoRefused, call, code_of, json_of, transient
from crmgraph.zoho.orgs import OAuthClient

EXPIRY_MARGIN = timedelta(seconds=60)  # a token this close to expiring is replaced before use
DEFAULT_LIFETIME = 3600.0  # seconds, when Zoho's answer names none


@dataclass(frozen=True)
class AccessToken:
    value: str
    api_domain: str
    expires_at: datetime


def client_hash(oauth: OAuthClient) -> str:
    """Which client made a token, without storing its secrets a second time."""
    parts = (oauth.client_id, oauth.client_secret, oauth.refresh_token, oauth.accounts_url or "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class AccessTokens:
    """The access tokens of every organisation, for one process (one per consumer)."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def get(
        self, sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient,
        scope: Scope, org_id: str, oauth: OAuthClient, *, refused: str | None = None,
    ) -> AccessToken:  # fmt: skip
        """A token of oauth's to call Zoho with for scope's org_id: the stored one while it
        is usable (and not `refused`), else a new one (see the module's doc)."""
        async with self._locks[org_id]:
            async with sessions() as session:
                found = await usable(session, scope, org_id, oauth, refused)
                postgres = session.get_bind().dialect.name == "postgresql"
            if found is not None:
                return found
            if postgres:
                async with sessions() as session, session.begin():
                    key = lock_key(f"zoho-access-token:{org_id}")
                    await session.execute(select(func.pg_advisory_xact_lock(key)))
                    found = await usable(session, scope, org_id, oauth, refused)
                    if found is not None:
                        return found  # another process made it while this one waited
                    token = await self.make(client, org_id, oauth)
                    await store(session, scope, org_id, oauth, token)
                    return token
            token = await self.make(client, org_id, oauth)
            async with sessions() as session, session.begin():
                await store(session, scope, org_id, oauth, token)
            return token

    async def authorized(
        self, sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient,
        scope: Scope, org_id: str, oauth: OAuthClient,
        send: Callable[[AccessToken], Awaitable[httpx.Response]],
    ) -> httpx.Response:  # fmt: skip
        """send()'s answer with a token of the org's; once more with a new token when Zoho
        refuses the first (401 INVALID_TOKEN: revoked, or expired early)."""
        token = await self.get(sessions, client, scope, org_id, oauth)
        answer = await send(token)
        if answer.status_code == 401 and code_of(answer) == "INVALID_TOKEN":
            token = await self.get(sessions, client, scope, org_id, oauth, refused=token.value)
            answer = await send(token)
        return answer

    async def make(self, client: httpx.AsyncClient, org_id: str, oauth: OAuthClient) -> AccessToken:
        """A new access token from Zoho's accounts server (the org's, else Settings')."""
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
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else DEFAULT_LIFETIME
        return AccessToken(value, api_domain.rstrip("/"), utcnow() + timedelta(seconds=lifetime))


async def _row(session: AsyncSession, scope: Scope, org_id: str) -> ZohoAccessToken | None:
    stmt = scoped(select(ZohoAccessToken), ZohoAccessToken, scope)
    return await session.scalar(stmt.where(ZohoAccessToken.org_id == org_id))


async def usable(
    session: AsyncSession, scope: Scope, org_id: str, oauth: OAuthClient, refused: str | None
) -> AccessToken | None:
    """The stored token when oauth made it, it is not expiring and not `refused`."""
    row = await _row(session, scope, org_id)
    if (
        row is None
        or row.client_hash != client_hash(oauth)
        or row.access_token == refused
        or row.expires_at - EXPIRY_MARGIN <= utcnow()
    ):
        return None
    return AccessToken(row.access_token, row.api_domain, row.expires_at)


async def store(
    session: AsyncSession, scope: Scope, org_id: str, oauth: OAuthClient, token: AccessToken
) -> None:
    row = await _row(session, scope, org_id)
    if row is None:
        row = ZohoAccessToken(tenant_id=scope.tenant_id, org_id=org_id)
        session.add(row)
    row.client_hash = client_hash(oauth)
    row.access_token = token.value
    row.api_domain = token.api_domain
    row.expires_at = token.expires_at
    await session.flush()
