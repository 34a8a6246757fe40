"""A real (tiny) identity provider for tests: RSA and EC keys, a JWKS endpoint over HTTP on
loopback, and tokens signed with them. Keys can be rotated to exercise the JWKS refresh."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ISSUER = "https://idp.test"


class IdentityProvider:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.rotate()
        app = Starlette(routes=[Route("/.well-known/jwks.json", self._jwks)])
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():  # uvicorn exits when it cannot bind the port
                raise RuntimeError(f"identity provider did not start on {self.url}")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def rotate(self) -> str:
        """Publish a new signing key (old ones stay published); returns its kid."""
        kid = uuid.uuid4().hex[:8]
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def withdraw(self, kid: str) -> None:
        """Stop publishing a key (a rotation's last step, or a compromised key)."""
        del self.keys[kid]

    async def _jwks(self, _: Request) -> JSONResponse:
        self.fetches += 1
        keys = []
        for kid, key in self.keys.items():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return JSONResponse({"keys": keys})

    def token(self, kid: str | None = None, **claims: Any) -> str:
        kid = kid or next(reversed(self.keys))
        return jwt.encode(
            standard_claims(**claims), self.keys[kid], algorithm="RS256", headers={"kid": kid}
        )


def standard_claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "crm-api",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "tenant_id": "t_idp",
        "user_roles": ["tenant_admin"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def ec_key_pair() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """An ES256 private key and its public key as PEM text."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()
