"""Reading Zoho CRM records (crmgraph.zoho.crm_api) from the stand-in of Zoho's accounts
server and CRM API (tests/zoho_standin.py, a real server on loopback): the token is made
once and reused, by other readers too (it is stored in the database: SQLite here), Zoho's
answers are sorted into a record, gone, transient (retry while it lasts) or refused (a dead
letter to replay once fixed), and a stopped Zoho is transient."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crmgraph.db.scoping import Scope
from crmgraph.errors import TransientFailure
from crmgraph.zoho.crm_api import Endpoints, ZohoCrmApi, ZohoRefused, read_records
from crmgraph.zoho.orgs import OAuthClient
from tests.zoho_standin import ZohoStandIn

RECORD = {"id": "1", "Last_Name": "Lee", "Modified_Time": "2026-11-28T10:00:00+00:00"}


@pytest.fixture
def zoho() -> Iterator[ZohoStandIn]:
    standin = ZohoStandIn(records={("Contacts", "1"): RECORD})
    standin.start()
    yield standin
    standin.stop()


def client_of(zoho: ZohoStandIn) -> OAuthClient:
    return OAuthClient(zoho.client_id, zoho.client_secret, zoho.refresh_token, zoho.url)


def api() -> ZohoCrmApi:
    # api_domain is unreachable: the token call's answer must name the stand-in instead
    return ZohoCrmApi(Endpoints("http://127.0.0.1:9", "http://127.0.0.1:9", 5.0))


SCOPE = Scope(tenant_id="t_zoho_reader", kind="system")


@pytest.fixture
def read(sqlite_engine: AsyncEngine) -> Reader:
    """Records of a fresh organisation, with the access tokens in the SQLite database."""
    return Reader(async_sessionmaker(sqlite_engine, expire_on_commit=False))


class Reader:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.org_id = f"org{uuid.uuid4().hex[:12]}"

    async def __call__(
        self, reader: ZohoCrmApi, oauth: OAuthClient, ids: list[str]
    ) -> dict[str, object]:
        found = await reader.records(self.sessions, SCOPE, self.org_id, oauth, "Contacts", ids)
        return dict(found)


async def test_records_are_read_with_one_token_and_a_missing_one_is_gone(
    zoho: ZohoStandIn, read: Reader
) -> None:
    reader = api()
    both = await read(reader, client_of(zoho), ["1", "2"])
    missing = await read(reader, client_of(zoho), ["2"])

    assert both == {"1": RECORD, "2": None} and missing == {"2": None}
    assert zoho.token_calls == 1
    assert zoho.gets == [("Contacts", "1,2", 200), ("Contacts", "2", 204)]


async def test_another_reader_uses_the_stored_token(zoho: ZohoStandIn, read: Reader) -> None:
    """Readers of other processes (other consumers) share the token through the database."""
    first = await read(api(), client_of(zoho), ["1"])
    second = await read(api(), client_of(zoho), ["1"])

    assert first == second == {"1": RECORD}
    assert zoho.token_calls == 1


async def test_concurrent_reads_make_one_token_and_replace_a_refused_one_once(
    zoho: ZohoStandIn, read: Reader
) -> None:
    reader = api()
    zoho.token_delay = 0.3
    first = await asyncio.gather(*(read(reader, client_of(zoho), ["1"]) for _ in range(5)))
    zoho.expire_tokens()
    again = await asyncio.gather(*(read(reader, client_of(zoho), ["1"]) for _ in range(5)))

    assert first == again == [{"1": RECORD}] * 5
    assert zoho.token_calls == 2
    assert sorted(status for _, _, status in zoho.gets) == [200] * 10 + [401] * 5


async def test_more_than_a_hundred_ids_are_read_a_hundred_at_a_time(
    zoho: ZohoStandIn, read: Reader
) -> None:
    ids = [str(n) for n in range(1, 251)]

    found = await read(api(), client_of(zoho), ids)

    assert found == {"1": RECORD, **dict.fromkeys(ids[1:])}
    assert [len(asked.split(",")) for _, asked, _ in zoho.gets] == [100, 100, 50]


async def test_refused_credentials_are_refused_not_transient(
    zoho: ZohoStandIn, read: Reader
) -> None:
    wrong = replace(client_of(zoho), client_secret="not-the-secret")
    with pytest.raises(ZohoRefused, match="invalid_code"):
        await read(api(), wrong, ["1"])
    assert zoho.gets == []


async def test_a_stopped_zoho_is_a_transient_failure(zoho: ZohoStandIn, read: Reader) -> None:
    oauth = client_of(zoho)
    zoho.stop()
    with pytest.raises(TransientFailure):
        await read(api(), oauth, ["1"])


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [(429, {"code": "TOO_MANY_REQUESTS"}, TransientFailure), (503, None, TransientFailure),
     (500, {"code": "INTERNAL_ERROR"}, TransientFailure), (403, {"code": "NO_PERMISSION"},
     ZohoRefused), (200, {"data": []}, ZohoRefused)],
)  # fmt: skip
def test_answers_that_are_no_record(status: int, body: object, expected: type[Exception]) -> None:
    with pytest.raises(expected):
        read_records(httpx.Response(status, json=body), "Contacts", ["1"])


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(204),
     httpx.Response(400, json={"data": [{"code": "INVALID_DATA", "status": "error"}]}),
     httpx.Response(404, json={"code": "INVALID_DATA", "status": "error"})],
)  # fmt: skip
def test_a_record_zoho_does_not_have_is_gone(answer: httpx.Response) -> None:
    assert read_records(answer, "Contacts", ["1"]) == {"1": None}


def test_invalid_data_for_several_ids_is_refused_not_a_delete() -> None:
    """Zoho's INVALID_DATA does not say which id it means: deleting them all could be wrong."""
    answer = httpx.Response(400, json={"code": "INVALID_DATA", "status": "error"})
    with pytest.raises(ZohoRefused):
        read_records(answer, "Contacts", ["1", "2"])
