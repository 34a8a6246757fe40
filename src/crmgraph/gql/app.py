"""The ASGI app of one subgraph: Strawberry's GraphQL endpoint with our context, plus /health
and the probes (crmgraph.probes), behind the router's secret (gql.router_gate)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UnsetType

from crmgraph.errors import DomainError, ErrorCode
from crmgraph.gql.context import Context
from crmgraph.gql.errors import http_answer, is_unexpected, map_error, refusal
from crmgraph.gql.router_gate import PENDING, RouterOnly, require_router_secret
from crmgraph.health import status_of
from crmgraph.lifecycle import CutShort
from crmgraph.probes import probe_routes
from crmgraph.runtime import Runtime

log = logging.getLogger("crmgraph.gql")

# Server pings on idle WebSockets (graphql-transport-ws `ping`; clients answer `pong`), so
# proxies keep them open and dead peers show up.
KEEP_ALIVE_SECONDS = 15.0


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle(self) -> None:
        pinger = asyncio.create_task(self._keep_alive())
        try:
            # Held open until it ends: a draining process closes it with 1001.
            with self.context.runtime.lifecycle.open_socket(self.websocket):
                await super().handle()
        finally:
            pinger.cancel()

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(KEEP_ALIVE_SECONDS)
            if self.connection_acknowledged:
                with contextlib.suppress(Exception):
                    await self.send_message({"type": "ping"})

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        # An upgrade without the router's secret (Hive Router's) must carry it here, before
        # anything runs (gql.router_gate.PENDING).
        check = self.context.request.scope.get(PENDING)
        payload = message.get("payload")
        if check is not None and not (isinstance(payload, dict) and check(payload)):
            await self.websocket.close(code=4403, reason="Forbidden")
            return
        # graphql-transport-ws allows `"payload": null`; Strawberry accepts only an object and
        # closes with 4400.
        if payload is None:
            message = {**message, "payload": {}}
        await super().handle_connection_init(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # Each operation checks the connection's credentials again, not only connection_init:
        # a key revoked since must not start anything on a connection opened before.
        try:
            await self.context.authenticate_connection()
        except Exception as exc:
            # The check could not run (SERVICE_UNAVAILABLE: the database is down). Raised
            # from here, the operation would stay registered and never answered: a
            # subscription acknowledged by the router, then silent. It is refused instead,
            # as a failed subscription resolver is (_handle_pre_execution_error).
            await self._refuse(operation, exc)
            return
        await super().run_operation(operation)

    async def _refuse(self, operation: Operation[Context, None], exc: Exception) -> None:
        error = GraphQLError(str(exc), original_error=exc)
        if is_unexpected(error):
            log.error("operation %s refused", operation.id, exc_info=exc)
        await self._answer_errors(operation, [error])
        await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _handle_pre_execution_error(
        self, operation: Operation[Context, None], result: PreExecutionError
    ) -> None:
        # An `error` message is for invalid documents; the router would mask a DomainError
        # sent so as "Unexpected error." and drop the code. Strawberry completes after this.
        if result.errors and all(isinstance(e.original_error, DomainError) for e in result.errors):
            await self._answer_errors(operation, result.errors)
            return
        await super()._handle_pre_execution_error(operation, result)

    @staticmethod
    async def _answer_errors(
        operation: Operation[Context, None], errors: Sequence[GraphQLError]
    ) -> None:
        """How an operation that fails before its first result answers (no credentials, no
        permission, a check that could not run), as graphql-js does: `next` with the errors
        in our envelope (crmgraph.errors), then `complete` (the caller's)."""
        mapped = [map_error(e) for e in errors]
        await operation.send_next(ExecutionResult(data=None, errors=mapped))


class CrmGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: Schema, runtime: Runtime) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Strawberry answers a request it cannot read (another content type, a body that is
        # not JSON) in plain text: answer in the GraphQL error format, as the router does.
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as refused:
            code = ErrorCode.NOT_FOUND if refused.status_code == 404 else ErrorCode.BAD_REQUEST
            error = DomainError(code, refused.reason)
            response = JSONResponse(refusal(error), status_code=refused.status_code)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        # Strawberry lets a body that is not UTF-8 (json.loads raises UnicodeDecodeError) or
        # is JSON but not an object (`null`: AttributeError) through as a 500.
        try:
            parsed = super().parse_json(data)
        except ValueError as exc:  # UnicodeDecodeError is one
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "the request body must be a JSON object")
        return parsed

    def encode_json(self, data: object) -> str:
        # orjson: several times faster than json.dumps on a 50-item page. A str, not bytes:
        # Strawberry sends bytes as binary WebSocket frames, and graphql-ws wants text.
        return orjson.dumps(data).decode()

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        # Never refuse here: a subscription without valid credentials then fails with
        # UNAUTHENTICATED in its errors, which the router passes on unchanged.
        await context.authenticate_connection()
        return None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return await Context.build(self.runtime, request, response)


def create_subgraph_app(
    name: str,
    schema: Schema,
    runtime: Runtime,
    front: Callable[[ASGIApp], ASGIApp] | None = None,
) -> ASGIApp:
    """front: what answers before Strawberry, behind the router's secret (compiled reads)."""
    secret = require_router_secret(runtime.settings)
    graphql = CrmGraphQL(schema, runtime)

    async def health(_: Request) -> JSONResponse:
        # Readiness for anyone (compose's healthchecks): no names, addresses or versions.
        ok = await runtime.ready()
        status, code = status_of(ok)
        return JSONResponse({"status": status}, status_code=code)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
            *probe_routes(runtime),
        ]
    )
    gated = RouterOnly(app if front is None else front(app), secret)
    return CutShort(gated, lambda: runtime.lifecycle.draining, http_answer)
