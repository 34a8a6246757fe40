"""Raw HTTP/1.1 over a socket: requests no HTTP client would send (a Content-Length larger
than the body, a body dribbled a byte at a time), and the server's answer as it came."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Answer:
    """What came back: status 0 when the server closed without answering."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def exchange(
    url: str,
    head: dict[str, str],
    body: bytes = b"",
    *,
    method: str = "POST",
    close_write: bool = False,
    dribble: float = 0.0,
    timeout: float = 30.0,
) -> Answer:
    """Sends the request line, `head` as given (no header is added but Host) and `body`.
    close_write: half-close after the body (a sender that gives up). dribble: seconds between
    single bytes of the body (a slow sender)."""
    parts = urlsplit(url)
    lines = [f"{method} {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            if dribble:
                for byte in body:
                    sock.sendall(bytes([byte]))
                    time.sleep(dribble)
            else:
                sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (a 413) and closed before taking all of it
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        return _read(sock)


def _read(sock: socket.socket) -> Answer:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return Answer()
            data += chunk
    except ConnectionResetError:
        return Answer()
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    answer = Answer(status=int(status_line.split()[1]), headers=headers)
    if "content-length" in headers:
        answer.body = _exactly(sock, rest, int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        answer.body = _chunked(sock, rest)
    else:
        answer.body = rest + _until_close(sock)
    return answer


def _exactly(sock: socket.socket, have: bytes, size: int) -> bytes:
    while len(have) < size:
        chunk = sock.recv(65536)
        if not chunk:
            break
        have += chunk
    return have[:size]


def _chunked(sock: socket.socket, have: bytes) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in have:
            have += sock.recv(65536) or b"0\r\n"
        size_line, _, have = have.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        while len(have) < size + 2:
            have += sock.recv(65536) or b"\r\n"
        body, have = body + have[:size], have[size + 2 :]


def _until_close(sock: socket.socket) -> bytes:
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return out
