"""Creating an inspection names its customs office by code, Chinese or English name; something that
is no customs office is a 422 naming `customs`, and nothing is created."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from rvi_platform.testing import Tokens
from rvi_shared.identifiers import example_uscc


def body(customs: str) -> dict[str, Any]:
    return {
        "id": f"T-{uuid.uuid4().hex[:8]}",
        "enterprise_id": example_uscc("customs"),
        "enterprise_name": "Cixi Fresh Food Group",
        "customs": customs,
        "sites": [{"site_id": "S1", "name": "Zhouxiang base", "latitude": 30.17, "longitude": 121.27}],
        "checklist_items": [{"item_id": "I1", "description": "agricultural inputs"}],
    }


@pytest.mark.parametrize("customs", ["3105", "3100", "宁波海关", "Harbin", "1900"])
async def test_offices_by_code_or_name(client: httpx.AsyncClient, tokens: Tokens, customs: str) -> None:
    response = await client.post("/v1/inspections", json=body(customs), headers=tokens.header(tokens.system()))
    assert response.status_code == 201, response.text
    assert response.json()["customs"] == customs


async def test_no_customs_office_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    sent = body("Atlantis")
    response = await client.post("/v1/inspections", json=sent, headers=tokens.header(tokens.system()))
    assert response.status_code == 422 and response.json()["field"] == "customs"
    assert (
        await client.get(f"/v1/inspections/{sent['id']}", headers=tokens.header(tokens.system()))
    ).status_code == 404
