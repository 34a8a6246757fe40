"""Token checks through the router: each failure is UNAUTHENTICATED and executes nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt

from crmgraph.auth.tokens import JWKS_REFRESH_SECONDS
from tests.identity_provider import IdentityProvider, standard_claims
from tests.stack import Stack

CREATE = 'mutation { createAccount(input: {name: "Should not exist"}) { account { id } } }'
COUNT = "{ accounts { totalCount } }"


def codes(stack: Stack, token: str, query: str = CREATE) -> list[str]:
    body = stack.graphql(query, headers={"authorization": f"Bearer {token}"}).json()
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def account_count(stack: Stack, tenant: str) -> int:
    count: int = stack.graphql(COUNT, tenant=tenant).json()["data"]["accounts"]["totalCount"]
    return count


def test_identity_provider_token_from_jwks_is_accepted(
    stack: Stack, identity_provider: IdentityProvider, tenant: str
) -> None:
    token = identity_provider.token(tenant_id=tenant)

    assert codes(stack, token) == []
    assert account_count(stack, tenant) == 1


def test_unknown_kid_refetches_the_jwks_once(
    stack: Stack, identity_provider: IdentityProvider, tenant: str
) -> None:
    assert codes(stack, identity_provider.token(tenant_id=tenant), COUNT) == []
    kid = identity_provider.rotate()
    time.sleep(JWKS_REFRESH_SECONDS)  # refetches are spaced out on purpose
    before = identity_provider.fetches

    assert codes(stack, identity_provider.token(kid=kid, tenant_id=tenant), COUNT) == []
    assert identity_provider.fetches == before + 1


# Each claim check (audience, issuer, nbf, leeway, signature, ...) is a unit test
# (tests/unit/auth/test_token_claims.py); this one shows a refused token through the router:
# UNAUTHENTICATED and nothing executed. Times are offsets from the moment the token is made.
def test_expired_token_is_unauthenticated_and_executes_nothing(
    stack: Stack, identity_provider: IdentityProvider, tenant: str
) -> None:
    token = identity_provider.token(tenant_id=tenant, exp=datetime.now(UTC) - timedelta(minutes=5))

    assert codes(stack, token) == ["UNAUTHENTICATED"]
    assert account_count(stack, tenant) == 0


def test_rs256_token_with_unpublished_key_is_unauthenticated(
    stack: Stack, identity_provider: IdentityProvider, tenant: str
) -> None:
    forger = IdentityProvider(port=1)  # never started: its keys are published nowhere
    token = forger.token(tenant_id=tenant)

    assert codes(stack, token) == ["UNAUTHENTICATED"]


def test_alg_none_and_garbage_are_unauthenticated(stack: Stack, tenant: str) -> None:
    unsigned = jwt.encode(standard_claims(tenant_id=tenant), None, algorithm="none")

    assert codes(stack, unsigned) == ["UNAUTHENTICATED"]
    assert codes(stack, "not.a.jwt") == ["UNAUTHENTICATED"]
    body = stack.graphql(CREATE, headers={"authorization": "Basic dXNlcjpwYXNz"}).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
