"""TokenVerifier with a PEM public key (ES256) and with HS256 switched off."""

from __future__ import annotations

import asyncio

import jwt
import pytest

from crmgraph.auth.tokens import TokenVerifier
from crmgraph.config import Settings
from crmgraph.errors import DomainError
from tests.identity_provider import ISSUER, ec_key_pair, standard_claims


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
