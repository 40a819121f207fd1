"""Short-lived media tokens: a WHIP publish token scoped to one feed of one session (for the
enterprise), WHEP view tokens (for officers of the team). HS256 under the gateway's media key,
with their own audience so no platform API token is ever accepted in their place, nor the
reverse."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import jwt

from rvi_shared.auth.tokens import DEFAULT_MAX_LIFETIME_S, TokenError, decode_token
from rvi_shared.errors import DomainError

log = logging.getLogger(__name__)

Scope = Literal["publish", "view"]
AUDIENCE = "rvi-media"
ISSUER = "rvi-video-gateway"


class MediaTokenError(DomainError):
    status_code = 401


class MediaTokenForbidden(DomainError):
    status_code = 403


@dataclass(frozen=True)
class MediaGrant:
    scope: Scope
    feed_id: str
    subject: str
    expires_at: float


def media_key(secret: str | None, platform_secret: str | None) -> bytes:
    """The configured media secret; else one derived from the platform's JWT secret (replicas
    sharing that secret accept each other's tokens); else a random key for this process only."""
    if secret:
        return secret.encode()
    if platform_secret:
        return hashlib.sha256(b"rvi-media-tokens\x00" + platform_secret.encode()).digest()
    return secrets.token_bytes(32)


class MediaTokens:
    def __init__(self, key: bytes, max_lifetime_s: float = DEFAULT_MAX_LIFETIME_S) -> None:
        self._key = key
        self.max_lifetime_s = max_lifetime_s

    def mint(self, scope: Scope, feed_id: str, subject: str, ttl_s: float) -> tuple[str, float]:
        now = time.time()
        expires_at = now + ttl_s
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "scope": scope,
            "feed": feed_id,
            "sub": subject,
            "iat": int(now),
            "exp": int(expires_at),
        }
        return jwt.encode(claims, self._key, algorithm="HS256"), expires_at

    def verify(self, authorization: str | None, scope: Scope, feed_id: str) -> MediaGrant:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise MediaTokenError("a bearer media token is required (Authorization: Bearer <token>)")
        token = authorization[7:].strip()
        try:
            claims = decode_token(
                token,
                self._key,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                max_lifetime_s=self.max_lifetime_s,
            )
        except TokenError as exc:
            log.info("media token refused: %s", exc)
            raise MediaTokenError("the media token is not valid") from None
        if claims.get("feed") != feed_id:
            raise MediaTokenForbidden("the media token is for another feed")
        if claims.get("scope") != scope:
            raise MediaTokenForbidden(f"the media token allows {claims.get('scope')!r}, not {scope!r}")
        return MediaGrant(scope=scope, feed_id=feed_id, subject=str(claims.get("sub")), expires_at=claims["exp"])
