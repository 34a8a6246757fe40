"""The ASGI front of a subgraph's /graphql: a JSON POST whose operation compiles is answered
with the bytes its one statement returns; every other request, and every operation the
compiler does not know or whose answer would hold an error, goes on to Strawberry
unchanged (the body replayed)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import orjson
from graphql import GraphQLError
from graphql.execution.values import VariableValues, get_variable_values
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.federation import Schema

from crmgraph.compiled.documents import Documents
from crmgraph.compiled.plan import Binding, Plan, PlanCache, RootCompiler, compile_operation, shape
from crmgraph.compiled.selection import Unknown
from crmgraph.config import Mode
from crmgraph.db.direct_reads import DirectReads
from crmgraph.db.errors import is_unreachable
from crmgraph.errors import DomainError
from crmgraph.gql.context import AUTHENTICATED
from crmgraph.runtime import Runtime

log = logging.getLogger("crmgraph.compiled")
# A compiled answer is refused (the resolvers answer) when reading an argument fails so.
REFUSALS = (Unknown, DomainError, GraphQLError, ValueError, TypeError, KeyError)


@dataclass
class Counts:
    """How many requests each path answered (the differential test reads it)."""

    compiled: int = 0
    resolvers: int = 0


class CompiledReads:
    def __init__(
        self,
        app: ASGIApp,
        schema: Schema,
        runtime: Runtime,
        roots: Mapping[str, RootCompiler],
        reads: DirectReads,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.reads = reads
        self.schema = schema._schema
        self.roots = roots
        self.documents = Documents(self.schema)
        self.plans = PlanCache()
        self.counts = Counts()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        try:
            answer = await self.answer(Request(scope), body, scope)
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            answer = None  # the resolvers answer it in the error format (SERVICE_UNAVAILABLE)
        if answer is None:
            self.counts.resolvers += 1
            await self.app(scope, _replay(body, receive), send)
            return
        self.counts.compiled += 1
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(answer)).encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    async def answer(self, request: Request, body: bytes, scope: Scope) -> bytes | None:
        """The compiled answer, or None for the resolvers (told in scope who the caller is,
        once that is known: crmgraph.gql.context.AUTHENTICATED)."""
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return None
        try:
            sent = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(sent, dict) or set(sent) - {"query", "variables", "operationName"}:
            return None
        text, name, inputs = sent.get("query"), sent.get("operationName"), sent.get("variables")
        if not isinstance(text, str) or not isinstance(name, str | None):
            return None
        if not isinstance(inputs, dict | None):
            return None
        document = self.documents.get(text)
        operation = None if document is None else document.operation(name)
        if document is None or operation is None:
            return None
        variables = get_variable_values(
            self.schema, operation.variable_definitions or (), inputs or {}
        )
        if not isinstance(variables, VariableValues):
            return None
        headers = {k.lower(): v for k, v in request.headers.items()}
        client = request.client.host if request.client else None
        try:
            caller = await self.runtime.authenticator.authenticate(headers, client)
        except DomainError as failure:
            scope[AUTHENTICATED] = failure
            return None
        scope[AUTHENTICATED] = caller

        def build() -> Plan | None:
            try:
                return compile_operation(self.schema, operation, document.fragments, variables,
                                         caller, self.roots)  # fmt: skip
            except REFUSALS:
                return None

        key = (text, name, shape(variables), caller.permissions)
        plan = self.plans.get(key, build)
        if plan is None:
            return None
        return await self.run(plan, Binding(caller, variables))

    async def run(self, plan: Plan, binding: Binding) -> bytes | None:
        try:
            parameters = plan.parameters(binding)
        except REFUSALS:
            return None
        data = await self.reads.fetch_text(plan.sql, parameters)
        if data is None:  # something the resolvers answer with an error, or spell otherwise
            return None
        return b'{"data":' + data.encode() + b"}"


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read already, then whatever the connection says next (its disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def compiled_front(
    schema: Schema, runtime: Runtime, roots: Mapping[str, RootCompiler]
) -> Callable[[ASGIApp], ASGIApp]:
    """What crmgraph.gql.app.create_subgraph_app puts in front of a subgraph's routes: the
    compiled reads where Settings.compiled_reads is on and the database is PostgreSQL (where
    the runtime has their connections: crmgraph.db.direct_reads.applies)."""

    def front(app: ASGIApp) -> ASGIApp:
        reads = runtime.direct_reads
        if reads is None or runtime.settings.mode is not Mode.FULL:
            return app
        return CompiledReads(app, schema, runtime, roots, reads)

    return front


def front_of(app: object) -> CompiledReads | None:
    """The compiled-reads front of a subgraph's app, found through the wrappers in front of
    it (crmgraph.lifecycle.CutShort, crmgraph.gql.router_gate.RouterOnly); None without one."""
    while not isinstance(app, CompiledReads):
        app = getattr(app, "app", None)
        if app is None:
            return None
    return app
