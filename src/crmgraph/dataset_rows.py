"""The benchmark data set's rows: a seeded generator, table by table in foreign-key order.

The same scale and seed give the same rows. Each deal's stage history is one chain through
its pipeline's stages in order (the first change comes from no stage); a lost deal leaves the
chain from one of the open stages for Closed Lost, so it never passes through Closed Won. A
deal is WON or LOST when its stage's probability is 100 or 0. crmgraph.dataset writes the
rows with COPY.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

FULL = {"tenants": 10, "accounts": 20_000, "contacts": 100_000, "leads": 60_000,
        "deals": 200_000, "activities": 500_000}  # fmt: skip
STAGES = (("Lead", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75),
          ("Closed Won", 100), ("Closed Lost", 0))  # fmt: skip
INDUSTRIES = ("Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Education",
              "Managed Services", "Logistics")  # fmt: skip
SOURCES = ("Website Form", "Referral", "Trade Show", "Zoho One", "Webinar", "Cold Call")
CAMPAIGNS = ("spring-launch", "msp-summit", "partner-webinar", "q3-outbound", "seo-evergreen")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
Row = tuple[Any, ...]


def sizes(scale: float, tenants: int | None = None) -> dict[str, int]:
    """Row counts of the scale, spread over `tenants` (default: 10 at scale 0.1 and above)."""
    found = {name: max(1, int(count * scale)) for name, count in FULL.items()}
    found["tenants"] = max(1, min(FULL["tenants"], round(FULL["tenants"] * min(scale * 10, 1))))
    if tenants is not None:
        if tenants < 1:
            raise ValueError("--tenants must be at least 1")
        found["tenants"] = tenants
    return found


class Generator:
    """Rows per table, in foreign-key order, spread evenly over the tenants."""

    def __init__(self, scale: float, seed: int, tenants: int | None = None) -> None:
        self.n = sizes(scale, tenants)
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
            path = pipeline_stages[: path_end + 1]
            if stage[5] == 0:  # lost from one of the open stages, never after Closed Won
                path = [*pipeline_stages[: self.rng.randrange(1, len(STAGES) - 1)], stage]
            contact = self.rng.choice(contacts)
            created = self.when(500)
            moved = created
            deal_id = self.new_id()
            previous = None
            for step in path:
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
