"""Whom a request counts against in the rate limits: its verified identity, else its address.

The REST shim's limiter and the router (through /internal/introspect) both ask here, so a
caller's bucket has one name everywhere. Credentials are verified by the Authenticator, the
same code the subgraphs run; ones that do not verify raise UNAUTHENTICATED and name no bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

from crmgraph.auth.authenticate import Authenticator
from crmgraph.db.scoping import Scope

Tier = Literal["authenticated_user", "api_integration", "premium_integration"]
TIERS: tuple[Tier, ...] = ("authenticated_user", "api_integration", "premium_integration")
# The headers that carry credentials; X-Tenant-ID and the like say nothing about who asks.
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-api-secret")


@dataclass(frozen=True)
class Caller:
    bucket: str
    tier: Tier


def caller_for(scope: Scope) -> Caller:
    """An API key, and the tokens issued for it, share the key's bucket; users have their own
    per tenant. The tier is the key's stored tier or the token's (verified) claim."""
    tier: Tier = next((t for t in TIERS if t == scope.rate_tier), "authenticated_user")
    if scope.api_key_id is not None:
        return Caller(f"key:{scope.api_key_id}", tier)
    return Caller(f"user:{scope.tenant_id}:{scope.subject}", tier)


def by_address(address: str | None) -> Caller:
    return Caller(f"ip:{address or 'unknown'}", "authenticated_user")


def by_zoho_org(headers: Mapping[str, str], query_string: bytes, address: str | None) -> Caller:
    """A Zoho webhook counts against the organisation it names (X-Zoho-Org-Id, else the
    org_id query parameter), whose signature is checked later, by the route; a webhook that
    names none counts against its address."""
    org_id = headers.get("x-zoho-org-id")
    if not org_id:
        named = parse_qs(query_string.decode("latin-1")).get("org_id")
        org_id = named[0] if named else None
    if not org_id:
        return by_address(address)
    return Caller(f"zoho:{org_id.strip()[:64]}", "api_integration")


async def identify(
    authenticator: Authenticator, headers: Mapping[str, str], address: str | None
) -> tuple[Caller, Scope | None]:
    """The caller (and its scope) behind lower-case `headers` sent from `address`; requests
    without credentials count by address. Raises DomainError(UNAUTHENTICATED) for credentials
    that do not verify."""
    credentials = {name: headers[name] for name in CREDENTIAL_HEADERS if headers.get(name)}
    if "authorization" not in credentials and "x-api-key" not in credentials:
        return by_address(address), None
    scope = await authenticator.authenticate(credentials, address)
    return caller_for(scope), scope
