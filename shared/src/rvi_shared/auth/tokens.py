"""Minting and verifying OAuth2 bearer JWTs (DESIGN: Security)."""

from __future__ import annotations

import time
from typing import Any

import jwt

from rvi_shared.auth.principal import Principal, Role


class TokenError(Exception):
    pass


def mint_token(
    secret: str,
    *,
    role: Role | str,
    subject: str,
    name: str | None = None,
    enterprise_id: str | None = None,
    credential_no: str | None = None,
    district: str | None = None,
    ttl_s: int = 3600,
    issuer: str = "rvi",
    audience: str = "rvi",
    extra: dict[str, Any] | None = None,
) -> str:
    role = Role(role)
    if role is Role.ENTERPRISE and not enterprise_id:
        raise ValueError("an enterprise token needs enterprise_id")
    if role in (Role.OFFICER, Role.SUPERVISOR) and not credential_no:
        raise ValueError("an officer token needs credential_no (the enforcement credential number)")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role.value,
        "iat": now,
        "exp": now + ttl_s,
        "iss": issuer,
        "aud": audience,
    }
    for key, value in (
        ("name", name),
        ("enterprise_id", enterprise_id),
        ("credential_no", credential_no),
        ("district", district),
    ):
        if value:
            claims[key] = value
    claims.update(extra or {})
    return jwt.encode(claims, secret, algorithm="HS256")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims.get("role", ""))
    except ValueError:
        raise TokenError(f"unknown role {claims.get('role')!r}") from None
    subject = claims.get("sub")
    if not subject:
        raise TokenError("token has no subject")
    if role is Role.ENTERPRISE and not claims.get("enterprise_id"):
        raise TokenError("enterprise token without enterprise_id")
    if role in (Role.OFFICER, Role.SUPERVISOR) and not claims.get("credential_no"):
        raise TokenError("officer token without credential_no")
    return Principal(
        subject=str(subject),
        role=role,
        name=claims.get("name"),
        enterprise_id=claims.get("enterprise_id"),
        credential_no=claims.get("credential_no"),
        district=claims.get("district"),
    )
