"""GET /health (readiness, for anyone) and GET /health/details (system admins only).

The plain answer says only whether every dependency answers; which dependencies there are,
where they live and which versions they run names the infrastructure, so that part needs
the system-wide `*` permission of a system admin (a tenant admin's `tenant:*` is not enough).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmgraph.auth.needs import ROUTES
from crmgraph.health import status_of
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
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
        }
        return JSONResponse(envelope(request, data, success=ok), status_code=code)

    return [Route("/health", health), Route("/health/details", details)]
