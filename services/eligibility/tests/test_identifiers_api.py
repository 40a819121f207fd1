"""Identifiers at the eligibility edge: a USCC however written is one enterprise, an invalid one is
a 422 naming the field and the expected check character, a full-width HS code still meets the
high-risk chapter rule (GACC-RVI 3(I)), the 13-digit declaration form is split."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from rvi_platform.testing import Tokens
from rvi_shared.identifiers import example_uscc

FACTS: dict[str, Any] = {
    "name": "Cixi Fresh Food Group",
    "consent": {"given": True, "scope": "export food planting sites"},
    "can_cooperate": True,
    "technical_conditions": True,
    "credit_status": "advanced_certified",
}
CROPS = {"item_id": "I1", "description": "crop conditions", "category": "crop_conditions"}


def variants(uscc: str) -> list[str]:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in uscc)
    return [uscc.lower(), full_width, f"{uscc[:6]} {uscc[6:12]}-{uscc[12:]}"]


async def test_a_uscc_written_differently_is_the_same_enterprise(client: httpx.AsyncClient, tokens: Tokens) -> None:
    uscc = example_uscc(uuid.uuid4().hex)
    put = await client.put(
        f"/v1/enterprises/{variants(uscc)[1]}/facts", json=FACTS, headers=tokens.header(tokens.system())
    )
    assert put.status_code == 200, put.text
    assert put.json()["enterprise_id"] == uscc
    for written in variants(uscc):
        decided = await client.post(
            "/v1/decisions",
            json={"enterprise_id": written, "customs": "Cixi", "checklist_items": [CROPS]},
            headers=tokens.header(tokens.officer()),
        )
        assert decided.status_code == 201, decided.text
        assert decided.json()["outcome"] == "remote", f"{written!r} found the facts of {uscc}"
    own = await client.get(f"/v1/enterprises/{uscc}", headers=tokens.header(tokens.enterprise(uscc.lower())))
    assert own.status_code == 200


@pytest.mark.parametrize("where", ["path", "body"])
async def test_a_wrong_check_character_is_422_naming_the_expected_one(
    client: httpx.AsyncClient, tokens: Tokens, where: str
) -> None:
    uscc = example_uscc(uuid.uuid4().hex)
    wrong = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    if where == "path":
        response = await client.put(
            f"/v1/enterprises/{wrong}/facts", json=FACTS, headers=tokens.header(tokens.system())
        )
    else:
        response = await client.post(
            "/v1/decisions",
            json={"enterprise_id": wrong, "customs": "Cixi", "checklist_items": [CROPS]},
            headers=tokens.header(tokens.officer()),
        )
    assert response.status_code == 422
    assert response.json()["field"] == "enterprise_id"
    assert f"expected {uscc[17]!r}" in response.json()["detail"]


async def test_a_customs_registration_code_is_an_enterprise_id(client: httpx.AsyncClient, tokens: Tokens) -> None:
    code = f"3104{uuid.uuid4().int % 10**6:06d}"
    put = await client.put(f"/v1/enterprises/{code}/facts", json=FACTS, headers=tokens.header(tokens.system()))
    assert put.status_code == 200 and put.json()["enterprise_id"] == code


async def test_full_width_hs_code_hits_the_high_risk_chapter_rule(client: httpx.AsyncClient, tokens: Tokens) -> None:
    uscc = example_uscc(uuid.uuid4().hex)
    await client.put(f"/v1/enterprises/{uscc}/facts", json=FACTS, headers=tokens.header(tokens.system()))
    fish = {"item_id": "FISH", "description": "chilled salmon", "commodity_code": "０３０２１１００００"}
    declared = {"item_id": "DECL", "description": "chilled trout", "commodity_code": "0302110000101"}
    decided = await client.post(
        "/v1/decisions",
        json={"enterprise_id": uscc, "customs": "Cixi", "checklist_items": [CROPS, fish, declared]},
        headers=tokens.header(tokens.officer()),
    )
    assert decided.status_code == 201, decided.text
    methods = {i["item_id"]: i for i in decided.json()["items"]}
    assert methods["FISH"]["method"] == "onsite" and methods["DECL"]["method"] == "onsite"
    assert any(
        r["reference"] == "GACC-RVI 3(I)" and r["facts"].get("hs_chapter") == "03" for r in methods["FISH"]["reasons"]
    )


@pytest.mark.parametrize("code", ["030", "0302A1", "03021100001"])
async def test_other_hs_codes_are_422(client: httpx.AsyncClient, tokens: Tokens, code: str) -> None:
    response = await client.post(
        "/v1/decisions",
        json={
            "enterprise_id": example_uscc("hs"),
            "customs": "Cixi",
            "checklist_items": [{"item_id": "X", "description": "x", "commodity_code": code}],
        },
        headers=tokens.header(tokens.officer()),
    )
    assert response.status_code == 422 and response.json()["field"] == "checklist_items.0.commodity_code"
