"""The SQL floor of `make bench` (issue 6, target `sql`): the two reads the benchmark asks of
crmgraph, answered with one hand-written SQL statement each over asyncpg, behind a bare
Starlette app (run by bench/run.py as one uvicorn worker).

POST /deal   {"id": "<uuid>", "tenant": "bench00"} -> {"data": {"deal": {...}}}
POST /deals  {"tenant": "bench00"}                 -> {"data": {"deals": [50 x {...}]}}

The shapes mirror the GraphQL answers (same fields, tenant filter, oldest-first order), so
the difference to crmgraph is what GraphQL, federation and the ORM cost on top of the SQL.
DATABASE_URL (SQLAlchemy or libpq form) names the database; FLOOR_POOL_SIZE the pool.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DEAL_BY_ID = """
SELECT d.id::text AS id, d.title, d.value::text AS value, s.name AS stage, d.probability
FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id
WHERE d.id = $1::uuid AND d.tenant_id = $2
"""

DEALS_PAGE = """
SELECT d.title, d.value::text AS value, s.name AS stage,
       c.first_name || ' ' || c.last_name AS contact_name, c.email AS contact_email,
       ca.name AS contact_account_name, a.name AS account_name, a.industry AS account_industry
FROM deals d
JOIN pipeline_stages s ON s.id = d.stage_id
LEFT JOIN contacts c ON c.id = d.contact_id
LEFT JOIN accounts ca ON ca.id = c.account_id
LEFT JOIN accounts a ON a.id = d.account_id
WHERE d.tenant_id = $1
ORDER BY d.created_at, d.id
LIMIT 50
"""

POOL: dict[str, asyncpg.Pool] = {}


def _dsn() -> str:
    return os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("FLOOR_POOL_SIZE", "10"))
    POOL["db"] = await asyncpg.create_pool(_dsn(), min_size=size, max_size=size)
    try:
        yield
    finally:
        await POOL["db"].close()


def _json(document: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(document, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
    )


async def deal(request: Request) -> Response:
    body = await request.json()
    row = await POOL["db"].fetchrow(DEAL_BY_ID, body["id"], body["tenant"])
    return _json({"data": {"deal": dict(row) if row else None}})


async def deals(request: Request) -> Response:
    body = await request.json()
    rows = await POOL["db"].fetch(DEALS_PAGE, body["tenant"])
    page = [
        {
            "title": r["title"],
            "value": r["value"],
            "stage": r["stage"],
            "contact": None
            if r["contact_name"] is None
            else {
                "fullName": r["contact_name"],
                "email": r["contact_email"],
                "account": None
                if r["contact_account_name"] is None
                else {"name": r["contact_account_name"]},
            },
            "account": None
            if r["account_name"] is None
            else {"name": r["account_name"], "industry": r["account_industry"]},
        }
        for r in rows
    ]
    return _json({"data": {"deals": page}})


async def health(request: Request) -> Response:
    return _json({"status": "ok"})


app = Starlette(
    routes=[
        Route("/deal", deal, methods=["POST"]),
        Route("/deals", deals, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ],
    lifespan=lifespan,
)
