"""Which webhook targets may be called: a URL whose host is, or resolves to, a loopback,
private, link-local, multicast, reserved or otherwise non-public address is refused (SSRF),
unless Settings.webhook_allow_private_targets says so. Checked when a subscription is
registered and again before every delivery, since DNS answers can change."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from crmgraph.errors import DomainError, ErrorCode

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL may not be called; the message says why (for the client and the log)."""


def classify(address: Address) -> str | None:
    """Why address is not a public one (loopback, private, ...), or None when it is.
    An IPv4-mapped or NAT64-less embedded IPv6 address is judged by its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return classify(mapped)
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def split_target(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; TargetRefused for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"{url!r} is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry credentials")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[Address]:
    """Every address host resolves to (a literal address is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetRefused(f"the host {host!r} does not resolve: {exc}") from exc
    # Scope ids (fe80::1%eth0) are not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raises TargetRefused unless every address url's host resolves to is public (or
    allow_private). Every address, not just the first: the client picks among them."""
    host, port = split_target(url)
    if allow_private:
        return
    for address in await resolve(host, port):
        reason = classify(address)
        if reason is not None:
            raise TargetRefused(
                f"{host} resolves to {address}, a {reason} address; webhook targets must be "
                "public (WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows others)"
            )


async def validate_target(url: str, *, allow_private: bool) -> None:
    """check_target as a VALIDATION_ERROR on the field `url` (registration)."""
    try:
        await check_target(url, allow_private=allow_private)
    except TargetRefused as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, str(exc), field="url") from exc
