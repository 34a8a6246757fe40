"""Zoho Desk deliveries (tests/data/zoho/desk_*.json) with no services: the X-ZDesk-JWT is
checked against a JWKS file made here (RS256, kid, iss orgId:<org>, aud webhookId:<id>), and
each array item becomes one event."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from crmgraph.zoho.formats import Delivery, Malformed, OrgKeys, choose, desk

DATA = Path(__file__).parents[2] / "data" / "zoho"
ORG_ID = "55667788"
KID = "desk-key-1"
WEBHOOK_ID = "1892000000123001"  # the webhook the organisation registered


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY = rsa_key()
OTHER = rsa_key()


@pytest.fixture
def jwks_file(tmp_path: Path) -> Path:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    path = tmp_path / "desk-jwks.json"
    path.write_text(json.dumps({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}))
    return path


def token(key: Any = KEY, kid: str = KID, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": f"orgId:{ORG_ID}", "aud": f"webhookId:{WEBHOOK_ID}", "iat": now,
            "exp": now + 300, **claims}  # fmt: skip
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def delivery(name: str, jwt_header: str | None) -> Delivery:
    headers = {"content-type": "application/json"}
    if jwt_header is not None:
        headers["x-zdesk-jwt"] = jwt_header
    return Delivery("desk", "POST", headers, (), (DATA / name).read_bytes())


def verified(d: Delivery, jwks: Path | None, webhooks: tuple[str, ...] = (WEBHOOK_ID,)) -> bool:
    form = choose(d)
    body = form.read(d)
    org = OrgKeys(form.org_id(d, body) or "", None, (), str(jwks) if jwks else None, webhooks)
    return form.verify(d, body, org)


def test_a_ticket_add_is_one_created_ticket_event(jwks_file: Path) -> None:
    d = delivery("desk_ticket_add.json", token())
    form = choose(d)
    assert form is desk.FORMAT and form.ack_status == 200
    body = form.read(d)
    assert form.org_id(d, body) == ORG_ID
    assert verified(d, jwks_file)
    [event] = form.events(d, body)
    assert (event.zoho_module, event.operation, event.record_id) == (
        "Tickets", "create", "1892000000094004")  # fmt: skip
    assert event.event_time == datetime(2025, 11, 28, 10, 0, tzinfo=UTC)
    assert event.fields["customFields"] == {"Region": "EMEA"}  # unknown fields are kept
    assert event.webhook_id is None  # Desk sends no id per event: record + time dedupe


def test_each_array_item_is_an_event_with_its_operation(jwks_file: Path) -> None:
    d = delivery("desk_ticket_update_delete.json", token())
    update, removal = desk.FORMAT.events(d, desk.FORMAT.read(d))
    assert (update.zoho_module, update.operation) == ("Tickets", "update")
    assert update.fields["prevState"] == {"status": "Open"}
    assert (removal.zoho_module, removal.operation, removal.record_id) == (
        "Contacts", "delete", "1892000000042099")  # fmt: skip
    assert update.dedupe_key("desk") != removal.dedupe_key("desk")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "not-a-jwt",
        token(key=OTHER),  # forged: signed by a key that is not Zoho's
        token(kid="unknown-kid"),
        token(iss="orgId:99999999"),  # another organisation's token
        token(aud="somethingElse:1"),
        token(exp=int(time.time()) - 60),
        jwt.encode(
            {"iss": f"orgId:{ORG_ID}", "aud": "webhookId:1"},
            "x" * 32,
            "HS256",
            headers={"kid": KID},
        ),
    ],
    ids=[
        "missing",
        "empty",
        "garbage",
        "forged",
        "unknown-kid",
        "wrong-iss",
        "wrong-aud",
        "expired",
        "hs256",
    ],
)
def test_a_bad_token_is_refused(jwks_file: Path, header: str | None) -> None:
    assert not verified(delivery("desk_ticket_add.json", header), jwks_file)


def test_a_genuine_token_for_an_unregistered_webhook_is_refused_and_logged(
    jwks_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    d = delivery("desk_ticket_add.json", token(aud="webhookId:1892000000999999"))
    with caplog.at_level(logging.WARNING, logger="crmgraph.security"):
        assert not verified(d, jwks_file)
    [logged] = [json.loads(r.getMessage()) for r in caplog.records]
    assert logged["event"] == "zoho_desk_webhook_unregistered"
    assert (logged["org_id"], logged["webhook_ids"]) == (ORG_ID, ["1892000000999999"])
    assert logged["registered"] == [WEBHOOK_ID]


def test_an_org_with_no_desk_webhook_registered_accepts_none(
    jwks_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="crmgraph.security"):
        assert not verified(delivery("desk_ticket_add.json", token()), jwks_file, webhooks=())
    assert "zoho_desk_webhook_unregistered" in caplog.text


def test_an_audience_list_naming_a_registered_webhook_is_accepted(jwks_file: Path) -> None:
    aud = ["webhookId:1892000000999999", f"webhookId:{WEBHOOK_ID}"]
    assert verified(delivery("desk_ticket_add.json", token(aud=aud)), jwks_file)
    assert not verified(delivery("desk_ticket_add.json", token(aud=aud[:1])), jwks_file)


def test_an_org_without_a_desk_jwks_or_an_unreadable_one_is_refused(tmp_path: Path) -> None:
    d = delivery("desk_ticket_add.json", token())
    assert not verified(d, None)
    assert not verified(d, tmp_path / "missing.json")


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b"[]",
        b"[1]",
        b'[{"eventType": "Ticket", "orgId": "1", "payload": {}}]',
        b'[{"eventType": "Ticket_Add", "orgId": "1", "payload": 3}]',
    ],
)
def test_an_unreadable_delivery_is_malformed(body: bytes) -> None:
    d = Delivery("desk", "POST", {}, (), body)
    with pytest.raises(Malformed):
        desk.FORMAT.events(d, desk.FORMAT.read(d))


def test_a_delivery_mixing_organisations_is_malformed() -> None:
    body = b'[{"orgId": "1", "eventType": "Ticket_Add"}, {"orgId": "2", "eventType": "Ticket_Add"}]'
    d = Delivery("desk", "POST", {}, (), body)
    with pytest.raises(Malformed):
        desk.FORMAT.org_id(d, desk.FORMAT.read(d))


@pytest.fixture
def jwks_url(jwks_file: Path) -> Iterator[str]:
    """The JWKS file served over HTTP by an in-process server, as Zoho serves its key set."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(jwks_file.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/{jwks_file.name}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_jwks_url_is_fetched_and_its_keys_checked(jwks_url: str) -> None:
    d = delivery("desk_ticket_add.json", token())
    org = OrgKeys(ORG_ID, None, (), jwks_url, (WEBHOOK_ID,))
    assert desk.FORMAT.verify(d, desk.FORMAT.read(d), org)
    forged = delivery("desk_ticket_add.json", token(key=OTHER))
    assert not desk.FORMAT.verify(forged, desk.FORMAT.read(forged), org)
    unknown = delivery("desk_ticket_add.json", token(kid="rotated-away"))
    assert not desk.FORMAT.verify(unknown, desk.FORMAT.read(unknown), org)


def test_an_unreachable_jwks_url_refuses_rather_than_fails() -> None:
    d = delivery("desk_ticket_add.json", token())
    org = OrgKeys(ORG_ID, None, (), "http://127.0.0.1:9/jwks.json", (WEBHOOK_ID,))  # refused
    assert not desk.FORMAT.verify(d, desk.FORMAT.read(d), org)
