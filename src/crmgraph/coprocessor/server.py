"""The coprocessor's HTTP/1.1 server on a unix socket: only what Hive Router's coprocessor
client sends (POST with a Content-Length body, keep-alive, no pipelining), parsed by hand so
that a request costs little more than its decision (no ASGI framework, no per-request objects
beyond the payload)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

log = logging.getLogger("crmgraph.coprocessor")

Handler = Callable[[bytes], Awaitable[bytes]]
MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024
_BAD = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_ERROR = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n"


def _content_length(head: bytes) -> int:
    at = head.lower().find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at + 2)
    return int(head[at + 17 : end if end >= 0 else len(head)].strip())


class _Connection(asyncio.Protocol):
    def __init__(self, handle: Handler) -> None:
        self._handle = handle
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._previous: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            try:
                length = _content_length(bytes(self._buffer[:end]))
                if length < 0 or length > MAX_BODY:
                    raise ValueError(length)
            except ValueError:
                self._close(_BAD)
                return
            total = end + 4 + length
            if len(self._buffer) < total:
                return
            body = bytes(self._buffer[end + 4 : total])
            del self._buffer[:total]
            # Answers go out in the order the requests came.
            self._previous = asyncio.ensure_future(self._answer(body, self._previous))
        if len(self._buffer) > MAX_HEAD + MAX_BODY:
            self._close(_BAD)

    async def _answer(self, body: bytes, previous: asyncio.Future[None] | None) -> None:
        try:
            answer = await self._handle(body)
            response = (
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%b"
                % (len(answer), answer)
            )
        except Exception:
            log.exception("coprocessor request failed")
            response = _ERROR
        if previous is not None:
            await previous
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(response)

    def _close(self, response: bytes) -> None:
        if self._transport is not None:
            self._transport.write(response)
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(socket: Path, handle: Handler) -> asyncio.Server:
    """Listen on `socket` (replaced if a stale one is there), readable by its owner only."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket)  # a stale socket of a previous run
    loop = asyncio.get_running_loop()
    server = await loop.create_unix_server(lambda: _Connection(handle), path=str(socket))
    os.chmod(socket, 0o600)
    return server
