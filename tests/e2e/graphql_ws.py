"""A small graphql-transport-ws client (the protocol graphql-ws speaks) over `websockets`."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets

PROTOCOL = "graphql-transport-ws"


class GraphQLWebSocket:
    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket

    async def receive(self) -> dict[str, Any]:
        """The next message other than a ping (answered with a pong)."""
        while True:
            message: dict[str, Any] = json.loads(await self.socket.recv())
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        id_ = str(uuid.uuid4())
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": id_, "type": "subscribe", "payload": payload})
        return id_

    async def complete(self, id_: str) -> None:
        await self.send({"id": id_, "type": "complete"})


@asynccontextmanager
async def connect(
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
) -> AsyncIterator[GraphQLWebSocket]:
    """Connected and acknowledged (connection_init with params as its payload); source: the
    local address to connect from (any 127.x.y.z on Linux)."""
    async with websockets.connect(
        url,
        subprotocols=[PROTOCOL],
        additional_headers=headers,  # type: ignore[list-item]
        **({"local_addr": (source, 0)} if source else {}),
    ) as socket:
        client = GraphQLWebSocket(socket)
        await client.send({"type": "connection_init", "payload": params or {}})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        yield client
