"""The exact codec of event payloads: a payload dataclass <-> the JSON object stored in
outbox_events.payload and carried on the bus.

The JSON object is the payload's fields plus "version". UUIDs, Decimals (as strings, so
never rounded) and datetimes (RFC 3339) are strings; None is null; an absent field
(msgspec.UNSET) is left out. decode(topic, encode(p)) == p for every payload (tested with
hypothesis). Rows written before payloads had versions have no "version": they are
version 0 and are read through crmgraph.events.legacy.
"""

from __future__ import annotations

from typing import Any

import msgspec

from crmgraph.events import legacy
from crmgraph.events.payloads import PAYLOADS, Payload
from crmgraph.events.topics import Topic

VERSION_KEY = "version"


class PayloadError(ValueError):
    """A payload this build cannot read: an unknown topic or version, or a malformed one."""


def encode(payload: Payload) -> dict[str, Any]:
    """The JSON object of payload (JSON-ready builtins)."""
    body: dict[str, Any] = msgspec.to_builtins(payload)
    body[VERSION_KEY] = payload.VERSION
    return body


def decode(topic: str, body: dict[str, Any]) -> Payload:
    """The payload of an event of topic from its JSON object; PayloadError if unreadable."""
    try:
        kind = PAYLOADS[Topic(topic)]
    except ValueError:
        raise PayloadError(f"unknown event topic {topic!r}") from None
    version = body.get(VERSION_KEY, 0)
    if version == 0:
        body = legacy.upgrade(kind, body)
    elif version != kind.VERSION:
        raise PayloadError(
            f"{topic} payload version {version!r} is unknown: this build reads versions "
            f"0 to {kind.VERSION}"
        )
    try:
        return msgspec.convert(body, kind)
    except (msgspec.ValidationError, ValueError) as exc:
        raise PayloadError(f"{topic} payload version {version}: {exc}") from exc


def build(kind: type[Payload], values: dict[str, Any]) -> Payload:
    """A payload of kind from Python values (rows' columns, ids, Decimals, datetimes),
    checked against its types: what a writer gets wrong fails here, at the write."""
    return msgspec.convert(values, kind)
