"""Reading Zoho CRM records (crmgraph.zoho.crm_api) from the stand-in of Zoho's accounts
server and CRM API (tests/zoho_standin.py, a real server on loopback): the token is made
once and reused, Zoho's answers are sorted into a record, gone, transient (retry while it
lasts) or refused (a dead letter to replay once fixed), and a stopped Zoho is transient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

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


async def test_records_are_read_with_one_token_and_a_missing_one_is_gone(
    zoho: ZohoStandIn,
) -> None:
    reader = api()
    both = await reader.records("org1", client_of(zoho), "Contacts", ["1", "2"])
    missing = await reader.records("org1", client_of(zoho), "Contacts", ["2"])

    assert both == {"1": RECORD, "2": None} and missing == {"2": None}
    assert zoho.token_calls == 1
    assert zoho.gets == [("Contacts", "1,2", 200), ("Contacts", "2", 204)]


async def test_more_than_a_hundred_ids_are_read_a_hundred_at_a_time(zoho: ZohoStandIn) -> None:
    ids = [str(n) for n in range(1, 251)]

    found = await api().records("org1", client_of(zoho), "Contacts", ids)

    assert found == {"1": RECORD, **dict.fromkeys(ids[1:])}
    assert [len(asked.split(",")) for _, asked, _ in zoho.gets] == [100, 100, 50]


async def test_refused_credentials_are_refused_not_transient(zoho: ZohoStandIn) -> None:
    wrong = replace(client_of(zoho), client_secret="not-the-secret")
    with pytest.raises(ZohoRefused, match="invalid_code"):
        await api().records("org1", wrong, "Contacts", ["1"])
    assert zoho.gets == []


async def test_a_stopped_zoho_is_a_transient_failure(zoho: ZohoStandIn) -> None:
    oauth = client_of(zoho)
    zoho.stop()
    with pytest.raises(TransientFailure):
        await api().records("org1", oauth, "Contacts", ["1"])


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
