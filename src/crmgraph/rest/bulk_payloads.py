"""Pydantic payloads of the bulk routes, named as the API design's "Bulk Operations" section
writes them; the export's filters become a DealFilter, so they mean what the GraphQL deals
list's filter means (one translation, DealFilter.to_filter)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import strawberry
from pydantic import BaseModel, ConfigDict, Field

from crmgraph.db.filtering import Filter
from crmgraph.domain.contact_import_rules import Options
from crmgraph.gql.filters import DateTimeFilter, FloatFilter, IDFilter, StringFilter
from subgraphs.deals.inputs import DealFilter, DealStatus


class ImportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    update_existing: bool = False
    skip_duplicates: bool = False
    validation_level: Literal["strict", "lenient"] = "strict"

    def to_domain(self) -> Options:
        return Options(self.update_existing, self.skip_duplicates,
                       strict=self.validation_level == "strict")  # fmt: skip


class ContactImport(BaseModel):
    """contacts: the source rows; field_mapping: our field -> the rows' column."""

    model_config = ConfigDict(extra="forbid")

    import_options: ImportOptions = Field(default_factory=ImportOptions)
    field_mapping: dict[str, str] = Field(default_factory=dict)
    contacts: list[Any]


class ImportRowResult(BaseModel):
    index: int
    status: Literal["created", "updated", "skipped", "failed"]
    success: bool
    contact_id: str | None
    errors: list[dict[str, Any]]


class ImportRowError(BaseModel):
    """001's bulk `errors` entry: the row's index and its error in the design's format."""

    index: int
    error: str
    code: str
    field: str | None = None


class ContactImportResult(BaseModel):
    total_processed: int
    successful: int
    failed: int
    created: int
    updated: int
    skipped: int
    results: list[ImportRowResult]
    errors: list[ImportRowError]


class ExportFilters(BaseModel):
    """*_after is inclusive, *_before exclusive; stage names ignore case."""

    model_config = ConfigDict(extra="forbid")

    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    expected_close_after: datetime | None = None
    expected_close_before: datetime | None = None
    stage: list[str] | str | None = None
    status: Literal["ACTIVE", "WON", "LOST"] | None = None
    value_min: float | None = None
    value_max: float | None = None
    currency: str | None = None
    pipeline_id: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    owner_id: str | None = None

    def to_filter(self) -> Filter:
        def ids(value: str | None) -> IDFilter | None:
            return None if value is None else IDFilter(eq=strawberry.ID(value))

        def times(gte: datetime | None, lt: datetime | None) -> DateTimeFilter | None:
            return None if gte is lt is None else DateTimeFilter(gte=gte, lt=lt)

        stages = [self.stage] if isinstance(self.stage, str) else self.stage
        spec = DealFilter(
            created_at=times(self.created_after, self.created_before),
            updated_at=times(self.updated_after, None),
            expected_close_date=times(self.expected_close_after, self.expected_close_before),
            stage=None if stages is None else StringFilter(in_=stages),
            status=None if self.status is None else DealStatus(self.status),
            value=None if self.value_min is self.value_max is None
            else FloatFilter(gte=self.value_min, lte=self.value_max),
            currency=None if self.currency is None else StringFilter(eq=self.currency.upper()),
            pipeline_id=ids(self.pipeline_id),
            account_id=ids(self.account_id),
            contact_id=ids(self.contact_id),
            owner_id=ids(self.owner_id),
        )  # fmt: skip
        return spec.to_filter()


class ExportDelivery(BaseModel):
    """Only "response": the export is this request's response body (no webhook delivery)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["response"] = "response"


class DealExport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    export_format: Literal["csv", "json"] | None = None
    filters: ExportFilters = Field(default_factory=ExportFilters)
    fields: list[str] | None = None
    delivery: ExportDelivery | None = None
