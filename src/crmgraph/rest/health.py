"""GET /health (every dependency, for anyone), GET /livez and GET /readyz (the probes of
crmgraph.probes, for anyone), GET /health/details and GET /metrics (system admins).

The plain answer says only whether every dependency answers; which dependencies there are,
where they live and which versions they run names the infrastructure, so that part needs
the system-wide `*` permission of a system admin (a tenant admin's `tenant:*` is not enough),
as do the outbox consumers' lag and dead letters (crmgraph.events.consumers.metrics), given in
the details and as Prometheus text at /metrics (crmgraph.rest.metrics).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crmgraph import __version__, probes
from crmgraph.auth.route_needs import ROUTES
from crmgraph.health import status_of
from crmgraph.probes import LIVE_PATH, READY_PATH
from crmgraph.rest.auth import scope_of
from crmgraph.rest.envelope import envelope
from crmgraph.rest.metrics import exposition
from crmgraph.rest.operations import Operation, Reply
from crmgraph.runtime import Runtime
from crmgraph.webhooks.queue_metrics import webhook_queue

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
Ready = Literal["ok", "unavailable"]
Probe = Literal["ok", "unavailable", "draining"]


class Health(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Ready


class ProbeStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Probe


class ServiceStatus(BaseModel):
    status: Literal["up", "down"]
    url: str
    detail: str


class ConsumerLagStatus(BaseModel):
    pending: int
    oldest_pending_seconds: float
    dead: int


class HealthDetails(BaseModel):
    """001's health answer (status, version, timestamp, services) for an admin, with each
    service's address and version and the outbox consumers' lag."""

    status: Ready
    version: str
    timestamp: datetime
    mode: Literal["embedded", "full"]
    services: dict[str, ServiceStatus]
    consumers: dict[str, ConsumerLagStatus]


def health_operations(runtime: Runtime) -> list[Operation]:
    async def health(request: Request) -> JSONResponse:
        ok = await runtime.ready()
        status, code = status_of(ok)
        data = Health.model_validate({"status": status})
        return JSONResponse(envelope(request, data.model_dump(), success=ok), status_code=code)

    async def live(request: Request) -> JSONResponse:
        return JSONResponse(envelope(request, {"status": "ok"}))

    async def ready(request: Request) -> JSONResponse:
        status, code = await probes.readiness(runtime)
        data = ProbeStatus.model_validate({"status": status}).model_dump()
        return JSONResponse(envelope(request, data, success=code == 200), status_code=code)

    async def details(request: Request) -> JSONResponse:
        await scope_of(request, runtime, needs=ROUTES["GET /health/details"])
        checks = await runtime.health()
        ok = all(c.ok for c in checks)
        data = HealthDetails(
            status=status_of(ok)[0],
            version=__version__,
            timestamp=datetime.now(UTC),
            mode=runtime.settings.mode.value,
            services={
                c.service: ServiceStatus(status="up" if c.ok else "down", url=c.url,
                                         detail=c.detail)
                for c in checks
            },
            consumers={
                lag.consumer: ConsumerLagStatus(pending=lag.pending, dead=lag.dead,
                                                oldest_pending_seconds=lag.oldest_pending_seconds)
                for lag in await runtime.consumer_lag()
            },
        )  # fmt: skip
        body = envelope(request, data.model_dump(mode="json"), success=ok)
        return JSONResponse(body, status_code=status_of(ok)[1])

    async def metrics(request: Request) -> Response:
        await scope_of(request, runtime, needs=ROUTES["GET /metrics"])
        async with runtime.read_sessions() as session:
            queue = await webhook_queue(session)
        body = exposition(await runtime.consumer_lag(), queue)
        return Response(body, media_type=PROMETHEUS_TEXT)

    def readiness(model: type[BaseModel]) -> dict[int, Reply]:
        return {200: Reply("Every dependency answers", model),
                503: Reply("At least one dependency does not answer", model)}  # fmt: skip

    return [
        Operation("GET", "/health", health, name="health", replies=readiness(Health),
                  summary="Readiness, for anyone: does every dependency answer?"),
        Operation("GET", LIVE_PATH, live, name="liveness",
                  replies={200: Reply("The process answers", ProbeStatus)},
                  summary="Liveness, for anyone: the process's event loop answers"),
        Operation("GET", READY_PATH, ready, name="readiness",
                  replies={200: Reply("PostgreSQL answers and the process is not draining",
                                      ProbeStatus),
                           503: Reply("PostgreSQL does not answer (unavailable), or the "
                                      "process is shutting down (draining)", ProbeStatus)},
                  summary="Readiness, for anyone: may this process be sent requests?"),
        Operation("GET", "/health/details", details, name="healthDetails",
                  replies=readiness(HealthDetails),
                  summary="Each dependency's status, address (password masked) and version, "
                  "and the outbox consumers' lag; system admins only"),
        Operation("GET", "/metrics", metrics, name="metrics",
                  replies={200: Reply("Prometheus text format 0.0.4", schema={"type": "string"},
                                      media_type="text/plain", enveloped=False)},
                  summary="Prometheus metrics (crmgraph.rest.metrics); system admins only"),
    ]  # fmt: skip
