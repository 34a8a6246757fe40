"""The benchmark data set: COPY into PostgreSQL and readable through the API (the generation
rules, reproducibility included, are tests/unit/test_dataset_rows.py)."""

from __future__ import annotations

from sqlalchemy import text

from crmgraph.config import Settings
from crmgraph.dataset import load
from crmgraph.dataset_rows import sizes
from crmgraph.db.engine import create_engine
from tests.stack import Stack


async def test_load_copies_every_table(pg_settings: Settings, stack: Stack) -> None:
    engine = create_engine(pg_settings)
    try:
        report = await load(engine, scale=0.002, seed=3)
        async with engine.connect() as conn:
            deals = (
                await conn.execute(text("SELECT count(*) FROM deals WHERE tenant_id LIKE 'bench%'"))
            ).scalar_one()
            orphans = (await conn.execute(text(
                "SELECT count(*) FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id "
                "WHERE d.tenant_id LIKE 'bench%' AND c.id IS NULL"))).scalar_one()  # fmt: skip
    finally:
        await engine.dispose()
    n = sizes(0.002)

    assert report.rows["deals"] == deals == n["deals"] // n["tenants"] * n["tenants"]
    assert orphans == 0
    assert report.rows["deal_stage_changes"] >= report.rows["deals"]
    assert report.rows_per_second > 0
    body = stack.graphql(
        '{ deals(first: 1, filter: {stage: {eq: "proposal"}}) { totalCount } }', tenant="bench00"
    ).json()
    assert body["data"]["deals"]["totalCount"] > 0
