"""Schemathesis hooks for the contract tests: WHIP/WHEP offers (`application/sdp`) and trickle ICE
fragments (`application/trickle-ice-sdpfrag`, RFC 8840) are text."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("application/sdp", "application/trickle-ice-sdpfrag")
def sdp(ctx: Any, value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")


@schemathesis.serializer("application/pdf", "image/png", "image/jpeg", "application/octet-stream")
def binary(ctx: Any, value: Any) -> bytes:
    """Uploads and signed revisions are raw bytes; generated strings go as their UTF-8 bytes (the
    service sniffs the type from the bytes and answers 415 or 422 for what is not a PDF or image)."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")
