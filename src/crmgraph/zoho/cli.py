"""`crmgraph zoho add-org ORG_ID --tenant T [--secret S] [--token TOKEN]... [--desk-jwks J]
[--desk-webhook-id ID]...`: register a Zoho
organisation whose webhooks tenant T accepts (tenant admins can also use POST /api/v1/zoho/orgs).
`crmgraph zoho set-oauth ORG_ID --tenant T [--client-id ID] [--client-secret S]
[--refresh-token R] [--accounts-url URL]`: change its OAuth client in place (as PATCH
/api/v1/zoho/orgs/{org_id}); options left out keep their values.
`crmgraph zoho watch ORG_ID --tenant T --modules Contacts,Leads,... [--base-url URL]`: enable
Zoho CRM notifications of those modules to this server (crmgraph.zoho.channels); the workers
renew the channel from then on.
`crmgraph webhooks replay ID`: run a stored Zoho event (zoho_inbound_events.id) through the
mapper again, e.g. a dead letter once its cause is fixed (crmgraph.zoho.replay).

Without --secret a fresh secret is made and printed once: paste it where Zoho asks for the
webhook's secret. Tokens are what Zoho CRM workflow webhooks send as their `token` parameter
and notification callbacks as their `token`. --client-id, --client-secret and
--refresh-token (with --accounts-url outside Zoho's US data centre) let the zoho-mapper read
the records that notification callbacks name; they are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from crmgraph.db.models import ZohoWatchChannel

T = TypeVar("T")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    zoho = commands.add_parser("zoho", help="Zoho One integration: register organisations")
    actions = zoho.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add-org", help="accept webhooks of a Zoho organisation")
    add.add_argument("org_id", metavar="ORG_ID", help="the Zoho organisation id")
    add.add_argument("--tenant", required=True, help="the tenant its webhooks belong to")
    add.add_argument("--secret", help="HMAC secret (X-Zoho-Signature, Books); made if absent")
    add.add_argument(
        "--token", action="append", default=[], help="a shared token (CRM workflow `token`)"
    )
    add.add_argument("--desk-jwks", help="Zoho Desk's JWKS (X-ZDesk-JWT keys): a URL or a file")
    add.add_argument(
        "--client-id", help="OAuth client id (Zoho API Console), for CRM notifications"
    )
    add.add_argument("--client-secret", help="that client's secret")
    add.add_argument(
        "--refresh-token", help="a refresh token it issued (scope ZohoCRM.modules.READ)"
    )
    add.add_argument(
        "--accounts-url", help="the org's Zoho accounts server, e.g. https://accounts.zoho.eu"
    )
    add.add_argument(
        "--desk-webhook-id", action="append", default=[], metavar="ID",
        help="a Zoho Desk webhook id whose deliveries it accepts (the JWT's aud webhookId:ID)",
    )  # fmt: skip
    add.set_defaults(run=_add_org)
    change = actions.add_parser("set-oauth", help="change an organisation's OAuth client")
    change.add_argument("org_id", metavar="ORG_ID", help="the Zoho organisation id")
    change.add_argument("--tenant", required=True, help="the tenant it is registered for")
    for option, what in OAUTH_OPTIONS.items():
        change.add_argument(f"--{option}", help=f"the new {what}; left out: kept")
    change.set_defaults(run=_set_oauth)
    watch = actions.add_parser("watch", help="enable Zoho CRM notifications, kept renewed")
    watch.add_argument("org_id", metavar="ORG_ID", help="the Zoho organisation id")
    watch.add_argument("--tenant", required=True, help="the tenant it is registered for")
    watch.add_argument("--modules", required=True, help="module API names: Contacts,Leads,...")
    watch.add_argument("--base-url", help="this server's public URL (ZOHO_NOTIFY_BASE_URL)")
    watch.set_defaults(run=_watch)
    hooks = commands.add_parser("webhooks", help="received webhooks: run one again")
    hook_actions = hooks.add_subparsers(required=True, metavar="ACTION")
    again = hook_actions.add_parser("replay", help="run a stored Zoho event through the mapper")
    again.add_argument("event_id", metavar="ID", help="its id (zoho_inbound_events.id)")
    again.set_defaults(run=_replay)


OAUTH_OPTIONS = {"client-id": "OAuth client id", "client-secret": "client secret",
                 "refresh-token": "refresh token",
                 "accounts-url": "accounts server (https://accounts.zoho.<dc>)"}  # fmt: skip


def with_database(
    settings: Settings, command: str,
    work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]],
) -> T | None:  # fmt: skip
    """work's answer, given sessions on the configured database; None when it was refused (a
    DomainError, said on stderr as `crmgraph <command>: <why> (<field>)`)."""
    from crmgraph.db.engine import create_engine, create_session_factory

    async def run() -> T:
        engine = create_engine(settings)
        try:
            return await work(create_session_factory(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"crmgraph {command}: {exc.message}{where}", file=sys.stderr)
        return None


def in_transaction(
    settings: Settings, command: str, work: Callable[[AsyncSession], Awaitable[T]]
) -> T | None:
    """with_database, work run in one transaction."""

    async def transaction(sessions: async_sessionmaker[AsyncSession]) -> T:
        async with sessions() as session, session.begin():
            return await work(session)

    return with_database(settings, command, transaction)


def _set_oauth(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.zoho import orgs

    names = [option.replace("-", "_") for option in OAUTH_OPTIONS]
    given = {name: value for name in names if (value := getattr(args, name))}
    if not given:
        print("crmgraph zoho set-oauth: give at least one of --"
              + ", --".join(OAUTH_OPTIONS), file=sys.stderr)  # fmt: skip
        return 2

    async def work(session: AsyncSession) -> object:
        scope = Scope(tenant_id=args.tenant, kind="system")
        changes = orgs.OAuthChanges(**given)
        return await orgs.change_oauth(session, scope=scope, org_id=args.org_id, changes=changes)

    if in_transaction(settings, "zoho set-oauth", work) is None:
        return 2
    changed = ", ".join(sorted(given))
    print(f"crmgraph: Zoho organisation {args.org_id}: OAuth {changed} changed")
    return 0


def _watch(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.errors import TransientFailure
    from crmgraph.zoho import channels
    from crmgraph.zoho.access_tokens import AccessTokens
    from crmgraph.zoho.http import Endpoints, ZohoRefused
    from crmgraph.zoho.watch_api import WatchApi

    base_url = args.base_url or settings.zoho_notify_base_url
    if not base_url:
        print("crmgraph zoho watch: give --base-url or set ZOHO_NOTIFY_BASE_URL (the URL Zoho "
              "reaches this server's REST shim at)", file=sys.stderr)  # fmt: skip
        return 2
    endpoints = Endpoints(settings.zoho_accounts_url, settings.zoho_api_domain,
                          settings.zoho_api_timeout_seconds)  # fmt: skip
    api = WatchApi(AccessTokens(endpoints))
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    scope = Scope(tenant_id=args.tenant, kind="system")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> ZohoWatchChannel:
        return await channels.enable(sessions, api, scope=scope, org_id=args.org_id,
                                     modules=modules, base_url=base_url)  # fmt: skip

    try:
        channel = with_database(settings, "zoho watch", work)
    except (ZohoRefused, TransientFailure) as exc:
        print(f"crmgraph zoho watch: {exc}", file=sys.stderr)
        return 2
    if channel is None:
        return 2
    print(f"crmgraph: Zoho org {args.org_id} notifies {', '.join(channel.events)} to "
          f"{channel.notify_url} on channel {channel.channel_id} until "
          f"{channel.channel_expiry.isoformat()}; the workers renew it")  # fmt: skip
    return 0


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.db.engine import create_engine, create_session_factory
    from crmgraph.gql.ids import parse_id
    from crmgraph.zoho import replay

    async def run() -> replay.Replayed | None:
        event_id = parse_id(args.event_id, field="ID")
        engine = create_engine(settings)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                tenant = await replay.tenant_of(session, event_id)
                if tenant is None:
                    return None
                scope = Scope(tenant_id=tenant, kind="system")
                return await replay.replay(session, scope=scope, event_id=event_id)
        finally:
            await engine.dispose()

    try:
        done = asyncio.run(run())
    except DomainError as exc:
        print(f"crmgraph webhooks replay: {exc.message}", file=sys.stderr)
        return 2
    if done is None:
        print(f"crmgraph webhooks replay: no stored Zoho event {args.event_id}", file=sys.stderr)
        return 2
    print(f"crmgraph: Zoho event {done.event_id} ({done.was}) queued for the mapper again")
    return 0


def _add_org(settings: Settings, args: argparse.Namespace) -> int:
    from crmgraph.zoho import orgs

    secret = args.secret or orgs.new_secret()
    oauth_args = (args.client_id, args.client_secret, args.refresh_token)
    if (any(oauth_args) or args.accounts_url) and not all(oauth_args):
        together = "--client-id, --client-secret and --refresh-token go together"
        print(f"crmgraph zoho add-org: {together}", file=sys.stderr)
        return 2
    oauth = orgs.OAuthClient(*oauth_args, args.accounts_url) if all(oauth_args) else None

    async def work(session: AsyncSession) -> object:
        return await orgs.add_org(
            session,
            scope=Scope(tenant_id=args.tenant, kind="system"),
            org_id=args.org_id,
            secret=secret,
            tokens=args.token,
            desk_jwks=args.desk_jwks,
            oauth=oauth,
            desk_webhook_ids=args.desk_webhook_id,
        )

    if in_transaction(settings, "zoho add-org", work) is None:
        return 2
    print(f"crmgraph: Zoho organisation {args.org_id} registered for tenant {args.tenant}")
    if not args.secret:
        print(f"secret (shown once; paste it into Zoho): {secret}")
    return 0
