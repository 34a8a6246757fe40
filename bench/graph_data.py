"""`make bench-graph`'s data set: one tenant's account hierarchy, deals, leads, contacts,
campaigns and touchpoints, generated from a seed and written with COPY (not one domain call
per row: this is bulk loading, not traffic). The generator also keeps the truth the
benchmark checks the hierarchy answers against (parents, deal values), computed here in
Python, independently of both GraphStore adapters.

Shape (defaults): 10,000 accounts in trees under a few roots, each account 0-4 children
(mean 1.9) down to depth MAX_LEVEL, new roots only when a tree stops growing; an ACTIVE deal
on most accounts; LEADS leads with 1-7 touchpoints each, of which CONVERT_SHARE converted
into a contact and a deal (mostly closed WON or LOST in the year); a third of the converted
contacts with touches of their own after conversion; touchpoints filled to TOUCHPOINTS.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

MAX_LEVEL = 9  # roots are level 0: depth up to 9 below a root
CHILDREN = (0, 1, 2, 3, 4)
CHILD_WEIGHTS = (20, 20, 25, 20, 15)  # mean 1.9 children
CONVERT_SHARE = 0.4
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
# (name, type, utm_source, utm_medium, channel)
CAMPAIGNS = (
    ("Cloud Migration Ads", "google_ads", "google", "cpc", "paid_search"),
    ("MSP Newsletter", "email", "newsletter", "email", "email"),
    ("Trade Show Berlin", "event", "tradeshow", "event", "events"),
    ("Partner Webinar", "webinar", "partner", "referral", "referral"),
    ("LinkedIn Outreach", "social", "linkedin", "social", "paid_social"),
    ("SEO Evergreen", "content", "google", "organic", "organic_search"),
)
STAGES = (("Lead", 10), ("Proposal", 50), ("Closed Won", 100), ("Closed Lost", 0))
Row = tuple[Any, ...]
COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "tenant_id", "email", "name", "role", "created_at", "updated_at"),
    "pipelines": ("id", "tenant_id", "name", "created_at", "updated_at"),
    "pipeline_stages": ("id", "tenant_id", "pipeline_id", "name", "position", "probability",
                        "created_at", "updated_at"),
    "accounts": ("id", "tenant_id", "name", "industry", "type", "parent_account_id",
                 "owner_id", "created_at", "updated_at"),
    "leads": ("id", "tenant_id", "first_name", "last_name", "email", "source", "status",
              "score", "owner_id", "created_at", "updated_at"),
    "contacts": ("id", "tenant_id", "first_name", "last_name", "email", "account_id",
                 "owner_id", "lead_id", "created_at", "updated_at"),
    "deals": ("id", "tenant_id", "title", "value", "currency", "pipeline_id", "stage_id",
              "probability", "status", "actual_close_date", "contact_id", "account_id",
              "owner_id", "stage_entered_at", "created_at", "updated_at"),
    "campaigns": ("id", "tenant_id", "name", "type", "budget", "status", "created_at",
                  "updated_at"),
    "touchpoints": ("id", "tenant_id", "lead_id", "contact_id", "campaign_id", "utm_source",
                    "utm_medium", "utm_campaign", "landing_page", "channel", "occurred_at",
                    "created_at", "updated_at"),
}  # fmt: skip
# Columns set after the rows they point at exist (leads <-> contacts <-> deals).
CONVERSIONS = ("converted_at", "converted_contact_id", "converted_account_id",
               "converted_deal_id", "status")  # fmt: skip


@dataclass
class Truth:
    """What the answers must be, from the generated rows."""

    parent: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    level: dict[uuid.UUID, int] = field(default_factory=dict)
    active_value: dict[uuid.UUID, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    won_revenue: Decimal = Decimal(0)
    won: int = 0
    closed: int = 0

    def children(self) -> dict[uuid.UUID, list[uuid.UUID]]:
        found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for child, parent in self.parent.items():
            if parent is not None:
                found[parent].append(child)
        return found


@dataclass
class Sizes:
    accounts: int = 10_000
    leads: int = 25_000
    touchpoints: int = 100_000


class GraphData:
    """The rows of one tenant, table by table in foreign-key order, and their truth."""

    def __init__(self, tenant: str, sizes: Sizes, seed: int = 14) -> None:
        self.tenant, self.sizes = tenant, sizes
        self.rng = random.Random(seed)
        self._ids = random.Random(seed + 1)
        self.truth = Truth()
        self.rows: dict[str, list[Row]] = {}
        self.conversions: list[Row] = []  # (lead id, *CONVERSIONS values)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self._ids.getrandbits(128), version=4)

    def at(self, start: datetime = EPOCH, span: timedelta = YEAR) -> datetime:
        return start + timedelta(seconds=self.rng.randrange(int(span.total_seconds())))

    def build(self) -> GraphData:
        t = self.tenant
        users = [self.new_id() for _ in range(5)]
        self.rows["users"] = [(u, t, f"user{i}@{t}.example", f"User {i}", "sales_rep",
                               EPOCH, EPOCH) for i, u in enumerate(users)]  # fmt: skip
        pipeline = self.new_id()
        stages = {name: (self.new_id(), prob) for name, prob in STAGES}
        self.rows["pipelines"] = [(pipeline, t, "Sales", EPOCH, EPOCH)]
        self.rows["pipeline_stages"] = [
            (sid, t, pipeline, name, i + 1, prob, EPOCH, EPOCH)
            for i, (name, (sid, prob)) in enumerate(stages.items())
        ]
        accounts = self._accounts(users)
        campaigns = [(self.new_id(), t, name, kind, Decimal(self.rng.randrange(2, 50) * 1000),
                      "ACTIVE", EPOCH, EPOCH) for name, kind, *_ in CAMPAIGNS]  # fmt: skip
        self.rows["campaigns"] = campaigns
        leads, contacts, deals, touches = [], [], [], []
        for i in range(self.sizes.leads):
            lead, created = self.new_id(), self.at()
            leads.append((lead, t, f"Lead{i}", f"Prospect{i}", f"l{i}@{t}.example", "Website",
                          "CONTACTED", self.rng.randrange(101), self.rng.choice(users),
                          created, created))  # fmt: skip
            first = created - timedelta(days=self.rng.randrange(1, 60))
            for _ in range(self.rng.randrange(1, 8)):
                touches.append(self._touch(lead, None, self.at(first, created - first)))
            if self.rng.random() >= CONVERT_SHARE:
                continue
            converted = created + timedelta(days=self.rng.randrange(1, 30))
            account = self.rng.choice(accounts)
            contact, deal = self.new_id(), self.new_id()
            contacts.append((contact, t, f"Lead{i}", f"Prospect{i}", f"l{i}@{t}.example", account,
                             self.rng.choice(users), lead, converted, converted))  # fmt: skip
            deals.append(self._deal(deal, contact, account, converted, stages, pipeline, users))
            self.conversions.append((lead, converted, contact, account, deal, "CONVERTED"))
            if self.rng.random() < 1 / 3:
                for _ in range(self.rng.randrange(1, 4)):
                    touches.append(self._touch(None, contact, self.at(converted, YEAR / 4)))
        while len(touches) < self.sizes.touchpoints:  # the rest on random leads
            lead_row = self.rng.choice(leads)
            touches.append(
                self._touch(lead_row[0], None, self.at(lead_row[9] - YEAR / 8, YEAR / 8))
            )
        for account in accounts:  # an open deal on most accounts: the rollup's values
            if self.rng.random() < 0.8:
                deals.append(self._deal(self.new_id(), None, account, self.at(), stages, pipeline,
                                        users, status="ACTIVE"))  # fmt: skip
        self.rows.update(leads=leads, contacts=contacts, deals=deals,
                         touchpoints=touches[: self.sizes.touchpoints])  # fmt: skip
        return self

    def _accounts(self, users: list[uuid.UUID]) -> list[uuid.UUID]:
        rows: list[Row] = []
        queue: list[tuple[uuid.UUID, int]] = []
        while len(rows) < self.sizes.accounts:
            if not queue:  # a new root when every tree stopped growing
                queue.append((self._account(rows, None, 0, users), 0))
            parent, level = queue.pop(0)
            if level >= MAX_LEVEL:
                continue
            for _ in range(self.rng.choices(CHILDREN, CHILD_WEIGHTS)[0]):
                if len(rows) >= self.sizes.accounts:
                    break
                queue.append((self._account(rows, parent, level + 1, users), level + 1))
        self.rows["accounts"] = rows
        return [r[0] for r in rows]

    def _account(self, rows: list[Row], parent: uuid.UUID | None, level: int,
                 users: list[uuid.UUID]) -> uuid.UUID:  # fmt: skip
        account, created = self.new_id(), self.at(EPOCH - YEAR)
        rows.append((account, self.tenant, f"Account {len(rows)}", "Technology", "CUSTOMER",
                     parent, self.rng.choice(users), created, created))  # fmt: skip
        self.truth.parent[account], self.truth.level[account] = parent, level
        return account

    def _deal(self, deal: uuid.UUID, contact: uuid.UUID | None, account: uuid.UUID,
              created: datetime, stages: dict[str, tuple[uuid.UUID, int]], pipeline: uuid.UUID,
              users: list[uuid.UUID], status: str | None = None) -> Row:  # fmt: skip
        value = Decimal(self.rng.randrange(100_000, 25_000_000)) / 100
        status = status or self.rng.choices(("WON", "LOST", "ACTIVE"), (40, 40, 20))[0]
        closed = created + timedelta(days=self.rng.randrange(1, 90)) if status != "ACTIVE" else None
        stage = {"WON": "Closed Won", "LOST": "Closed Lost"}.get(status, "Proposal")
        if status == "ACTIVE":
            self.truth.active_value[account] += value
        else:
            self.truth.closed += 1
        if status == "WON":
            self.truth.won += 1
            self.truth.won_revenue += value
        sid, prob = stages[stage]
        return (deal, self.tenant, f"Deal {deal.hex[:8]}", value, "USD", pipeline, sid, prob,
                status, closed, contact, account, self.rng.choice(users), closed or created,
                created, created)  # fmt: skip

    def _touch(self, lead: uuid.UUID | None, contact: uuid.UUID | None, when: datetime) -> Row:
        index = self.rng.randrange(len(CAMPAIGNS))
        name, _, source, medium, channel = CAMPAIGNS[index]
        campaign = self.rows["campaigns"][index][0]
        return (self.new_id(), self.tenant, lead, contact, campaign, source, medium,
                name.lower().replace(" ", "_"), "https://bench.example/landing", channel, when,
                when, when)  # fmt: skip

    def tables(self) -> Iterator[tuple[str, list[Row]]]:
        for table in COLUMNS:
            yield table, self.rows.get(table, [])


async def copy(driver: Any, data: GraphData) -> dict[str, int]:
    """COPY every table in one transaction (asyncpg connection), then the leads' conversions
    in one UPDATE from a COPYed temporary table."""
    counts: dict[str, int] = {}
    async with driver.transaction():
        for table, rows in data.tables():
            await driver.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))
            counts[table] = len(rows)
        await driver.execute("CREATE TEMPORARY TABLE bench_conversions (lead_id uuid, "
                             "converted_at timestamptz, contact_id uuid, account_id uuid, "
                             "deal_id uuid, status text) ON COMMIT DROP")  # fmt: skip
        await driver.copy_records_to_table("bench_conversions", records=data.conversions)
        await driver.execute("UPDATE leads SET converted_at = c.converted_at, converted_contact_id"
                             " = c.contact_id, converted_account_id = c.account_id, "
                             "converted_deal_id = c.deal_id, status = c.status "
                             "FROM bench_conversions c WHERE leads.id = c.lead_id")  # fmt: skip
    return counts
