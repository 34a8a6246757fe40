"""Whom the rate limits count, without a database: verified scopes name their buckets, and
credentials that do not verify name none."""

from __future__ import annotations

import uuid

import jwt
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from crmgraph.auth.authenticate import Authenticator
from crmgraph.auth.tokens import issue_token
from crmgraph.config import Settings
from crmgraph.db.scoping import Scope
from crmgraph.errors import DomainError, ErrorCode
from crmgraph.rest.callers import Caller, by_zoho_org, caller_for, identify

SETTINGS = Settings(jwt_secret="unit-test-key-" + "x" * 32, anonymous_tenant=None)


def test_a_user_counts_per_tenant_and_subject_with_the_verified_tier() -> None:
    scope = Scope(tenant_id="acme", subject="u1", rate_tier="premium_integration")

    assert caller_for(scope) == Caller("user:acme:u1", "premium_integration")


def test_an_api_key_and_its_tokens_share_the_key_bucket() -> None:
    key = uuid.uuid4()
    by_key = Scope(tenant_id="acme", subject=f"api_key:{key}", kind="api_key", api_key_id=key,
                   rate_tier="api_integration")  # fmt: skip

    assert caller_for(by_key) == Caller(f"key:{key}", "api_integration")


def test_an_unknown_tier_counts_as_authenticated_user() -> None:
    assert caller_for(Scope(tenant_id="acme", subject="u1", rate_tier="unlimited")).tier == (
        "authenticated_user"
    )


def authenticator() -> Authenticator:
    # No database: neither path below reaches it (a bad signature fails first).
    return Authenticator(SETTINGS, async_sessionmaker())


async def test_requests_without_credentials_count_by_address() -> None:
    caller, scope = await identify(authenticator(), {"x-api-secret": "s"}, "10.0.0.1")

    assert (caller, scope) == (Caller("ip:10.0.0.1", "authenticated_user"), None)


async def test_a_forged_token_names_no_bucket() -> None:
    valid = issue_token(SETTINGS, tenant_id="acme", subject="victim")
    claims = jwt.decode(valid, options={"verify_signature": False})
    forged = jwt.encode({**claims, "rate_limit_tier": "premium_integration"}, "guess" * 8)

    with pytest.raises(DomainError) as raised:
        await identify(authenticator(), {"authorization": f"Bearer {forged}"}, "10.0.0.1")

    assert raised.value.code is ErrorCode.UNAUTHENTICATED


def test_a_zoho_webhook_counts_against_the_organisation_it_names() -> None:
    header = by_zoho_org({"x-zoho-org-id": "4242", "authorization": "Bearer x"}, b"", "10.0.0.1")
    query = by_zoho_org({}, b"org_id=4242&token=t", "10.0.0.1")

    assert header == query == Caller("zoho:4242", "api_integration")
    assert by_zoho_org({}, b"token=t", "10.0.0.1") == Caller("ip:10.0.0.1", "authenticated_user")
