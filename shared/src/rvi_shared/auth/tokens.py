"""Minting and verifying OAuth2 bearer JWTs (DESIGN: Security)."""

from __future__ import annotations

import time
from typing import Any

import jwt

from rvi_shared.auth.principal import Principal, Role


class TokenError(Exception):
    """Why a token was refused: logged, never told to the caller (who gets a generic 401)."""


# RFC 7515 4.1.2/4.1.5/4.1.3: header parameters that point at a key elsewhere. A verifier that
# followed them would let the token choose the key that verifies it; none is ever followed here.
KEY_POINTING_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c"})
DEFAULT_MAX_LIFETIME_S = 24 * 3600
# For clocks slightly ahead of ours (iat, nbf); expiry itself is exact.
CLOCK_LEEWAY_S = 30


def decode_token(
    token: str,
    key: Any,
    *,
    algorithms: list[str],
    audience: str,
    issuer: str,
    max_lifetime_s: float = DEFAULT_MAX_LIFETIME_S,
    now: float | None = None,
) -> dict[str, Any]:
    """The verified claims of a compact JWS (RFC 7519), or TokenError.

    Refused: a header that is not a JSON object, an `alg` not in `algorithms` (exactly: `none`,
    `None`, `NONE`... are not), `crit`, a key-pointing header (`jku`, `x5u`, `jwk`, `x5c`), a `kid`
    that is not a short string; a bad signature, issuer or audience; a missing `exp`; `exp`, `iat`
    or `nbf` that is not an integer NumericDate (a boolean, a float, a string, or beyond 2**53);
    `sub` that is not a non-empty string; `exp` more than `max_lifetime_s` after now or after `iat`
    (a token valid for centuries)."""
    now = time.time() if now is None else now
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError(f"malformed token: {exc}") from None
    if not isinstance(header, dict):
        raise TokenError("the token header is not a JSON object")
    if header.get("alg") not in algorithms:
        raise TokenError(f"algorithm {header.get('alg')!r} is not accepted")
    pointing = KEY_POINTING_HEADERS & header.keys()
    if pointing or "crit" in header:
        raise TokenError(f"header parameters {sorted(pointing | ({'crit'} & header.keys()))} are not accepted")
    kid = header.get("kid")
    if kid is not None and not (isinstance(kid, str) and 0 < len(kid) <= 128 and kid.isprintable()):
        raise TokenError("kid is not a short printable string")
    try:
        claims = jwt.decode_complete(
            token,
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )["payload"]
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from None
    except (OverflowError, ValueError, TypeError) as exc:
        raise TokenError(f"malformed claims: {exc}") from None
    _check_times(claims, now, max_lifetime_s)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenError("sub is not a non-empty string")
    return claims


MAX_NUMERIC_DATE = 2**53


def _numeric_date(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None and name != "exp":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenError(f"{name} is not an integer NumericDate")
    if not 0 <= value < MAX_NUMERIC_DATE:
        raise TokenError(f"{name} is out of range")
    return value


def _check_times(claims: dict[str, Any], now: float, max_lifetime_s: float) -> None:
    exp = _numeric_date(claims, "exp")
    iat = _numeric_date(claims, "iat")
    nbf = _numeric_date(claims, "nbf")
    assert exp is not None
    if exp <= now:
        raise TokenError("the token has expired")
    if nbf is not None and nbf > now + CLOCK_LEEWAY_S:
        raise TokenError("the token is not yet valid")
    if iat is not None and iat > now + CLOCK_LEEWAY_S:
        raise TokenError("the token was issued in the future")
    if exp > now + max_lifetime_s + CLOCK_LEEWAY_S or (iat is not None and exp - iat > max_lifetime_s):
        raise TokenError(f"the token is valid for longer than the maximum lifetime of {max_lifetime_s:.0f} s")


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
    for name in ("role", "name", "enterprise_id", "credential_no", "district"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise TokenError(f"{name} is not a string")
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
