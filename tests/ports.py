"""Ports for the servers tests start: the kernel's choice, so that test runs sharing one
machine (several developers, CI jobs) never collide on a fixed number."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now. The caller binds it soon after;
    a server that cannot (another process took it meanwhile) fails loudly, never silently."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
