"""The state of a row as an event carries it: one frozen dataclass per kind of row.

Each has exactly the row's columns (crmgraph.db.models), with their Python types: a UUID
stays a UUID, money a Decimal, a time a UTC datetime, a null None. ApiKeyState is the
exception: events never carry a key's secret hash, only its public fields.
A test (tests/unit/events/test_states.py) holds the fields to the models' columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from crmgraph.db import models
from crmgraph.db.models import Base

JSON = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class RowState:
    """The columns every tenant row has."""

    id: UUID
    tenant_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class ZohoState:
    """The columns of models.ZohoLinked. They default to null, so a payload written before
    they existed reads as it did: an addition every reader of version 1 accepts, hence no
    new version."""

    zoho_id: str | None = None
    zoho_modified_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class AccountState(ZohoState, RowState):
    name: str
    website: str | None
    industry: str | None
    employees: int | None
    annual_revenue: Decimal | None
    type: str
    address: JSON | None
    custom_fields: JSON | None
    parent_account_id: UUID | None
    owner_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class AccountRelationshipState(RowState):
    account_id: UUID
    related_account_id: UUID
    relationship_type: str
    description: str | None


@dataclass(frozen=True, kw_only=True)
class ContactState(ZohoState, RowState):
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    company: str | None
    job_title: str | None
    address: JSON | None
    custom_fields: JSON | None
    account_id: UUID | None
    owner_id: UUID | None
    lead_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class LeadState(ZohoState, RowState):
    first_name: str
    last_name: str
    email: str
    phone: str | None
    company: str | None
    job_title: str | None
    source: str
    status: str
    score: int
    custom_fields: JSON | None
    qualification_notes: str | None
    owner_id: UUID | None
    next_action: str | None
    converted_at: datetime | None
    converted_contact_id: UUID | None
    converted_account_id: UUID | None
    converted_deal_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class PipelineState(RowState):
    name: str
    description: str | None


@dataclass(frozen=True, kw_only=True)
class PipelineStageState(RowState):
    pipeline_id: UUID
    name: str
    position: int
    probability: int
    automation_rules: list[JSON] | None


@dataclass(frozen=True, kw_only=True)
class DealState(ZohoState, RowState):
    title: str
    value: Decimal
    currency: str
    pipeline_id: UUID
    stage_id: UUID
    probability: int
    status: str
    expected_close_date: datetime | None
    actual_close_date: datetime | None
    description: str | None
    custom_fields: JSON | None
    contact_id: UUID | None
    account_id: UUID | None
    owner_id: UUID | None
    stage_entered_at: datetime


@dataclass(frozen=True, kw_only=True)
class DealStageChangeState(RowState):
    """A row of a deal's stage history: created_at is when the deal moved."""

    deal_id: UUID
    from_stage_id: UUID | None
    to_stage_id: UUID
    changed_by_id: UUID | None
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class RelatedState(RowState):
    """An activity: what it is about (a contact, lead, account or deal), if anything."""

    related_type: str | None
    related_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class TaskState(RelatedState):
    title: str
    description: str | None
    due_date: datetime | None
    priority: str
    status: str
    assigned_to_id: UUID | None
    completed_at: datetime | None
    due_notified_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class EventState(RelatedState):
    """A calendar event (models.Event), not a domain event."""

    title: str
    description: str | None
    start_time: datetime
    end_time: datetime
    location: str | None
    attendee_ids: list[str] | None
    owner_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class CommunicationState(RelatedState):
    type: str
    direction: str
    subject: str | None
    content: str
    occurred_at: datetime
    participant_ids: list[str] | None


@dataclass(frozen=True, kw_only=True)
class ApiKeyState:
    """What events may carry about an API key: never its secret's hash."""

    id: UUID
    name: str
    key: str
    permissions: list[str]


ActivityState = TaskState | EventState | CommunicationState


@dataclass(frozen=True, kw_only=True)
class CampaignState(RowState):
    name: str
    type: str | None
    budget: Decimal | None
    start_date: datetime | None
    end_date: datetime | None
    status: str
    zoho_id: str | None


@dataclass(frozen=True, kw_only=True)
class TouchpointState(RowState):
    lead_id: UUID | None
    contact_id: UUID | None
    campaign_id: UUID | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    utm_term: str | None
    referrer: str | None
    landing_page: str | None
    channel: str | None
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ZohoInboundEventState(RowState):
    """A stored Zoho webhook event (crmgraph.zoho.inbound): what a mapper needs of it."""

    org_id: str
    module: str
    source_format: str
    dedupe_key: str
    zoho_module: str
    operation: str
    record_id: str | None
    event_time: datetime
    fields: JSON
    correlation_id: str
    received_at: datetime
    processed_at: datetime | None = None
    outcome: str | None = None
    entity_id: UUID | None = None


# The row model each state describes.
MODELS: dict[type[Any], type[Base]] = {
    AccountState: models.Account,
    AccountRelationshipState: models.AccountRelationship,
    ContactState: models.Contact,
    LeadState: models.Lead,
    PipelineState: models.Pipeline,
    PipelineStageState: models.PipelineStage,
    DealState: models.Deal,
    DealStageChangeState: models.DealStageChange,
    TaskState: models.Task,
    EventState: models.Event,
    CommunicationState: models.Communication,
    ApiKeyState: models.ApiKey,
    ZohoInboundEventState: models.ZohoInboundEvent,
    CampaignState: models.Campaign,
    TouchpointState: models.Touchpoint,
}

M = TypeVar("M", bound=Base)


def field_name(model: type[Any]) -> str:
    """The payload field a row of model goes in: its name in snake_case (`api_key`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


# The state class a payload field named after a model holds.
BY_FIELD: dict[str, type[Any]] = {field_name(model): state for state, model in MODELS.items()}


def row_of(model: type[M], state: object) -> M:
    """A detached row holding the state's columns: lets a subscriber render an event's
    state with the types that render rows, without a query."""
    return model(**{f.name: getattr(state, f.name) for f in fields(state)})  # type: ignore[arg-type]
