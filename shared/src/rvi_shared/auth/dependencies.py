"""FastAPI dependencies: 401 for a missing or bad token, 403 for a wrong role or enterprise."""

from __future__ import annotations

import logging
import time
from typing import Any

import jwt
from fastapi import HTTPException, Request, status
from fastapi.security import HTTPBearer

from rvi_shared.auth.principal import Principal, Role
from rvi_shared.auth.tokens import TokenError, decode_token, principal_from_claims
from rvi_shared.identifiers import normalize_identifier
from rvi_shared.settings import DEV_JWT_SECRET, ServiceSettings

log = logging.getLogger(__name__)
ASYMMETRIC = ["RS256", "ES256", "EdDSA"]
# A verified token is trusted again until it expires, for at most this long, so a key rotation
# (JWKS) takes effect within a minute. Verifying a JWT costs more than a typical request's work.
TRUST_FOR_S = 60.0
MAX_REMEMBERED = 10_000


class Authenticator:
    """Verifies against a JWKS URL, a local public key, or a shared secret, in that order."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.max_lifetime_s = settings.jwt_max_lifetime_s
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._public_key = settings.jwt_public_key
        self._secret = settings.jwt_secret
        if not (self._jwks or self._public_key or self._secret):
            log.warning("no JWT key configured: using the local development secret")
            self._secret = DEV_JWT_SECRET
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        now = time.time()
        known = self._verified.get(token)
        if known is not None and now < known[1]:
            return known[0]
        principal, expires_at = self._verify(token)
        if len(self._verified) >= MAX_REMEMBERED:
            self._verified.clear()
        self._verified[token] = (principal, min(expires_at, now + TRUST_FOR_S))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ASYMMETRIC
            elif self._public_key:
                key, algorithms = self._public_key, ASYMMETRIC
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = decode_token(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                max_lifetime_s=self.max_lifetime_s,
            )
            return principal_from_claims(claims), float(claims["exp"])
        except (jwt.PyJWTError, TokenError) as exc:
            log.info("token refused: %s", exc)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="invalid token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None


class RoleBearer(HTTPBearer):
    """One dependency per route: the bearer token verified and its role checked. Being the security
    scheme itself (not a function depending on one) it is documented in OpenAPI as the bearer scheme
    and costs FastAPI one dependency to resolve per request, not two."""

    def __init__(self, roles: frozenset[Role]) -> None:
        super().__init__(auto_error=False, scheme_name="HTTPBearer")
        self.allowed = roles

    @property
    def openapi_security(self) -> dict[str, Any]:
        """`openapi_extra` for a route that calls this itself rather than depending on it."""
        return {"security": [{self.scheme_name: []}]}

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        principal = current_principal(request)
        if principal.role not in self.allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role.value!r} may not do this; allowed: {sorted(r.value for r in self.allowed)}",
            )
        return principal


def current_principal(request: Request) -> Principal:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    if not (token and scheme.lower() == "bearer"):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.verify(token)


def require_roles(*roles: Role) -> RoleBearer:
    return RoleBearer(frozenset(roles))


def ensure_enterprise_access(principal: Principal, enterprise_id: str) -> None:
    """An enterprise sees only its own inspections, recordings and documents. Both ids are compared
    normalized (a token may carry the code in full-width or lower case)."""
    if principal.role is Role.ENTERPRISE and normalize_identifier(
        principal.enterprise_id or ""
    ) != normalize_identifier(enterprise_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="this belongs to another enterprise")
