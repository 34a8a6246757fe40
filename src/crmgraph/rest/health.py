"""GET /health (readiness, for anyone), GET /health/details and GET /metrics (system admins).

The plain answer says only whether every dependency answers; which dependencies there are,
where they live and which versions they run names the infrastructure, so that part needs
the system-wide `*` permission of a system admin (a tenant admin's `tenant:*` is not enough),
as do the outbox consumers' lag and dead letters (crmgraph.events.consumers.metrics), given in
the details and as Prometheus text at /metrics.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmgraph.auth.needs import ROUTES
from crmgraph.health import status_of
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.metrics import exposition
from crmgraph.runtime import Runtime


def health_routes(runtime: Runtime) -> list[Route]:
    async def health(request: Request) -> JSONResponse:
        ok = await runtime.ready()
        status, code = status_of(ok)
        return JSONResponse(envelope(request, {"status": status}, success=ok), status_code=code)

    async def details(request: Request) -> JSONResponse:
        await scope_of(request, runtime, needs=ROUTES["GET /health/details"])
        checks = await runtime.health()
        ok = all(c.ok for c in checks)
        status, code = status_of(ok)
        data = {
            "status": status,
            "mode": runtime.settings.mode.value,
            "services": {
                c.service: {"status": "up" if c.ok else "down", "url": c.url, "detail": c.detail}
                for c in checks
            },
            "consumers": {
                lag.consumer: {
                    "pending": lag.pending,
                    "oldest_pending_seconds": lag.oldest_pending_seconds,
                    "dead": lag.dead,
                }
                for lag in await runtime.consumer_lag()
            },
        }
        return JSONResponse(envelope(request, data, success=ok), status_code=code)

    async def metrics(request: Request) -> Response:
        await scope_of(request, runtime, needs=ROUTES["GET /metrics"])
        return Response(exposition(await runtime.consumer_lag()), media_type=PROMETHEUS_TEXT)

    return [
        Route("/health", health),
        Route("/health/details", details),
        Route("/metrics", metrics),
    ]


PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
