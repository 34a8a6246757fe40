"""The REST shim's outermost middleware: every request gets an X-Request-ID (echoed on its
response, whatever answers it: a route, an error, the body limit's 413, the rate limiter's
429, CORS), one log line and its count and latency in crmgraph.rest.metrics.

An exception no handler turned into a response is answered here as the usual error envelope
(500, INTERNAL_SERVER_ERROR, no detail) carrying the request id, and logged with it; it is
then re-raised, so the server still logs its traceback. A database that does not answer is
no such fault: 503 SERVICE_UNAVAILABLE with Retry-After, whichever layer found it down. Nor
is a client that disconnects before its body has arrived: status 499, no traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmgraph.db.errors import is_unreachable
from crmgraph.errors import DomainError, ErrorCode, dependency_down
from crmgraph.rest.errors import error_response
from crmgraph.rest.metrics import UNMATCHED, observe_request
from crmgraph.rest.request_id import HEADER, assign

log = logging.getLogger("crmgraph.rest.requests")
CLIENT_CLOSED = 499


def route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The template of the route that answered (`/api-keys/{key_id}`), or of the route the
    path belongs to when a middleware answered first; UNMATCHED for paths of no route, so a
    scan of random paths does not make a series per path."""
    route = scope.get("route")
    if route is None:
        route = next((r for r in routes if r.matches(scope)[0] is not Match.NONE), None)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = assign(scope)
        started = time.perf_counter()
        status = 500
        responded = False

        async def sending(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = int(message["status"]), True
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ClientDisconnect:
            # The client went away before its body arrived (a truncated body, a dropped
            # connection): there is no one to answer and nothing failed here. Counted and
            # logged as 499, nginx's "client closed request", without a traceback.
            status = CLIENT_CLOSED
        except Exception as exc:
            if is_unreachable(exc) and not responded:
                # Not a fault of ours: 503 SERVICE_UNAVAILABLE with Retry-After, no traceback.
                log.warning("request %s: database unavailable: %s", request_id, exc)
                down = dependency_down("PostgreSQL")
                await error_response(Request(scope), down)(scope, receive, sending)
                return
            log.exception("request %s failed", request_id)
            if not responded:  # a started response cannot be replaced
                error = DomainError(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error")
                await error_response(Request(scope), error)(scope, receive, sending)
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope, self.routes)
            observe_request(scope["method"], route, status, seconds)
            # The template, not the raw path: a client's bytes never reach the log verbatim.
            log.info("%s %s %d %.1fms request_id=%s", scope["method"], route, status,
                     seconds * 1000, request_id)  # fmt: skip
