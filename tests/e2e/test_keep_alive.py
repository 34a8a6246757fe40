"""The router reuses its HTTP connections to the subgraphs; a subgraph must never close one
the router may be about to reuse."""

from __future__ import annotations

import http.client
import time

from tests.stack import Stack

# The gateway's fetch (@whatwg-node/node-fetch) uses Node's http.globalAgent, which keeps an
# idle connection for 5 s (Node 19+: keepAlive, timeout 5000 ms).
ROUTER_IDLE_SECONDS = 5.0


def test_subgraph_keeps_an_idle_connection_longer_than_the_router_does(stack: Stack) -> None:
    """uvicorn closed idle connections after 5 s too: a request the router sent on one just
    as the subgraph closed it failed (data null), as createAccount once did in a full run."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports["accounts"], timeout=10)
    try:
        conn.request("GET", "/health")
        first = conn.getresponse()
        first.read()
        assert conn.sock is not None
        used = conn.sock.getsockname()
        time.sleep(ROUTER_IDLE_SECONDS + 1)

        conn.request("GET", "/health")  # on the same connection, idle longer than the router's
        second = conn.getresponse()
        second.read()
        again = conn.sock.getsockname() if conn.sock is not None else None
    finally:
        conn.close()

    assert (first.status, second.status) == (200, 200)
    assert again == used
