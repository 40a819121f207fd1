"""Officers registered as the customs personnel system would (PUT /v1/officers/{id})."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from rvi_platform.testing import Tokens


def officer_body(office: str, district: str, credential_no: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Officer {credential_no}",
        "credential_no": credential_no,
        "credential_valid_from": "2024-01-01",
        "credential_valid_until": "2029-12-31",
        "customs_office": office,
        "district": district,
        "languages": ["zh", "en"],
    }
    body.update(overrides)
    return body


async def register(
    client: httpx.AsyncClient, tokens: Tokens, office: str, district: str, count: int, prefix: str | None = None
) -> list[str]:
    prefix = prefix or uuid.uuid4().hex[:6]
    ids = []
    for n in range(count):
        officer_id = f"O-{prefix}-{n}"
        response = await client.put(
            f"/v1/officers/{officer_id}",
            json=officer_body(office, district, f"{prefix}-{n:04d}".upper()),
            headers=tokens.header(tokens.system()),
        )
        assert response.status_code == 200, response.text
        ids.append(officer_id)
    return ids
