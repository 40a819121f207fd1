"""Webhook signatures: HMAC-SHA256 over "<unix timestamp>.<body>" with the enterprise's secret,
sent as `RVI-Signature: t=<timestamp>,v1=<hex digest>` (the timestamp guards against replays)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "RVI-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver checks: the digest matches and the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance_s and hmac.compare_digest(expected, parts.get("v1", ""))
