"""Zoho Desk webhooks (Setup > Developer Space > Webhooks), on /webhooks/zoho/desk.

Desk posts a JSON array of events, each `{eventType, orgId, eventTime, payload, prevState?}`:
eventType is the entity and what happened (`Ticket_Add`, `Ticket_Update`, `Contact_Delete`),
eventTime epoch milliseconds, payload the record as it is now. Every event is stored; a
ticket's (zoho_module `Tickets`) becomes a communication (crmgraph.zoho.activities).

Authenticity: the `X-ZDesk-JWT` header is an RS256 token whose `kid` names a key of Zoho's
JWKS (a URL or a file registered per organisation: `--desk-jwks`), issued by
`orgId:<the organisation>` for `webhookId:<the webhook>`, a webhook the organisation
registered (`--desk-webhook-id`). None registered accepts none: a genuine token for an
unregistered webhook is refused and logged (security event zoho_desk_webhook_unregistered,
with the id to register). Desk has no id per event, so a repeat is known by record, operation
and time. Answered 200: Desk counts anything else as a
failure.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt

from crmgraph.security_log import security_event
from crmgraph.zoho.formats.base import Delivery, InboundEvent, Malformed, OrgKeys, event_time, text

HEADER = "x-zdesk-jwt"
AUDIENCE = "webhookId:"
VERBS = {"add": "create", "update": "update", "delete": "delete"}
JWKS_TIMEOUT = 3  # seconds; Desk gives up on a delivery after a few seconds


@lru_cache(maxsize=64)
def _client(url: str) -> jwt.PyJWKClient:
    """One client per JWKS URL: it caches the key set, and fetches again for an unknown kid."""
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=JWKS_TIMEOUT)


def signing_key(jwks: str, token: str) -> Any:
    """The key of jwks (an http(s) URL or a file) that token's kid names."""
    if jwks.startswith(("https://", "http://")):
        return _client(jwks).get_signing_key_from_jwt(token).key
    kid = jwt.get_unverified_header(token).get("kid")
    for key in jwt.PyJWKSet.from_json(Path(jwks).read_text()).keys:
        if kid is not None and key.key_id == kid:
            return key.key
    raise jwt.PyJWKClientError(f"no key {kid!r} in the JWKS")


def verify_token(token: str, jwks: str, org_id: str) -> dict[str, Any] | None:
    """token's claims when it is RS256-signed by a key of jwks, issued by org_id's Desk for
    a webhook (which one: webhook_ids); None otherwise (never raises for a bad token or an
    unreachable JWKS)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key(jwks, token),
            algorithms=["RS256"],
            issuer=f"orgId:{org_id}",
            options={"verify_aud": False, "require": ["iss", "aud"]},
        )
    except (jwt.PyJWTError, OSError, ValueError):
        return None
    return claims if webhook_ids(claims) else None


def webhook_ids(claims: dict[str, Any]) -> list[str]:
    """The Desk webhook ids the token's `aud` names (`webhookId:<id>`, or a list of them)."""
    audience = claims.get("aud")
    named = [audience] if isinstance(audience, str) else audience
    if not isinstance(named, list):
        return []
    return [
        a.removeprefix(AUDIENCE) for a in named if isinstance(a, str) and a.startswith(AUDIENCE)
    ]


def entity_and_verb(event_type: object) -> tuple[str, str]:
    """`Ticket_Add` -> (`Tickets`, `create`)."""
    if not isinstance(event_type, str) or "_" not in event_type:
        raise Malformed("eventType is Entity_Action, e.g. Ticket_Add", field="eventType")
    entity, _, action = event_type.rpartition("_")
    verb = VERBS.get(action.lower(), action.lower())
    return f"{entity}s"[:64], verb[:32]


def millis(value: object) -> object:
    """Desk's eventTime is epoch milliseconds, sent as a number or as a string of digits."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


class Desk:
    name = "desk"
    ack_status = 200

    def claims(self, delivery: Delivery) -> bool:
        return delivery.module == "desk"

    def read(self, delivery: Delivery) -> Any:
        body = delivery.json()
        if not isinstance(body, list) or not body or not all(isinstance(e, dict) for e in body):
            raise Malformed("a Zoho Desk webhook body is a non-empty JSON array of events")
        return body

    def org_id(self, delivery: Delivery, body: Any) -> str | None:
        ids = {text(event.get("orgId")) for event in body}
        if len(ids) != 1:
            raise Malformed("every event of a delivery has the same orgId", field="orgId")
        return ids.pop()

    def verify(self, delivery: Delivery, body: Any, org: OrgKeys) -> bool:
        token = delivery.headers.get(HEADER, "").strip()
        if not token or not org.desk_jwks:
            return False
        claims = verify_token(token, org.desk_jwks, org.org_id)
        if claims is None:
            return False
        named = webhook_ids(claims)
        if set(named) & set(org.desk_webhook_ids):
            return True
        # Zoho's own token, for a webhook the organisation has not registered: say which.
        security_event("zoho_desk_webhook_unregistered", org_id=org.org_id, webhook_ids=named,
                       registered=list(org.desk_webhook_ids))  # fmt: skip
        return False

    def events(self, delivery: Delivery, body: Any) -> list[InboundEvent]:
        found = []
        for event in body:
            module, verb = entity_and_verb(event.get("eventType"))
            payload = event.get("payload")
            if not isinstance(payload, dict):
                raise Malformed("each event's payload is a JSON object", field="payload")
            fields = dict(payload)
            if isinstance(event.get("prevState"), dict):
                fields["prevState"] = event["prevState"]
            found.append(
                InboundEvent(
                    zoho_module=module,
                    operation=verb,
                    record_id=text(payload.get("id")),
                    event_time=event_time(millis(event.get("eventTime"))),
                    fields=fields,
                )
            )
        return found


FORMAT = Desk()
