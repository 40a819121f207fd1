"""Reschedule: a slot start that is not an RFC 3339 date-time with an offset is a 422 naming it."""

from __future__ import annotations

import httpx
import pytest

from rvi_platform.testing import Tokens


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("2026-01-02T03:04:05", "offset"),
        ("20260102030405", "RFC 3339"),
        (1767225600, "numbers"),
        ("2026-01-02T03:04:05-16:30", "±15:59"),
        ("2026-01-02T03:04:05.0000001+08:00", "6 fractional"),
    ],
)
async def test_reschedule_slot_start(client: httpx.AsyncClient, tokens: Tokens, value: object, rule: str) -> None:
    response = await client.post(
        "/v1/inspections/any/reschedule",
        json={"slot_start": value, "reason": "team unavailable"},
        headers=tokens.header(tokens.officer()),
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "slot_start" and rule in response.json()["detail"]
