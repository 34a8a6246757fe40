"""How a REST route declares itself: one Operation per method and path, next to its handler.

The Starlette routes (routes_of) and the OpenAPI document at /openapi.json
(crmgraph.rest.openapi) are both made from the same declarations, so a route cannot exist
without its documentation; tests/unit/rest/test_openapi.py fails when the app has a route
the document lacks or the other way round.

A module of routes returns its operations, and create_rest_app (crmgraph.rest.app) lists
the module:

    def widget_operations(runtime: Runtime) -> list[Operation]:
        async def create(request: Request) -> JSONResponse:
            scope = await scope_of(request, runtime, needs=ROUTES["POST /widgets/{widget_id}"])
            try:
                body = WidgetCreate.model_validate_json(await request.body())
            except (ValidationError, json.JSONDecodeError) as exc:
                raise invalid_body(exc) from exc
            ...
            return JSONResponse(envelope(request, created.model_dump(mode="json")), 201)

        return [
            Operation(
                "POST", "/widgets/{widget_id}", create,
                name="createWidget",                     # unique operationId
                summary="Create a widget (tenant admins)",
                body=WidgetCreate,                       # pydantic model of the JSON body
                replies={201: Reply("Created", WidgetCreated)},  # inside the envelope
                params=(Param.path("widget_id", UUID_STRING),),
                errors=(404, 409),                       # besides those added for everyone
            ),
        ]

What each field is, mapped from the old hand-written style (`Route(path, endpoint,
methods=[M])` plus an `OPENAPI["paths"][path][m]` entry):

- method, path, endpoint: the Route's; path keeps Starlette's `{name}` (no `:convertor`).
- name: the operationId (camelCase, unique); summary and description: as written there.
- body: the model of `requestBody` (body_media lists its media types, JSON by default).
- replies: each success status's `Reply(description, model)`; the model is the envelope's
  `data` unless `enveloped=False` (a bare body, as OAuth2's token answer), `schema=` takes a
  raw JSON Schema instead of a model and `media_type=` another type (text/plain, ...).
- params: `Param.path/query/header(name, schema)` for `parameters`.
- errors: the statuses the handler itself raises (404, 409, ...). Added for every route
  without saying: 413 (the body limit) and, where crmgraph.rest.rate_limit counts the path,
  401 (credentials that do not verify) and 429; for routes in ROUTES (auth/needs.py, the one
  table of who may do what: each route's kind of authentication and its permission or
  signer) 401, and for bearer routes 403 and the bearer scheme, for signature routes
  `x-authenticated-by` naming the signer;
  for routes with a body 400.
- rate_limit: `RouteLimit(limit, window_seconds)`, the route's own limit on top of the
  caller's tier, per tenant (crmgraph.rest.rate_limit_routes; CRMGRAPH_RATE_LIMITS'
  "routes" can change it by operationId); the document says it in the 429 reply.
- extra: anything else, merged into the operation object as written (a hand-written
  fragment that has no field here).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crmgraph.auth.route_needs import ROUTES, Auth, RouteNeed
from crmgraph.rest.rate_limit_config import RouteLimit

Endpoint = Callable[[Request], Awaitable[Response]]
Schema = Mapping[str, Any]
UUID_STRING: Schema = {"type": "string", "format": "uuid"}
STRING: Schema = {"type": "string"}


@dataclass(frozen=True)
class Param:
    """One parameter of `parameters`: in the path, the query string or a header."""

    name: str
    where: Literal["path", "query", "header"]
    schema: Schema
    required: bool = False
    description: str = ""

    @classmethod
    def path(cls, name: str, schema: Schema, description: str = "") -> Param:
        return cls(name, "path", schema, True, description)

    @classmethod
    def query(
        cls, name: str, schema: Schema, *, required: bool = False, description: str = ""
    ) -> Param:
        return cls(name, "query", schema, required, description)

    @classmethod
    def header(
        cls, name: str, schema: Schema, *, required: bool = False, description: str = ""
    ) -> Param:
        return cls(name, "header", schema, required, description)


@dataclass(frozen=True)
class Reply:
    """A success answer: its body is the envelope around `model` (or `schema`), or, with
    enveloped=False, the model itself."""

    description: str
    model: type[BaseModel] | None = None
    schema: Schema | None = None
    media_type: str = "application/json"
    enveloped: bool = True
    links: Mapping[str, Schema] = field(default_factory=dict)
    # Other media types the same answer may come in (content negotiation), with their schemas.
    also: Mapping[str, Schema] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    endpoint: Endpoint
    name: str
    summary: str
    replies: Mapping[int, Reply]
    description: str = ""
    body: type[BaseModel] | None = None
    body_media: Sequence[str] = ("application/json",)
    params: Sequence[Param] = ()
    errors: Sequence[int] = ()
    # Proven by the router's shared secret in x-router-secret, not by a caller's token.
    router_only: bool = False
    # Its own limit, on top of the caller's tier (per tenant).
    rate_limit: RouteLimit | None = None
    extra: Schema = field(default_factory=dict)

    @property
    def key(self) -> str:
        """`METHOD /path`, as auth/needs.py's ROUTES names routes."""
        return f"{self.method} {self.path}"

    @property
    def needs(self) -> RouteNeed | None:
        """Its declaration in ROUTES: the kind of authentication and what it needs; None for
        a route open to anyone or proven by the router's secret."""
        return ROUTES.get(self.key)

    @property
    def permissions(self) -> tuple[str, ...]:
        """What the caller's bearer token needs, all of it, for a bearer route (else empty)."""
        needs = self.needs
        return needs.permissions if needs is not None and needs.auth is Auth.BEARER else ()

    @property
    def signer(self) -> str | None:
        """Whose signature or token proves the caller, for a signature route."""
        needs = self.needs
        return needs.signer if needs is not None and needs.auth is Auth.SIGNATURE else None


def routes_of(operations: Sequence[Operation]) -> list[Route]:
    """The Starlette routes of the operations, one per method and path."""
    return [Route(op.path, op.endpoint, methods=[op.method]) for op in operations]
