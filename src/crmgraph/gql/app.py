"""The ASGI app of one subgraph: Strawberry's GraphQL endpoint with our context, plus /health."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from crmgraph.gql.context import Context
from crmgraph.runtime import Runtime


class CrmGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Schema, runtime: Runtime) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.runtime = runtime

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return await Context.build(self.runtime, request, response)


def create_subgraph_app(name: str, schema: Schema, runtime: Runtime) -> Starlette:
    graphql = CrmGraphQL(schema, runtime)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"subgraph": name, "status": "ok"})

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
        ]
    )
