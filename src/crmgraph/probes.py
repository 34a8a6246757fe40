"""Liveness and readiness of a process, the same on every subgraph, the REST shim and the
worker (README, Health): /livez answers 200 while the event loop runs; /readyz answers 200
while the process can serve, that is while PostgreSQL answers (within READY_TIMEOUT) and it
is not draining after SIGTERM, else 503. Redis and Neo4j are not asked: without them
queries go on (rate limits fail open, graph reads fall back to SQL), so an orchestrator must
not take a process out of service for them. /health asks every dependency (crmgraph.health)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmgraph.db import engine as db_engine
from crmgraph.errors import ServiceUnavailable
from crmgraph.runtime import Runtime

LIVE_PATH = "/livez"
READY_PATH = "/readyz"
# A readiness probe must answer before the orchestrator's own timeout (Kubernetes: 1 s by
# default, compose's healthcheck 30 s): a database that takes longer counts as down.
READY_TIMEOUT = 2.0


async def readiness(runtime: Runtime) -> tuple[str, int]:
    """("ok", 200), ("draining", 503) or ("unavailable", 503)."""
    if runtime.lifecycle.draining:
        return "draining", 503
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await db_engine.ping(runtime.read_engine)
    except (ServiceUnavailable, TimeoutError):
        return "unavailable", 503
    return "ok", 200


def probe_routes(runtime: Runtime) -> list[Route]:
    """/livez and /readyz with a bare {"status": ...} body: a subgraph's and the worker's."""

    async def live(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> JSONResponse:
        status, code = await readiness(runtime)
        return JSONResponse({"status": status}, status_code=code)

    return [Route(LIVE_PATH, live), Route(READY_PATH, ready)]
