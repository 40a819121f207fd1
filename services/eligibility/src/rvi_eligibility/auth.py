"""Bearer-token roles for this service: the shared Authenticator and the shared semantics (401 for
a missing or bad token, 403 for a wrong role), in one dependency level, remembering tokens it has
verified. Verifying a JWT with PyJWT, through three dependency levels, cost more than evaluating
and storing a decision (see bench/eligibility.py)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status

from rvi_shared.auth import Principal, Role
from rvi_shared.auth.dependencies import Authenticator

# A verified token is trusted again until it expires, but for at most this long, so that a key
# rotation (JWKS) takes effect within a minute as well.
TRUST_FOR_S = 60.0
MAX_REMEMBERED = 10_000


class VerifiedTokens:
    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator
        self._known: dict[str, tuple[Principal, float]] = {}

    def principal(self, token: str) -> Principal:
        now = time.time()
        known = self._known.get(token)
        if known is not None and now < known[1]:
            return known[0]
        principal = self.authenticator.verify(token)  # raises 401
        if len(self._known) >= MAX_REMEMBERED:
            self._known.clear()
        self._known[token] = (principal, min(_expiry(token), now + TRUST_FOR_S))
        return principal


def _expiry(token: str) -> float:
    """`exp` of a token that has just been verified (so it has one)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"])


def verified_tokens(request: Request) -> VerifiedTokens:
    tokens: VerifiedTokens | None = getattr(request.app.state, "eligibility_verified_tokens", None)
    if tokens is None:
        tokens = request.app.state.eligibility_verified_tokens = VerifiedTokens(request.app.state.authenticator)
    return tokens


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    allowed = frozenset(roles)
    allowed_names = sorted(r.value for r in allowed)

    async def dependency(request: Request) -> Principal:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, detail="missing bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        principal = verified_tokens(request).principal(token)
        if principal.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role.value!r} may not do this; allowed: {allowed_names}",
            )
        return principal

    return dependency


def document_bearer(app: FastAPI) -> None:
    """The OpenAPI document names the bearer scheme on every /v1 operation, as the shared
    dependency (HTTPBearer) would."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["HTTPBearer"] = {"type": "http", "scheme": "bearer"}
        for path, operations in schema["paths"].items():
            if path.startswith("/v1/"):
                for operation in operations.values():
                    operation.setdefault("security", [{"HTTPBearer": []}])
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
