"""SSRF: webhook targets on loopback, private, link-local, multicast or reserved addresses
(IPv4, IPv6, IPv4-mapped IPv6) are refused unless allowed; public ones pass."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from crmgraph.errors import DomainError
from crmgraph.webhooks import addresses


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_non_public_addresses_are_classified(address: str, reason: str) -> None:
    assert addresses.classify(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert addresses.classify(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9000/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://localhost:8080/hook",  # a name resolving to loopback
    ],
)
def test_private_targets_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(addresses.TargetRefused, match="webhook targets must be public"):
        asyncio.run(addresses.check_target(url, allow_private=False))
    asyncio.run(addresses.check_target(url, allow_private=True))


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http:///nohost", "http://user:pw@example.com/", "not a url"]
)
def test_malformed_targets_are_refused_even_when_private_ones_are_allowed(url: str) -> None:
    with pytest.raises(addresses.TargetRefused):
        asyncio.run(addresses.check_target(url, allow_private=True))


def test_registration_refusal_names_the_url_field() -> None:
    with pytest.raises(DomainError) as caught:
        asyncio.run(addresses.validate_target("http://10.0.0.1/", allow_private=False))

    assert caught.value.field == "url"
    assert "10.0.0.1" in caught.value.message and "private" in caught.value.message
