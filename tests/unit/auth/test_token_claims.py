"""Each token check of TokenVerifier and scope_from_claims, without a router or an identity
provider: a failure is UNAUTHENTICATED. tests/e2e/test_authentication.py keeps the cases that
show the refusal reaching the client and executing nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from crmgraph.auth.authenticate import scope_from_claims
from crmgraph.auth.tokens import TokenVerifier
from crmgraph.config import Settings
from crmgraph.errors import DomainError
from tests.identity_provider import ISSUER, ec_key_pair, standard_claims

SECRET = "unit-test-secret-" * 3
SETTINGS = Settings(jwt_secret=SECRET, jwt_issuer=f"crmgraph-test,{ISSUER}")


def verify(token: str, settings: Settings = SETTINGS) -> dict[str, Any]:
    return asyncio.run(TokenVerifier(settings).verify(token))


def refusal(token: str, settings: Settings = SETTINGS) -> str:
    with pytest.raises(DomainError) as raised:
        verify(token, settings)
    assert raised.value.code == "UNAUTHENTICATED"
    return raised.value.message


def hs256(secret: str = SECRET, **claims: object) -> str:
    now = datetime.now(UTC)
    made = {k: now + v if isinstance(v, timedelta) else v for k, v in claims.items()}
    return jwt.encode(standard_claims(**made), secret)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param({"exp": timedelta(minutes=-5)}, "expired", id="expired"),
        pytest.param({"aud": "another-api"}, "audience doesn't match", id="wrong-audience"),
        pytest.param({"iss": "https://evil.test"}, "invalid issuer", id="wrong-issuer"),
        pytest.param({"nbf": timedelta(minutes=5)}, "not yet valid", id="not-yet-valid"),
        pytest.param({"sub": None}, "sub", id="no-subject"),
        pytest.param({"exp": None}, "exp", id="no-expiry"),
    ],
)
def test_bad_claims_are_unauthenticated(claims: dict[str, object], reason: str) -> None:
    assert reason in refusal(hs256(**claims)).lower()


def test_expiry_within_the_leeway_is_accepted_and_beyond_it_refused() -> None:
    assert verify(hs256(exp=timedelta(seconds=-5)))["aud"] == "crm-api"
    assert "expired" in refusal(hs256(exp=timedelta(seconds=-(SETTINGS.jwt_leeway_seconds + 5))))


def test_every_configured_issuer_is_accepted() -> None:
    assert verify(hs256(iss="crmgraph-test"))["iss"] == "crmgraph-test"
    assert verify(hs256(iss=ISSUER))["iss"] == ISSUER


def test_bad_signature_is_unauthenticated() -> None:
    assert "Signature" in refusal(hs256(secret="not-the-secret-" * 3))


def test_alg_none_and_garbage_are_unauthenticated() -> None:
    unsigned = jwt.encode(standard_claims(), None, algorithm="none")

    assert "'none' is not accepted" in refusal(unsigned)
    assert "not a JWT" in refusal("not.a.jwt")


def test_an_asymmetric_token_without_a_configured_key_is_unauthenticated() -> None:
    key, _ = ec_key_pair()
    token = jwt.encode(standard_claims(), key, algorithm="ES256")

    assert "no key configured" in refusal(token)


def test_a_token_without_a_tenant_is_unauthenticated() -> None:
    claims = verify(hs256(tenant_id=None))

    with pytest.raises(DomainError) as raised:
        scope_from_claims(claims)
    assert (raised.value.code, raised.value.message) == (
        "UNAUTHENTICATED",
        "invalid token: no tenant_id claim",
    )
