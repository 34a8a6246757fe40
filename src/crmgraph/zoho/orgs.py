"""Registering Zoho organisations: which tenant an org's webhooks belong to, the keys
(HMAC secret, shared tokens, Desk's JWKS and webhook ids) they are checked with, and the
OAuth credentials crmgraph fetches its Zoho CRM records with (crmgraph.zoho.crm_api).

find_keys answers for any tenant: it is the authentication step of an inbound webhook,
before a tenant is known (as an API key is looked up by its key). The rest is scoped.

On PostgreSQL find_stamped also gives the keys' stamp, a hash of the whole row as the
database prints it, so any change to the row (a new secret, token or key set, another
tenant, removed and added again) changes it: unchanged() lets a statement run only while
the keys a delivery was verified with are still the registered ones (crmgraph.zoho.inbound),
which makes keeping keys in memory safe (crmgraph.zoho.key_cache).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Text, cast, delete, exists, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.models import ZohoAccessToken, ZohoOrg, ZohoWatchChannel
from crmgraph.db.scoping import Scope, scoped, tenant_filter
from crmgraph.domain.changes import UNSET, Maybe, sent
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.zoho.formats.base import OrgKeys


@dataclass(frozen=True)
class OAuthClient:
    """An organisation's Zoho OAuth client (a Self Client or server-based client of the Zoho
    API Console) and a refresh token it issued; accounts_url is the accounts server of the
    org's data centre (https://accounts.zoho.eu, ...), None for Settings.zoho_accounts_url."""

    client_id: str
    client_secret: str
    refresh_token: str
    accounts_url: str | None = None

    def __repr__(self) -> str:  # never the secrets, in a log or a traceback
        return f"OAuthClient(client_id={self.client_id!r}, accounts_url={self.accounts_url!r})"


@dataclass(frozen=True)
class OAuthChanges:
    """A change of an organisation's OAuth client (crmgraph.domain.changes: UNSET keeps a
    value, None clears it). client_id, client_secret and refresh_token are all set or all
    cleared once the change is made; accounts_url None is Settings.zoho_accounts_url."""

    client_id: Maybe[str | None] = UNSET
    client_secret: Maybe[str | None] = UNSET
    refresh_token: Maybe[str | None] = UNSET
    accounts_url: Maybe[str | None] = UNSET


# OAuthChanges' fields and the columns they change
OAUTH_COLUMNS = {
    "client_id": "oauth_client_id",
    "client_secret": "oauth_client_secret",
    "refresh_token": "oauth_refresh_token",
    "accounts_url": "accounts_url",
}


MAX_ID = 64
MIN_KEY = 12  # Zoho Billing's secret tokens are 12-50 characters; anything shorter is guessable
MAX_DESK_WEBHOOKS = 20
# A Desk webhook id as its JWT's aud names it (webhookId:<id>): digits in Zoho's examples.
DESK_WEBHOOK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Registered:
    """A registered organisation's tenant and keys; stamp is None where the database has no
    stamp (SQLite: one process, nothing kept in memory)."""

    tenant_id: str
    keys: OrgKeys
    stamp: str | None


def new_secret() -> str:
    """A fresh secret for an organisation registered without one (never a known default):
    48 hex characters (192 bits), within the 12-50 alphanumerics Zoho's secret field takes."""
    return secrets.token_hex(24)


def _check(
    org_id: str, secret: str | None, tokens: Sequence[str], desk_webhook_ids: Sequence[str]
) -> None:
    if not org_id.strip() or len(org_id) > MAX_ID:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"1 to {MAX_ID} characters", field="org_id")
    if len(desk_webhook_ids) > MAX_DESK_WEBHOOKS or not all(
        DESK_WEBHOOK_ID.match(w) for w in desk_webhook_ids
    ):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"at most {MAX_DESK_WEBHOOKS} ids of 1 to 64 letters, digits, '-' or '_'",
            field="desk_webhook_ids",
        )
    for name, key in [("secret", secret), *(("tokens", t) for t in tokens)]:
        if key is not None and len(key) < MIN_KEY:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"at least {MIN_KEY} characters", field=name
            )


async def add_org(
    session: AsyncSession,
    *,
    scope: Scope,
    org_id: str,
    secret: str | None,
    tokens: Sequence[str] = (),
    desk_jwks: str | None = None,
    oauth: OAuthClient | None = None,
    desk_webhook_ids: Sequence[str] = (),
) -> ZohoOrg:
    """Register org_id for scope's tenant; CONFLICT when it is registered already (for any
    tenant: an organisation's webhooks go to one tenant)."""
    _check(org_id, secret, tokens, desk_webhook_ids)
    if oauth is not None:
        for name in ("client_id", "client_secret", "refresh_token"):
            if not getattr(oauth, name).strip():
                raise DomainError(ErrorCode.VALIDATION_ERROR, "must not be empty", field=name)
    org = ZohoOrg(
        tenant_id=scope.tenant_id,
        org_id=org_id.strip(),
        secret=secret,
        tokens=list(tokens),
        desk_jwks=desk_jwks,
        desk_webhook_ids=list(dict.fromkeys(desk_webhook_ids)),
    )
    if oauth is not None:
        org.oauth_client_id = oauth.client_id.strip()
        org.oauth_client_secret = oauth.client_secret.strip()
        org.oauth_refresh_token = oauth.refresh_token.strip()
        org.accounts_url = oauth.accounts_url
    session.add(org)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise DomainError(
            ErrorCode.CONFLICT, "this Zoho organisation is registered already", field="org_id"
        ) from exc
    return org


async def change_oauth(
    session: AsyncSession, *, scope: Scope, org_id: str, changes: OAuthChanges
) -> ZohoOrg:
    """Change scope's org_id's OAuth client in place (rotate a secret or refresh token, move
    to another client or data centre, or remove it); NOT_FOUND when the tenant has no such
    org. Access tokens made with the old client are not used again: a token is only ever
    used with the client it was made with (crmgraph.zoho.crm_api)."""
    given = sent(changes)
    for name, value in given.items():
        if value is not None and not value.strip():
            raise DomainError(ErrorCode.VALIDATION_ERROR, "must not be empty", field=name)
    stmt = scoped(select(ZohoOrg), ZohoOrg, scope).where(ZohoOrg.org_id == org_id)
    org = await session.scalar(stmt.with_for_update())
    if org is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such Zoho organisation", field="org_id")
    after = {name: getattr(org, column) for name, column in OAUTH_COLUMNS.items()}
    after.update({name: None if v is None else v.strip() for name, v in given.items()})
    client = ("client_id", "client_secret", "refresh_token")
    missing = [name for name in client if after[name] is None]
    if len(missing) == len(client) and "accounts_url" not in given:
        after["accounts_url"] = None  # the client removed: its data centre goes with it
    if missing and (len(missing) < len(client) or after["accounts_url"] is not None):
        raise DomainError(ErrorCode.VALIDATION_ERROR,
                          "client_id, client_secret and refresh_token go together "
                          "(and accounts_url needs them)", field=missing[0])  # fmt: skip
    for name, column in OAUTH_COLUMNS.items():
        setattr(org, column, after[name])
    await forget_access_token(session, scope=scope, org_id=org_id)
    await session.flush()
    return org


async def forget_access_token(session: AsyncSession, *, scope: Scope, org_id: str) -> None:
    """Drop the org's shared access token (crmgraph.zoho.access_tokens): its client changed
    or the org is gone."""
    token = ZohoAccessToken
    await session.execute(delete(token).where(tenant_filter(token, scope), token.org_id == org_id))


async def list_orgs(session: AsyncSession, *, scope: Scope) -> list[ZohoOrg]:
    found = await session.scalars(scoped(select(ZohoOrg), ZohoOrg, scope).order_by(ZohoOrg.org_id))
    return list(found)


async def delete_org(session: AsyncSession, *, scope: Scope, org_id: str) -> None:
    """Forget org_id (its stored events stay); NOT_FOUND when the tenant has no such org."""
    result = await session.execute(
        delete(ZohoOrg).where(tenant_filter(ZohoOrg, scope), ZohoOrg.org_id == org_id)
    )
    if getattr(result, "rowcount", 0) == 0:
        raise DomainError(ErrorCode.NOT_FOUND, "no such Zoho organisation", field="org_id")
    await forget_access_token(session, scope=scope, org_id=org_id)
    channel = ZohoWatchChannel  # nothing renews its channels any more
    await session.execute(
        delete(channel).where(tenant_filter(channel, scope), channel.org_id == org_id)
    )


async def find_keys(session: AsyncSession, org_id: str) -> tuple[str, OrgKeys] | None:
    """The tenant and keys of a registered organisation, or None."""
    org = await session.scalar(select(ZohoOrg).where(ZohoOrg.org_id == org_id))
    if org is None:
        return None
    return org.tenant_id, _keys(org)


def _stamp() -> ColumnElement[str]:
    # A change stamp, not a security check: md5 of the row's text, every column included.
    return func.md5(cast(literal_column(ZohoOrg.__tablename__), Text))


def _keys(org: ZohoOrg) -> OrgKeys:
    return OrgKeys(org.org_id, org.secret, tuple(org.tokens or ()), org.desk_jwks,
                   tuple(org.desk_webhook_ids or ()))  # fmt: skip


async def find_stamped(session: AsyncSession, org_id: str) -> Registered | None:
    """A registered organisation with its keys' stamp (PostgreSQL), or None."""
    if session.get_bind().dialect.name != "postgresql":
        found = await find_keys(session, org_id)
        return None if found is None else Registered(found[0], found[1], None)
    row = (await session.execute(select(ZohoOrg, _stamp()).where(ZohoOrg.org_id == org_id))).first()
    if row is None:
        return None
    org, stamp = row
    return Registered(org.tenant_id, _keys(org), str(stamp))


def unchanged(org_id: str, stamp: str) -> ColumnElement[bool]:
    """True while org_id is registered with the keys stamp was taken of (PostgreSQL)."""
    return exists().where(ZohoOrg.org_id == org_id, _stamp() == stamp)


async def stamped(session: AsyncSession, org_id: str, stamp: str) -> bool:
    """Whether org_id is still registered with the keys stamp was taken of."""
    return bool(await session.scalar(select(unchanged(org_id, stamp))))


async def find_oauth(session: AsyncSession, org_id: str, *, scope: Scope) -> OAuthClient | None:
    """The OAuth client registered for scope's org_id, or None (none registered, no such
    org)."""
    stmt = scoped(select(ZohoOrg), ZohoOrg, scope).where(ZohoOrg.org_id == org_id)
    org = await session.scalar(stmt)
    if org is None or not (
        org.oauth_client_id and org.oauth_client_secret and org.oauth_refresh_token
    ):
        return None
    return OAuthClient(org.oauth_client_id, org.oauth_client_secret, org.oauth_refresh_token,
                       org.accounts_url)  # fmt: skip
