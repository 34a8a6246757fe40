"""Inbound Zoho webhook formats, one module each; FORMATS is the order they are tried in.

A format claims a delivery (by its headers or URL module), names the organisation it says it
comes from, verifies it against that organisation's keys (constant time) and splits it into
events. Adding a sender is a module with a FORMAT object, added to FORMATS before the
fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from crmgraph.zoho.formats import books, crm_notification, crm_workflow, desk, spec000
from crmgraph.zoho.formats.base import Delivery, InboundEvent, Malformed, OrgKeys

__all__ = [
    "FORMATS",
    "VERIFY_IN_LOOP",
    "Delivery",
    "Format",
    "InboundEvent",
    "Malformed",
    "OrgKeys",
    "choose",
]


class Format(Protocol):
    """What a format module's FORMAT object provides."""

    name: str
    ack_status: int  # the status of a stored delivery: 202 for 000's format, 200 for Zoho's

    def claims(self, delivery: Delivery) -> bool: ...

    def read(self, delivery: Delivery) -> Any:
        """The parsed body (Malformed when it cannot be read)."""
        ...

    def org_id(self, delivery: Delivery, body: Any) -> str | None: ...

    def verify(self, delivery: Delivery, body: Any, org: OrgKeys) -> bool: ...

    def events(self, delivery: Delivery, body: Any) -> list[InboundEvent]: ...


# 000's signed format is the fallback: any module may use it. A CRM notification callback
# is told from a workflow webhook by its body, so it is tried first.
FORMATS: Sequence[Format] = (
    spec000.FORMAT, crm_notification.FORMAT, crm_workflow.FORMAT, books.FORMAT, desk.FORMAT,
)  # fmt: skip
# Formats whose verify() only computes an HMAC or compares tokens: cheap enough for the event
# loop on a small body. Any other (Desk may fetch its key set over HTTP) verifies in a thread.
VERIFY_IN_LOOP = frozenset({spec000.FORMAT.name, crm_workflow.FORMAT.name, books.FORMAT.name})


def choose(delivery: Delivery) -> Format:
    """The format of delivery: the first that claims it, else 000's."""
    return next((f for f in FORMATS if f.claims(delivery)), spec000.FORMAT)
