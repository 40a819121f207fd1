"""The customs office registry at the eligibility edge (DOMAIN 10, GACC-RVI 1): an office named by
code, Chinese or English name is judged; a real office outside the pilot districts gives a decision
that is not remote with reason GACC-RVI 1; only something that is no customs office is 422."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from rvi_platform.testing import Tokens
from rvi_shared.customs import CustomsRegistry, registry
from rvi_shared.identifiers import example_uscc

FACTS: dict[str, Any] = {
    "name": "Cixi Fresh Food Group",
    "consent": {"given": True, "scope": "export food planting sites"},
    "can_cooperate": True,
    "technical_conditions": True,
    "credit_status": "advanced_certified",
}
CROPS = {"item_id": "I1", "description": "crop conditions", "category": "crop_conditions"}


@pytest.fixture(scope="module")
def enterprise() -> str:
    return example_uscc(uuid.uuid4().hex)


async def decide(client: httpx.AsyncClient, tokens: Tokens, enterprise: str, customs: str) -> httpx.Response:
    await client.put(f"/v1/enterprises/{enterprise}/facts", json=FACTS, headers=tokens.header(tokens.system()))
    return await client.post(
        "/v1/decisions",
        json={"enterprise_id": enterprise, "customs": customs, "checklist_items": [CROPS]},
        headers=tokens.header(tokens.officer()),
    )


@pytest.mark.parametrize(
    "customs",
    ["3100", "3101", "３１００", "宁波海关", "宁波关区", "Ningbo", "ningbo customs", "Cixi", "5301", "皇岗海关"],
)
async def test_pilot_offices_by_code_or_name_are_remote(
    client: httpx.AsyncClient, tokens: Tokens, enterprise: str, customs: str
) -> None:
    response = await decide(client, tokens, enterprise, customs)
    assert response.status_code == 201, response.text
    assert response.json()["outcome"] == "remote"


@pytest.mark.parametrize("customs", ["Harbin", "1900", "哈尔滨海关", "Xiamen", "3700", "Hefei"])
async def test_offices_outside_the_pilot_are_judged_not_remote(
    client: httpx.AsyncClient, tokens: Tokens, enterprise: str, customs: str
) -> None:
    response = await decide(client, tokens, enterprise, customs)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "onsite"
    assert [(r["rule_id"], r["reference"]) for r in body["reasons"]] == [("pilot-district", "GACC-RVI 1")]


@pytest.mark.parametrize("customs", ["Atlantis", "0000", "0300", "12345", "海关", "ABCD"])
async def test_no_customs_office_is_422(
    client: httpx.AsyncClient, tokens: Tokens, enterprise: str, customs: str
) -> None:
    response = await decide(client, tokens, enterprise, customs)
    assert response.status_code == 422 and response.json()["field"] == "customs"


def test_the_registry_holds_42_districts_and_17_pilot_districts() -> None:
    the = registry()
    assert len(the.districts) == 42 and len(the.pilot_districts) == 17
    assert the.resolve("1900").district.name_zh == "哈尔滨海关"
    assert all(o.code is None or o.code[:2] == (o.district.code or "")[:2] for o in the.offices)


def test_a_district_joining_later_is_in_the_pilot_from_its_date() -> None:
    document = {
        "version": "test",
        "pilot": {"districts": [{"district": "Harbin", "from": "2027-03-01", "to": None}]},
        "districts": [{"code": "1900", "name_zh": "哈尔滨海关", "name_en": "Harbin"}],
        "offices": [],
    }
    harbin = CustomsRegistry(document).resolve("1900")
    assert harbin is not None
    assert not harbin.district.in_pilot_on(date(2027, 2, 28)) and harbin.district.in_pilot_on(date(2027, 3, 1))
