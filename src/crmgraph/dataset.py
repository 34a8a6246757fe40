"""Large, reproducible data sets written straight into PostgreSQL with COPY (benchmarks).

Scale 1 is 10 tenants with 20,000 accounts in hierarchies, 100,000 contacts, 60,000 leads with
campaign attribution, 200,000 deals across two pipelines with stage history, and 500,000
activities. The same seed gives the same rows. Rows bypass the domain functions and the
outbox on purpose: this is bulk loading, not traffic.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

FULL = {"tenants": 10, "accounts": 20_000, "contacts": 100_000, "leads": 60_000,
        "deals": 200_000, "activities": 500_000}  # fmt: skip
STAGES = (("Lead", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75),
          ("Closed Won", 100), ("Closed Lost", 0))  # fmt: skip
INDUSTRIES = ("Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Education",
              "Managed Services", "Logistics")  # fmt: skip
SOURCES = ("Website Form", "Referral", "Trade Show", "Zoho One", "Webinar", "Cold Call")
CAMPAIGNS = ("spring-launch", "msp-summit", "partner-webinar", "q3-outbound", "seo-evergreen")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
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
Row = tuple[Any, ...]


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / self.seconds if self.seconds else 0.0


def sizes(scale: float) -> dict[str, int]:
    found = {name: max(1, int(count * scale)) for name, count in FULL.items()}
    found["tenants"] = max(1, min(FULL["tenants"], round(FULL["tenants"] * min(scale * 10, 1))))
    return found


class Generator:
    """Rows per table, in foreign-key order, spread evenly over the tenants."""

    def __init__(self, scale: float, seed: int) -> None:
        self.n = sizes(scale)
        self.rng = random.Random(seed)
        self.tenants = [f"bench{t:02d}" for t in range(self.n["tenants"])]
        self._ids = random.Random(seed + 1)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self._ids.getrandbits(128), version=4)

    def when(self, days: int = 600) -> datetime:
        return EPOCH + timedelta(seconds=self.rng.randrange(days * 86400))

    def tables(self) -> Iterator[tuple[str, list[Row]]]:
        def per(name: str) -> int:
            return max(1, self.n[name] // len(self.tenants))

        for tenant in self.tenants:
            users = [self.new_id() for _ in range(10)]
            yield "users", [
                (u, tenant, f"user{i}@{tenant}.example", f"User {i}",
                 "sales_rep" if i else "sales_manager", f"team{i % 2}", EPOCH, EPOCH)
                for i, u in enumerate(users)
            ]  # fmt: skip
            pipelines, stages = self._pipelines(tenant)
            yield "pipelines", pipelines
            yield "pipeline_stages", stages
            accounts = self._accounts(tenant, per("accounts"), users)
            yield "accounts", accounts
            contacts = self._contacts(tenant, per("contacts"), accounts, users)
            yield "contacts", contacts
            yield "leads", self._leads(tenant, per("leads"), users)
            deals, changes = self._deals(tenant, per("deals"), stages, contacts, users)
            yield "deals", deals
            yield "deal_stage_changes", changes
            yield from self._activities(tenant, per("activities"), deals, contacts, users)

    def _pipelines(self, tenant: str) -> tuple[list[Row], list[Row]]:
        pipelines: list[Row] = []
        stages: list[Row] = []
        for p in range(2):
            pid = self.new_id()
            pipelines.append((pid, tenant, f"Pipeline {p + 1}", None, EPOCH, EPOCH))
            for i, (name, prob) in enumerate(STAGES):
                stages.append((self.new_id(), tenant, pid, name, i + 1, prob, EPOCH, EPOCH))
        return pipelines, stages

    def _accounts(self, tenant: str, count: int, users: list[uuid.UUID]) -> list[Row]:
        rows: list[Row] = []
        for i in range(count):
            # A fifth are children of an earlier account: hierarchies up to a few levels deep.
            parent = rows[self.rng.randrange(len(rows))][0] if rows and i % 5 == 4 else None
            created = self.when()
            rows.append((self.new_id(), tenant, f"Account {tenant}-{i}", f"https://a{i}.example",
                         self.rng.choice(INDUSTRIES), self.rng.randrange(5, 20000),
                         Decimal(self.rng.randrange(10**5, 10**9)), self.rng.choice(
                             ("PROSPECT", "CUSTOMER", "PARTNER")), parent,
                         self.rng.choice(users), created, created))  # fmt: skip
        return rows

    def _contacts(
        self, tenant: str, count: int, accounts: list[Row], users: list[uuid.UUID]
    ) -> list[Row]:
        rows: list[Row] = []
        for i in range(count):
            account = self.rng.choice(accounts)
            created = self.when()
            rows.append((self.new_id(), tenant, f"First{i}", f"Last{i % 5000}",
                         f"c{i}@{tenant}-{account[4].split()[0].lower()}.example", account[2],
                         self.rng.choice(("CTO", "Head of IT", "COO", "Buyer", "Engineer")),
                         account[0], self.rng.choice(users), created, created))  # fmt: skip
        return rows

    def _leads(self, tenant: str, count: int, users: list[uuid.UUID]) -> list[Row]:
        rows: list[Row] = []
        for i in range(count):
            created = self.when()
            attribution = {"campaign": self.rng.choice(CAMPAIGNS),
                           "utm_source": self.rng.choice(("google", "linkedin", "newsletter")),
                           "utm_medium": self.rng.choice(("cpc", "email", "social"))}  # fmt: skip
            rows.append((self.new_id(), tenant, f"Lead{i}", f"Prospect{i % 3000}",
                         f"l{i}@{tenant}-prospect.example", f"Prospect Co {i % 900}",
                         self.rng.choice(SOURCES), self.rng.choice(
                             ("NEW", "CONTACTED", "QUALIFIED", "UNQUALIFIED")),
                         self.rng.randrange(101), json.dumps(attribution),
                         self.rng.choice(users), created, created))  # fmt: skip
        return rows

    def _deals(
        self, tenant: str, count: int, stages: list[Row], contacts: list[Row],
        users: list[uuid.UUID],
    ) -> tuple[list[Row], list[Row]]:  # fmt: skip
        deals: list[Row] = []
        changes: list[Row] = []
        for i in range(count):
            path_end = self.rng.randrange(len(STAGES))
            pipeline_stages = stages[: len(STAGES)] if i % 3 else stages[len(STAGES) :]
            stage = pipeline_stages[path_end]
            contact = self.rng.choice(contacts)
            created = self.when(500)
            moved = created
            deal_id = self.new_id()
            previous = None
            for step in pipeline_stages[: path_end + 1]:
                changes.append((self.new_id(), tenant, deal_id, previous, step[0],
                                self.rng.choice(users), None if previous else "created",
                                moved, moved))  # fmt: skip
                previous = step[0]
                moved = moved + timedelta(days=self.rng.randrange(1, 30))
            entered = changes[-1][7]
            status = "WON" if stage[5] == 100 else "LOST" if stage[5] == 0 else "ACTIVE"
            closed = entered if status != "ACTIVE" else None
            deals.append((deal_id, tenant, f"Deal {tenant}-{i}",
                          Decimal(self.rng.randrange(1000, 250_000)), "USD", stage[2], stage[0],
                          stage[5], status, created + timedelta(days=self.rng.randrange(30, 200)),
                          closed, contact[0], contact[7], self.rng.choice(users), entered,
                          created, created))  # fmt: skip
        return deals, changes

    def _activities(
        self, tenant: str, count: int, deals: list[Row], contacts: list[Row],
        users: list[uuid.UUID],
    ) -> Iterator[tuple[str, list[Row]]]:  # fmt: skip
        tasks: list[Row] = []
        events: list[Row] = []
        comms: list[Row] = []
        for i in range(count):
            kind, related = ("DEAL", self.rng.choice(deals)) if i % 2 else (
                "CONTACT", self.rng.choice(contacts))  # fmt: skip
            created = self.when()
            if i % 5 in (0, 1):
                tasks.append((self.new_id(), tenant, f"Task {i}", created + timedelta(days=7),
                              self.rng.choice(("LOW", "MEDIUM", "HIGH")), self.rng.choice(
                                  ("PENDING", "COMPLETED")), self.rng.choice(users), kind,
                              related[0], created, created))  # fmt: skip
            elif i % 5 == 2:
                start = created + timedelta(days=3)
                events.append((self.new_id(), tenant, f"Meeting {i}", start,
                               start + timedelta(minutes=45), kind, related[0], created,
                               created))  # fmt: skip
            else:
                comms.append((self.new_id(), tenant, self.rng.choice(("EMAIL", "CALL", "NOTE")),
                               "OUTBOUND", f"Subject {i}", "Content", created, kind, related[0],
                               created, created))  # fmt: skip
        yield "tasks", tasks
        yield "events", events
        yield "communications", comms


async def load(
    engine: AsyncEngine,
    *,
    scale: float = 1.0,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """COPY the data set into the (migrated, PostgreSQL) database of engine."""
    if engine.dialect.name != "postgresql":
        raise ValueError("seed --scale writes with COPY and needs PostgreSQL (DATABASE_URL)")
    report = Report()
    started = time.monotonic()
    generator = Generator(scale, seed)
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
