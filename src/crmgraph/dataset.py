"""Large, reproducible data sets written straight into PostgreSQL with COPY (benchmarks).

Scale 1 is 10 tenants with 20,000 accounts in hierarchies, 100,000 contacts, 60,000 leads with
campaign attribution, 200,000 deals across two pipelines with stage history, and 500,000
activities. The same seed gives the same rows. Rows bypass the domain functions and the
outbox on purpose: this is bulk loading, not traffic.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from crmgraph.dataset_rows import Generator

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": (
        "id",
        "tenant_id",
        "email",
        "name",
        "role",
        "team",
        "created_at",
        "updated_at",
    ),
    "pipelines": (
        "id",
        "tenant_id",
        "name",
        "description",
        "created_at",
        "updated_at",
    ),
    "pipeline_stages": (
        "id",
        "tenant_id",
        "pipeline_id",
        "name",
        "position",
        "probability",
        "created_at",
        "updated_at",
    ),
    "accounts": (
        "id",
        "tenant_id",
        "name",
        "website",
        "industry",
        "employees",
        "annual_revenue",
        "type",
        "parent_account_id",
        "owner_id",
        "created_at",
        "updated_at",
    ),
    "contacts": (
        "id",
        "tenant_id",
        "first_name",
        "last_name",
        "email",
        "company",
        "job_title",
        "account_id",
        "owner_id",
        "created_at",
        "updated_at",
    ),
    "leads": (
        "id",
        "tenant_id",
        "first_name",
        "last_name",
        "email",
        "company",
        "source",
        "status",
        "score",
        "custom_fields",
        "owner_id",
        "created_at",
        "updated_at",
    ),
    "deals": (
        "id",
        "tenant_id",
        "title",
        "value",
        "currency",
        "pipeline_id",
        "stage_id",
        "probability",
        "status",
        "expected_close_date",
        "actual_close_date",
        "contact_id",
        "account_id",
        "owner_id",
        "stage_entered_at",
        "created_at",
        "updated_at",
    ),
    "deal_stage_changes": (
        "id",
        "tenant_id",
        "deal_id",
        "from_stage_id",
        "to_stage_id",
        "changed_by_id",
        "reason",
        "created_at",
        "updated_at",
    ),
    "tasks": (
        "id",
        "tenant_id",
        "title",
        "due_date",
        "priority",
        "status",
        "assigned_to_id",
        "related_type",
        "related_id",
        "created_at",
        "updated_at",
    ),
    "events": (
        "id",
        "tenant_id",
        "title",
        "start_time",
        "end_time",
        "related_type",
        "related_id",
        "created_at",
        "updated_at",
    ),
    "communications": (
        "id",
        "tenant_id",
        "type",
        "direction",
        "subject",
        "content",
        "occurred_at",
        "related_type",
        "related_id",
        "created_at",
        "updated_at",
    ),
}


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / self.seconds if self.seconds else 0.0


async def load(
    engine: AsyncEngine,
    *,
    scale: float = 1.0,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
    tenants: int | None = None,
) -> Report:
    """COPY the data set into the (migrated, PostgreSQL) database of engine; tenants: how
    many tenants share its rows (default: 10 at scale 0.1 and above)."""
    if engine.dialect.name != "postgresql":
        raise ValueError("seed --scale writes with COPY and needs PostgreSQL (DATABASE_URL)")
    report = Report()
    started = time.monotonic()
    generator = Generator(scale, seed, tenants)
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        async with driver.transaction():
            for table, rows in generator.tables():
                if not rows:
                    continue
                await driver.copy_records_to_table(
                    table, records=rows, columns=list(COLUMNS[table])
                )
                report.rows[table] = report.rows.get(table, 0) + len(rows)
                if progress:
                    total = sum(report.rows.values())
                    elapsed = time.monotonic() - started
                    progress(f"{total:>9,} rows  {total / elapsed:>9,.0f} rows/s  ({table})")
    report.seconds = time.monotonic() - started
    return report


def stderr_progress(line: str) -> None:
    sys.stderr.write("\r" + line.ljust(60))
    sys.stderr.flush()
