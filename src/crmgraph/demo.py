"""The demo data set (tenant `demo`), written through the domain functions like any client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crmgraph import demo_integrations, demo_leads
from crmgraph.config import Settings
from crmgraph.db import models
from crmgraph.db.scoping import Scope, scoped
from crmgraph.demo_marketing import load_marketing
from crmgraph.demo_sales import load_sales_history
from crmgraph.domain import accounts, activities, contacts, deals, pipelines
from crmgraph.domain.automation_rules import AutomationRule, RuleAction, RuleCondition

DEMO_TENANT = "demo"

STAGES = (
    ("Lead", 10),
    ("Qualification", 25),
    ("Proposal", 50),
    ("Negotiation", 75),
    ("Closed Won", 100),
    ("Closed Lost", 0),
)

# (name, industry, employees, parent name)
ACCOUNTS = (
    ("Northwind Holdings", "Technology", 5200, None),
    ("Northwind Cloud", "Technology", 900, "Northwind Holdings"),
    ("Northwind Security", "Technology", 310, "Northwind Holdings"),
    ("Globex MSP", "Managed Services", 1400, None),
    ("Globex Europe", "Managed Services", 260, "Globex MSP"),
    ("Initech", "Manufacturing", 780, None),
)

# (first, last, title, account)
CONTACTS = (
    ("Ada", "Lovelace", "CTO", "Northwind Holdings"),
    ("Grace", "Hopper", "VP Engineering", "Northwind Cloud"),
    ("Alan", "Turing", "Security Lead", "Northwind Security"),
    ("Katherine", "Johnson", "Head of IT", "Globex MSP"),
    ("Edsger", "Dijkstra", "Service Manager", "Globex Europe"),
    ("Barbara", "Liskov", "COO", "Initech"),
    ("Linus", "Torvalds", "Procurement", "Initech"),
)

# (title, value, stage, contact last name)
DEALS = (
    ("Managed backup for Northwind", 48000, "Qualification", "Lovelace"),
    ("Cloud migration phase 1", 125000, "Proposal", "Hopper"),
    ("SOC monitoring renewal", 36000, "Negotiation", "Turing"),
    ("Helpdesk outsourcing", 90000, "Lead", "Johnson"),
    ("EU data-residency add-on", 22000, "Proposal", "Dijkstra"),
    ("Factory network refresh", 67000, "Closed Won", "Liskov"),
    ("Endpoint licences", 15000, "Qualification", "Torvalds"),
)


async def is_loaded(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        stmt = scoped(select(func.count()), models.Account, DEMO_TENANT)
        return bool(await session.scalar(stmt))


async def load_demo(
    sessions: async_sessionmaker[AsyncSession], settings: Settings | None = None
) -> bool:
    """Load the demo tenant unless it already has data. Returns whether it loaded. With the
    settings of the local embedded demo (Settings.is_local_demo) also its Zoho organisation,
    received Zoho events and outbound webhook, whose secrets are known (demo_integrations);
    without, or anywhere else, not those."""
    integrations = settings is not None and demo_integrations.allowed(settings)
    if await is_loaded(sessions):
        return False
    async with sessions() as session, session.begin():
        admin = models.User(
            tenant_id=DEMO_TENANT,
            email="admin@demo.example",
            name="Demo Admin",
            role="tenant_admin",
        )
        rep = models.User(
            tenant_id=DEMO_TENANT,
            email="rep@demo.example",
            name="Sam Seller",
            role="sales_rep",
            specializations=["smb", "manufacturing"],
        )
        session.add_all([admin, rep])
        await session.flush()
        scope = Scope(tenant_id=DEMO_TENANT, user_id=admin.id, roles=("tenant_admin",))
        if integrations and settings is not None:
            await demo_integrations.receive_early(session, scope, settings)
        await _load(session, scope, rep.id)
        if integrations and settings is not None:
            await demo_integrations.receive_late(session, scope, settings)
    return True


def stage_rules(rep_id: UUID) -> dict[str, tuple[AutomationRule, ...]]:
    """The API design's two automation examples (README: Stage automation): a deal moved into
    Qualification gets a call task due next day; one over 10,000 moved into Proposal goes
    to the rep with a review task due in 24 hours."""
    return {
        "Qualification": (
            AutomationRule(trigger="stage_entered", action="create_task",
                           parameters={"title": "Qualification call", "dueInDays": 1}),
        ),
        "Proposal": (
            AutomationRule(
                trigger="deal_entered_stage",
                conditions=(RuleCondition(field="value", operator="greater_than", value=10000),),
                actions=(
                    RuleAction(type="assign_user", parameters={"userId": str(rep_id)}),
                    RuleAction(type="create_task", parameters={
                        "title": "High-value deal review", "dueInHours": 24}),
                ),
            ),
        ),
    }  # fmt: skip


async def _load(session: AsyncSession, scope: Scope, rep_id: UUID) -> None:
    rules = stage_rules(rep_id)
    pipeline, stages = await pipelines.create_pipeline(
        session,
        scope=scope,
        data=pipelines.NewPipeline(
            name="Sales Pipeline",
            description="Standard MSP sales process",
            stages=tuple(
                pipelines.NewStage(
                    name=name, order=i + 1, probability=p, automation_rules=rules.get(name, ())
                )
                for i, (name, p) in enumerate(STAGES)
            ),
        ),
    )
    stage_ids = {stage.name: stage.id for stage in stages}
    account_ids: dict[str, UUID] = {}
    for name, industry, employees, parent in ACCOUNTS:
        account = await accounts.create_account(
            session,
            scope=scope,
            data=accounts.NewAccount(
                name=name,
                industry=industry,
                employees=employees,
                type="CUSTOMER" if parent is None else "PROSPECT",
                parent_account_id=account_ids.get(parent) if parent else None,
                website=f"https://{name.lower().replace(' ', '-')}.example",
            ),
        )
        account_ids[name] = account.id
    contact_ids: dict[str, UUID] = {}
    for first, last, title, account_name in CONTACTS:
        contact = await contacts.create_contact(
            session,
            scope=scope,
            data=contacts.NewContact(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}@{account_name.split()[0].lower()}.example",
                job_title=title,
                account_id=account_ids[account_name],
            ),
        )
        contact_ids[last] = contact.id
    now = datetime.now(UTC).replace(microsecond=0)
    for i, (title, value, stage, contact_last) in enumerate(DEALS):
        deal = await deals.create_deal(
            session,
            scope=scope,
            data=deals.NewDeal(
                title=title,
                value=value,
                pipeline_id=pipeline.id,
                stage_id=stage_ids[stage],
                contact_id=contact_ids[contact_last],
                expected_close_date=now + timedelta(days=14 * (i + 1)),
            ),
        )
        ref = activities.RelatedRef(type="DEAL", id=deal.id)
        await activities.create_task(
            session,
            scope=scope,
            data=activities.NewTask(
                title=f"Follow up: {title}",
                due_date=now + timedelta(days=i - 2),
                priority="HIGH" if value > 50000 else "MEDIUM",
                assigned_to_id=rep_id,
                related_to=ref,
            ),
        )
        if i % 2 == 0:
            start = now + timedelta(days=i + 1, hours=10)
            await activities.create_event(
                session,
                scope=scope,
                data=activities.NewEvent(
                    title=f"Demo call: {title}",
                    start_time=start,
                    end_time=start + timedelta(minutes=45),
                    location="Video call",
                    attendee_ids=(rep_id,),
                    related_to=ref,
                ),
            )
    await demo_leads.load_leads(session, scope)
    await load_marketing(session, scope, won_contact=contact_ids["Liskov"], stages=stage_ids)
    await demo_leads.score_leads(session, scope)
    await load_sales_history(session, scope, pipeline_id=pipeline.id, stages=stage_ids)
    await demo_leads.route_leads(session, scope)
