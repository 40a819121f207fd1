"""Hostile bearer tokens (for tests of every verifier: platform API tokens and media tokens).

Each entry is (name, token): public JWT attacks (unsigned, `alg: none` in any case, a public key
used as an HMAC secret, `kid`/`jku`/`x5u`/`jwk` tricks, `crit`), claims of the wrong type, a
huge or non-integer `exp`, a token valid for centuries. Every one must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(
    header: dict[str, Any] | str, payload: dict[str, Any] | str, secret: bytes | None, signature: str | None = None
) -> str:
    """A compact JWS built by hand (no library refuses to build it). `payload` as a string is put
    in verbatim, so JSON no encoder would write (`10**400`) can be sent."""
    head = _b64((header if isinstance(header, str) else json.dumps(header)).encode())
    body = _b64((payload if isinstance(payload, str) else json.dumps(payload)).encode())
    if signature is None:
        signature = _b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()) if secret else ""
    return f"{head}.{body}.{signature}"


def hostile_tokens(
    secret: bytes, claims: dict[str, Any], *, public_key_pem: bytes, issuer: str, audience: str
) -> list[tuple[str, str]]:
    """`claims` are otherwise valid claims (without iss/aud/iat/exp) for the verifier under test."""
    now = int(time.time())
    good = {**claims, "iss": issuer, "aud": audience, "iat": now, "exp": now + 600}
    hs = {"alg": "HS256", "typ": "JWT"}
    good_json = json.dumps(good)
    tokens = [
        ("unsigned", forge(hs, good, None)),
        ("signature of another key", forge(hs, good, b"another-secret-0123456789abcdef")),
        ("public key as HMAC secret", forge(hs, good, public_key_pem)),
        ("public key as HMAC secret, RS256 header", forge({"alg": "RS256"}, good, public_key_pem)),
        ("kid path traversal", forge({**hs, "kid": "../../../../dev/null"}, good, b"")),
        ("kid SQL", forge({**hs, "kid": "x' UNION SELECT 'key"}, good, b"key")),
        ("kid not a string", forge({**hs, "kid": {"k": 1}}, good, secret)),
        ("jku to a foreign key set", forge({**hs, "jku": "https://attacker.example/jwks.json"}, good, secret)),
        ("x5u to a foreign certificate", forge({**hs, "x5u": "https://attacker.example/cert.pem"}, good, secret)),
        ("embedded jwk", forge({**hs, "jwk": {"kty": "oct", "k": _b64(b"attacker")}}, good, b"attacker")),
        ("crit extension", forge({**hs, "crit": ["exp"]}, good, secret)),
        ("header not an object", forge("[1, 2]", good, secret)),
        ("payload not an object", forge(hs, "[1, 2]", secret)),
        ("no exp", forge(hs, {k: v for k, v in good.items() if k != "exp"}, secret)),
        ("exp 10**400", forge(hs, good_json.replace(f'"exp": {now + 600}', f'"exp": 1{"0" * 400}'), secret)),
        ("exp -10**400", forge(hs, good_json.replace(f'"exp": {now + 600}', f'"exp": -1{"0" * 400}'), secret)),
        ("exp as string", forge(hs, {**good, "exp": str(now + 600)}, secret)),
        ("exp as float", forge(hs, {**good, "exp": now + 600.5}, secret)),
        ("exp as boolean", forge(hs, {**good, "exp": True}, secret)),
        ("exp null", forge(hs, {**good, "exp": None}, secret)),
        ("exp 1e400", forge(hs, good_json.replace(f'"exp": {now + 600}', '"exp": 1e400'), secret)),
        ("exp NaN", forge(hs, good_json.replace(f'"exp": {now + 600}', '"exp": NaN'), secret)),
        ("iat huge", forge(hs, good_json.replace(f'"iat": {now}', f'"iat": 9{"9" * 30}'), secret)),
        ("valid for centuries", forge(hs, {**good, "exp": now + 300 * 365 * 86400}, secret)),
        (
            "valid for centuries, no iat",
            forge(hs, {k: v for k, v in good.items() if k != "iat"} | {"exp": now + 300 * 365 * 86400}, secret),
        ),
        ("issued long ago, exp far", forge(hs, {**good, "iat": now - 100 * 365 * 86400}, secret)),
        ("expired", forge(hs, {**good, "exp": now - 3600}, secret)),
        ("not yet valid", forge(hs, {**good, "nbf": now + 3600}, secret)),
        ("sub a number", forge(hs, {**good, "sub": 42}, secret)),
        ("sub empty", forge(hs, {**good, "sub": ""}, secret)),
        ("wrong issuer", forge(hs, {**good, "iss": "someone-else"}, secret)),
        ("wrong audience", forge(hs, {**good, "aud": "someone-else"}, secret)),
        ("two parts", "e30.e30"),
        ("not base64", "@@@.###.$$$"),
        ("empty parts", ".."),
    ]
    for alg in ("none", "None", "NONE", "nOnE"):
        tokens.append((f"alg {alg}", forge({"alg": alg, "typ": "JWT"}, good, None)))
        tokens.append((f"alg {alg} with a signature", forge({"alg": alg}, good, None, signature=_b64(b"sig"))))
    return tokens
