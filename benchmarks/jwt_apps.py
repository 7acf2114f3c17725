"""What a user would pick instead of the Okta session: an OIDC access token, verified locally.

An app that takes Okta access tokens (``Authorization: Bearer <JWT>``) checks each one
itself: the RS256 signature against the authorization server's public key (fetched once
from its JWKS and kept parsed, as a real app caches it), then ``exp``, ``iss`` and ``aud``.
``BearerMiddleware`` is that small pure-ASGI layer; ``joserfc_verifier`` and
``pyjwt_verifier`` do the check with each library. The token carries the claims Okta's
access tokens carry (``ver``, ``jti``, ``iss``, ``aud``, ``iat``, ``exp``, ``cid``,
``uid``, ``scp``, ``auth_time``, ``sub``).

``check_refuses_bad_tokens`` proves a verifier really verifies (a bad signature, an
expired token and another audience are refused, the good token's claims reach the
scope) before any figure is taken; a benchmark that skipped it could time a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.types import ASGIApp, Scope

__all__ = [
    "AUDIENCE",
    "CLAIMS_KEY",
    "ISSUER",
    "BearerMiddleware",
    "TokenSet",
    "Verifier",
    "check_refuses_bad_tokens",
    "joserfc_verifier",
    "make_tokens",
    "pyjwt_verifier",
]

Claims = dict[str, Any]
Verifier = Callable[[str], "Claims | None"]
"""A token in, its claims out, or ``None`` when it must be refused."""

ISSUER = "https://example.okta.com/oauth2/default"
AUDIENCE = "api://default"
CLAIMS_KEY = "bench.jwt_claims"
_KID = "bench-rs256-key-1"
_UID = "00u1a2b3c4D5E6f7G8h9"


@dataclass(frozen=True, slots=True)
class TokenSet:
    """The public JWK (what the app caches from the JWKS), a good token and bad ones."""

    public_jwk: dict[str, Any]
    good: str
    bad: dict[str, str]


def _claims(now: int, **changes: Any) -> Claims:
    claims: Claims = {
        "ver": 1,
        "jti": "AT.k3Zp9Qm2vR7tLx4Wn8Yb3Nc6Hd1Jf5Gs0A2Bq7Ce",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 12 * 3600,  # outlives any benchmark run
        "cid": "0oa1b2c3d4E5F6g7H8i9",
        "uid": _UID,
        "scp": ["openid", "profile", "email"],
        "auth_time": now - 60,
        "sub": "ann@example.com",
    }
    claims.update(changes)
    return claims


def make_tokens() -> TokenSet:
    """A fresh 2048-bit RSA key and tokens signed with it."""
    private = RSAKey.generate_key(2048, private=True)
    header = {"alg": "RS256", "kid": _KID, "typ": "JWT"}
    now = int(time.time())

    def sign(claims: Claims) -> str:
        return jose_jwt.encode(header, claims, private, algorithms=["RS256"])

    good = sign(_claims(now))
    head, body, signature = good.split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    public = private.as_dict(private=False)
    public.update(kid=_KID, use="sig", alg="RS256")
    return TokenSet(public, good, {
        "bad signature": f"{head}.{body}.{flipped}",
        "expired": sign(_claims(now - 7200, exp=now - 3600)),
        "another audience": sign(_claims(now, aud="api://someone-else")),
        "another issuer": sign(_claims(now, iss="https://evil.example.com/oauth2/default")),
    })  # fmt: skip


def joserfc_verifier(public_jwk: dict[str, Any]) -> Verifier:
    """Verify with joserfc: the key parsed once, the claims rules built once."""
    key = RSAKey.import_key(public_jwk)
    rules = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        exp={"essential": True},
        sub={"essential": True},
    )

    def verify(token: str) -> Claims | None:
        try:
            decoded = jose_jwt.decode(token, key, algorithms=["RS256"])
            rules.validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        return decoded.claims

    return verify


def pyjwt_verifier(public_jwk: dict[str, Any]) -> Verifier:
    """Verify with PyJWT: the key parsed once (``PyJWK``), the same claims checked."""
    key = pyjwt.PyJWK(public_jwk).key
    required = {"require": ["exp", "iat", "iss", "aud", "sub"]}

    def verify(token: str) -> Claims | None:
        try:
            claims: Claims = pyjwt.decode(
                token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER,
                options=required,  # type: ignore[arg-type]
            )  # fmt: skip
        except pyjwt.PyJWTError:
            return None
        return claims

    return verify


class BearerMiddleware:
    """Pure ASGI: the bearer token's claims in ``scope[CLAIMS_KEY]``, or a 401."""

    def __init__(self, app: ASGIApp, *, verify: Verifier) -> None:
        self.app = app
        self.verify = verify

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        claims = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if value[:7].lower() == b"bearer ":
                    claims = self.verify(value[7:].decode("latin-1"))
                break
        if claims is None:
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer"),
            ]})  # fmt: skip
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        scope[CLAIMS_KEY] = claims
        await self.app(scope, receive, send)


Call = Callable[[str], Awaitable[tuple[int, Scope]]]
"""Send a request with this bearer token; the status and the scope the app saw."""


async def check_refuses_bad_tokens(name: str, call: Call, tokens: TokenSet) -> None:
    """Raise ``RuntimeError`` unless every bad token gets a 401 and the good one a 200
    with its claims in the scope: a verifier that does not verify is not measured."""
    for what, token in tokens.bad.items():
        status, _ = await call(token)
        if status != 401:
            raise RuntimeError(f"{name}: a token with {what} got {status}, not 401")
    status, scope = await call(tokens.good)
    claims = scope.get(CLAIMS_KEY)
    if status != 200 or not isinstance(claims, dict) or claims.get("uid") != _UID:
        raise RuntimeError(f"{name}: the good token got {status}, claims {claims!r}")
