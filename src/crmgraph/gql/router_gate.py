"""Subgraphs answer only the router: the one check of its shared secret, and of whose
X-Forwarded-For is believed.

The router sends CRMGRAPH_ROUTER_SECRET in `x-router-secret` on every subgraph request (HTTP
and the WebSocket upgrade). Anything else reaching a subgraph port, a local process included,
gets 401 UNAUTHENTICATED, except GET /health, /livez and /readyz. Hive Router
(crmgraph.native_router) opens its subgraph WebSockets with a bare upgrade and sends its
headers, the secret among them, as the graphql-transport-ws connection_init payload: such an
upgrade is accepted only to read that message (PENDING), and the socket closes with 4403
unless the payload carries the secret.
On a request that carries the secret, the last X-Forwarded-For entry (the hop the router
appends: the address its client connected from) becomes the ASGI client address, as uvicorn's
proxy-headers middleware would do for a trusted proxy, and without one (and on a bare upgrade)
the address is unknown (None); without the secret nothing of the
request is believed, because nothing of it runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketClose

from crmgraph.config import MAKE_SECRET, Settings
from crmgraph.errors import ConfigurationError, DomainError, ErrorCode
from crmgraph.gql.errors import refusal
from crmgraph.security_log import security_event

HEADER = "x-router-secret"
OPEN_PATHS = frozenset({"/health", "/livez", "/readyz"})
#: Scope key of a WebSocket upgrade that came without the secret: a check of the
#: connection_init payload (gql.app.TransportWSHandler runs it before anything else).
PENDING = "crmgraph.router_secret_in_payload"
#: The only protocol with a connection_init payload checked before anything runs.
PAYLOAD_PROTOCOL = "graphql-transport-ws"
REFUSED = DomainError(
    ErrorCode.UNAUTHENTICATED,
    "subgraphs answer only the router: send the request through the router",
)


def require_router_secret(settings: Settings) -> str:
    """The secret, or ConfigurationError: subgraphs never run without one."""
    if not settings.router_secret:
        raise ConfigurationError(
            "CRMGRAPH_ROUTER_SECRET is not set: subgraphs accept only requests from the router, "
            f"which sends the same value; {MAKE_SECRET}"
        )
    return settings.router_secret


class RouterOnly:
    """ASGI middleware around a subgraph app; see the module docstring."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self._secret = secret.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent = headers.get(HEADER, "").encode("latin-1")
        if scope["type"] == "websocket" and not sent:
            protocols = [p for p in scope.get("subprotocols", []) if p == PAYLOAD_PROTOCOL]
            check = self._payload_check(scope, headers)
            # The client's address is not in a bare upgrade either: unknown, as below.
            bare = {**scope, "subprotocols": protocols, PENDING: check, "client": None}
            await self.app(bare, receive, send)
            return
        if not hmac.compare_digest(sent, self._secret):
            security_event("router_secret_refused", path=scope["path"],
                           peer=scope["client"][0] if scope.get("client") else None,
                           request_id=headers.get("x-request-id"),
                           reason="wrong" if sent else "missing")  # fmt: skip
            await _refuse(scope, receive, send)
            return
        forwarded = headers.get("x-forwarded-for", "").split(",")[-1].strip()
        # A router that does not say (Hive Router 0.2.0 cannot) leaves the client unknown:
        # its own address is not its client's, and an allow-listed API key is then refused.
        scope = {**scope, "client": (forwarded, 0) if forwarded else None}
        await self.app(scope, receive, send)

    def _payload_check(
        self, scope: Scope, headers: Headers
    ) -> Callable[[Mapping[str, object]], bool]:
        def check(payload: Mapping[str, object]) -> bool:
            given = payload.get(HEADER)
            sent = given.encode() if isinstance(given, str) else b""
            if hmac.compare_digest(sent, self._secret):
                return True
            security_event("router_secret_refused", path=scope["path"],
                           peer=scope["client"][0] if scope.get("client") else None,
                           request_id=headers.get("x-request-id"),
                           reason="wrong" if sent else "missing")  # fmt: skip
            return False

        return check


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """401 with the GraphQL error body; on a WebSocket, as the answer to its upgrade."""
    response = JSONResponse(refusal(REFUSED), status_code=401)
    if scope["type"] == "http":
        await response(scope, receive, send)
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        await WebSocket(scope, receive, send).send_denial_response(response)
    else:  # the server cannot answer an upgrade with a body: a bare 403
        await WebSocketClose()(scope, receive, send)
