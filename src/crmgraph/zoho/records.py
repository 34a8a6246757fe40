"""What the mapper takes (a ZohoRecord: one record of one Zoho event, as the receiving side
stores it) and what it answers (Applied: what it did to which entity)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class ZohoRecord:
    org_id: str
    # URL module: crm, desk, books, projects, people, expense, campaigns, cliq, analytics
    module: str
    zoho_module: str | None  # e.g. "Contacts", "Leads", "Deals", "Accounts", "Tickets", "invoice"
    operation: str  # "create" | "update" | "delete" | other verbs lower-case
    record_id: str | None  # Zoho's record id
    event_time: datetime  # when Zoho says the record changed (UTC)
    fields: dict[str, Any]  # the record's fields as Zoho names them (unknown ones kept)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    # The record is not newer than the change we hold (an older or repeated delivery).
    SKIPPED_OLDER = "skipped-older"
    # A delete of a record we never had.
    SKIPPED_UNKNOWN = "skipped-unknown"
    RECORDED_AS_ACTIVITY = "recorded-as-activity"


@dataclass(frozen=True, kw_only=True)
class Dropped:
    """A Zoho field whose value our rules refused: left out of the write (the entity keeps
    its value) and kept as Zoho sent it in custom_fields["zoho"]."""

    field: str  # Zoho's field name, e.g. "Email"
    reason: str  # our rule's message, e.g. "Invalid email format"


@dataclass(frozen=True, kw_only=True)
class Applied:
    outcome: Outcome
    entity_type: str  # "contact", "lead", "deal", "account" or "communication"
    entity_id: UUID | None  # None only for SKIPPED_UNKNOWN
    dropped: tuple[Dropped, ...] = ()
