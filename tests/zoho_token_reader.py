"""One process reading one Zoho record as the zoho-mapper does (crmgraph.zoho.crm_api), for
tests that run several at once: `python -m tests.zoho_token_reader TENANT ORG_ID CLIENT_ID
CLIENT_SECRET REFRESH_TOKEN ACCOUNTS_URL RECORD_ID GO_FILE` (DATABASE_URL from the
environment). It connects, waits until GO_FILE exists (so all start together), reads the
record and prints it as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from crmgraph.config import load_settings
from crmgraph.db.engine import create_engine, create_session_factory
from crmgraph.db.scoping import Scope
from crmgraph.zoho.crm_api import Endpoints, ZohoCrmApi
from crmgraph.zoho.orgs import OAuthClient


async def main(argv: list[str]) -> None:
    tenant, org_id, client_id, secret, refresh, accounts, record_id, go = argv
    engine = create_engine(load_settings())
    sessions = create_session_factory(engine)
    async with sessions() as session:  # connected before the start
        await session.connection()
    api = ZohoCrmApi(Endpoints(accounts, accounts, 10.0))
    oauth = OAuthClient(client_id, secret, refresh, accounts)
    while not await asyncio.to_thread(Path(go).exists):  # noqa: ASYNC110 (another process)
        await asyncio.sleep(0.01)
    scope = Scope(tenant_id=tenant, kind="system")
    found = await api.records(sessions, scope, org_id, oauth, "Contacts", [record_id])
    await engine.dispose()
    print(json.dumps(found))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
