"""What every inbound format shares: the delivery as received, the organisation's keys, the
events a delivery splits into, and the checks (HMAC, tokens) in constant time.

A format is a module with a FORMAT object (crmgraph.zoho.formats.Format); it never touches
the database: it names the organisation a delivery claims, verifies the delivery against
that organisation's keys and splits it into InboundEvents.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

FORM = "application/x-www-form-urlencoded"


class Malformed(ValueError):
    """The delivery cannot be read (400); `field` names what is wrong when one thing is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Delivery:
    """One HTTP request to /webhooks/zoho/{module}: headers lower-case, the raw body."""

    module: str
    method: str
    headers: Mapping[str, str]
    query: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def is_form(self) -> bool:
        return self.headers.get("content-type", "").split(";")[0].strip().lower() == FORM

    def form(self) -> tuple[tuple[str, str], ...]:
        """The body's form fields (empty unless the body is form-urlencoded)."""
        if not self.is_form:
            return ()
        try:
            return tuple(parse_qsl(self.body.decode(), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise Malformed("the form body is not UTF-8") from exc

    def json(self) -> Any:
        """The body as JSON; Malformed when it is not."""
        try:
            return json.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Malformed(f"the body is not valid JSON: {exc}") from exc


@dataclass(frozen=True)
class OrgKeys:
    """An organisation's registered keys (crmgraph.db.models.ZohoOrg)."""

    org_id: str
    secret: str | None
    tokens: tuple[str, ...] = ()
    desk_jwks: str | None = None  # Zoho Desk's key set: a URL or a file (formats.desk)
    desk_webhook_ids: tuple[str, ...] = ()  # the Desk webhooks it accepts (formats.desk)


@dataclass(frozen=True)
class InboundEvent:
    """One event of a delivery, as the store keeps it (crmgraph.zoho.inbound)."""

    zoho_module: str
    operation: str
    record_id: str | None
    event_time: datetime | None
    fields: dict[str, Any] = field(default_factory=dict)
    webhook_id: str | None = None

    def dedupe_key(self, module: str) -> str:
        """Zoho's webhook id when it sent one, else module, record, operation and time; an
        event without a time is known by all of its content (two changes of one record
        without times differ in their fields; a repeat does not)."""
        if self.webhook_id:
            return f"webhook:{self.webhook_id}"
        if self.event_time is None:
            what = [self.zoho_module, self.record_id, self.operation, self.fields]
            content = json.dumps(what, sort_keys=True, default=str).encode()
            return f"content:{module}:{hashlib.sha256(content).hexdigest()}"
        when = self.event_time.isoformat()
        return f"record:{module}:{self.zoho_module}:{self.record_id}:{self.operation}:{when}"


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented credential with the expected one."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def any_token(given: str | None, tokens: Iterable[str]) -> bool:
    """Whether given is one of tokens; every token is compared, so the time says nothing."""
    matched = False
    for token in tokens:
        matched |= same(given, token)
    return matched


OPERATIONS = {
    "insert": "create", "create": "create", "created": "create", "new": "create",
    "edit": "update", "update": "update", "updated": "update", "modify": "update",
    "delete": "delete", "deleted": "delete", "remove": "delete",
}  # fmt: skip


def operation(value: object, default: str = "update") -> str:
    """Zoho's operation word in our vocabulary (create/update/delete); other words are kept,
    lower-case, so a mapper can decide what they mean."""
    if not isinstance(value, str) or not value.strip():
        return default
    word = value.strip().lower()
    return OPERATIONS.get(word, word)[:32]


def event_time(value: object) -> datetime | None:
    """A Zoho time (ISO 8601, `+0530` offsets included, or epoch milliseconds) in UTC; None
    when absent or unreadable (the raw value stays in the event's fields)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # 2013-10-03T16:44:03+0530
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def text(value: object) -> str | None:
    """An id or name as text: Zoho sends ids as strings or numbers."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
