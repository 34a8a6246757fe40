"""POST /internal/introspect: who a request's credentials name, for the router's rate limits.

In the spirit of RFC 7662 (token introspection): the router sends a request's credential
headers and client address, and learns whether they verify and which rate-limit bucket and tier
they count against. Only the router may ask: it proves itself with the shared
CRMGRAPH_ROUTER_SECRET in `x-router-secret`; without that setting nobody can.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse

from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.callers import identify
from crmgraph.rest.errors import parsed_body
from crmgraph.rest.operations import Operation, Reply
from crmgraph.rest.payloads import Introspection, IntrospectionRequest
from crmgraph.runtime import Runtime

PATH = "/internal/introspect"


def introspect_operations(runtime: Runtime) -> list[Operation]:
    async def introspect(request: Request) -> JSONResponse:
        expected = runtime.settings.router_secret
        given = request.headers.get("x-router-secret", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise DomainError(ErrorCode.UNAUTHENTICATED, "only the router may introspect")
        asked = await parsed_body(request, IntrospectionRequest)
        headers = {name.lower(): value for name, value in asked.headers.items()}
        try:
            caller, scope = await identify(runtime.authenticator, headers, asked.address)
        except DomainError as exc:
            if exc.code is not ErrorCode.UNAUTHENTICATED:
                raise
            # RFC 7662: an inactive credential is a 200 answer; the message goes to the client.
            return JSONResponse({"active": False, "error": exc.as_dict()})
        answer: dict[str, object] = {"active": True, "bucket": caller.bucket, "tier": caller.tier}
        if scope is not None:
            answer |= {"tenant_id": scope.tenant_id, "sub": scope.subject}
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    return [
        Operation("POST", PATH, introspect, name="introspect", body=IntrospectionRequest,
                  router_only=True,
                  summary="The router's only: whom a request's credentials name, for its "
                  "rate limits",
                  replies={200: Reply("Active (bucket, tier) or not (error)", Introspection,
                                      enveloped=False)}),
    ]  # fmt: skip
