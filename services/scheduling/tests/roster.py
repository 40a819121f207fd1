"""Officers registered as the customs personnel system would (PUT /v1/officers/{id})."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from rvi_platform.testing import Tokens
from rvi_shared.customs import registry

# Each test that needs a roster of its own takes a customs district of the registry nobody else uses
# in the session (Ningbo and its Cixi office are the shared fixtures of the other tests; RESERVED
# ones belong to test_roster_offices): officers are eligible by office or district, so distinct
# districts keep the rosters apart.
RESERVED = frozenset({"Ningbo", "Shenzhen", "Urumqi", "Lhasa"})
_FREE_DISTRICTS = iter([d for d in registry().districts.values() if d.name_en not in RESERVED])


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


def unique_office() -> tuple[str, str]:
    """(customs office, district) of a real district no other test of the session uses: the office
    is the district's own (直属海关), named in English as the personnel system does."""
    district = next(_FREE_DISTRICTS)
    return district.name_en, district.name_en
