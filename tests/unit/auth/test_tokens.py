"""TokenVerifier with a PEM public key (ES256), with HS256 switched off, and its cache of
verified tokens: never past a token's exp or the withdrawal of its JWKS key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from crmgraph.auth.tokens import JWKS_REFRESH_SECONDS, TokenVerifier
from crmgraph.config import Settings
from crmgraph.errors import DomainError
from tests.identity_provider import ISSUER, IdentityProvider, ec_key_pair, standard_claims
from tests.ports import free_port


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider(port=free_port())
    provider.start()
    yield provider
    provider.stop()


def verify(settings: Settings, token: str) -> dict[str, object]:
    return asyncio.run(TokenVerifier(settings).verify(token))


def test_es256_token_verifies_against_pem_public_key() -> None:
    key, pem = ec_key_pair()
    settings = Settings(jwt_public_key=pem, jwt_issuer=ISSUER)
    token = jwt.encode(standard_claims(tenant_id="acme"), key, algorithm="ES256")

    assert verify(settings, token)["tenant_id"] == "acme"


def test_es256_token_signed_by_another_key_is_refused() -> None:
    _, pem = ec_key_pair()
    other, _ = ec_key_pair()
    token = jwt.encode(standard_claims(), other, algorithm="ES256")

    with pytest.raises(DomainError) as raised:
        verify(Settings(jwt_public_key=pem, jwt_issuer=ISSUER), token)
    assert raised.value.code == "UNAUTHENTICATED"


def test_hs256_is_refused_unless_a_secret_is_configured() -> None:
    token = jwt.encode(standard_claims(), "s" * 32, algorithm="HS256")

    with pytest.raises(DomainError) as raised:
        verify(Settings(jwt_issuer=ISSUER), token)
    assert "HS256" in raised.value.message
    assert verify(Settings(jwt_issuer=ISSUER, jwt_secret="s" * 32), token)["aud"] == "crm-api"


def test_a_cached_token_is_refused_once_it_expires() -> None:
    settings = Settings(jwt_issuer=ISSUER, jwt_secret="s" * 32, jwt_leeway_seconds=0)
    exp = datetime.now(UTC) + timedelta(seconds=2)
    token = jwt.encode(standard_claims(exp=exp), "s" * 32, algorithm="HS256")

    async def scenario() -> None:
        verifier = TokenVerifier(settings)
        assert (await verifier.verify(token))["aud"] == "crm-api"  # now in the cache
        await asyncio.sleep(max(0.0, exp.timestamp() - time.time()) + 1.1)
        with pytest.raises(DomainError) as raised:
            await verifier.verify(token)
        assert raised.value.code == "UNAUTHENTICATED"

    asyncio.run(scenario())


def test_a_cached_token_is_refused_once_its_signing_key_is_withdrawn(
    idp: IdentityProvider,
) -> None:
    settings = Settings(jwt_issuer=ISSUER, jwt_jwks_url=idp.url)
    old = next(iter(idp.keys))
    old_token = idp.token(kid=old)

    async def scenario() -> None:
        verifier = TokenVerifier(settings)
        assert (await verifier.verify(old_token))["iss"] == ISSUER  # now in the cache
        new = idp.rotate()
        idp.withdraw(old)
        await asyncio.sleep(JWKS_REFRESH_SECONDS)
        await verifier.verify(idp.token(kid=new))  # an unknown kid: the JWKS is fetched again
        with pytest.raises(DomainError) as raised:
            await verifier.verify(old_token)
        assert raised.value.code == "UNAUTHENTICATED"
        assert "unknown signing key" in raised.value.message

    asyncio.run(scenario())
