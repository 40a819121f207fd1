from __future__ import annotations

import uuid
from typing import Any

import httpx

from rvi_platform.testing import Tokens
from rvi_shared.identifiers import example_uscc


def inspection_body(enterprise_id: str = example_uscc("ENT-1"), **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "enterprise_name": "Cixi Fresh Food Group",
        "customs": "Cixi",
        "sites": [{"site_id": "S1", "name": "Zhouxiang base", "latitude": 30.17, "longitude": 121.27}],
        "checklist_items": [{"item_id": "I1", "description": "agricultural inputs"}],
    }
    body.update(overrides)
    return body


async def test_create_then_read(client: httpx.AsyncClient, tokens: Tokens) -> None:
    headers = tokens.header(tokens.system())
    created = await client.post("/v1/inspections", json=inspection_body(), headers=headers)
    assert created.status_code == 201, created.text
    inspection = created.json()
    assert inspection["state"] == "requested"
    got = await client.get(f"/v1/inspections/{inspection['id']}", headers=headers)
    assert got.status_code == 200
    assert got.json()["sites"][0]["latitude"] == 30.17
    timeline = (await client.get(f"/v1/inspections/{inspection['id']}/timeline", headers=headers)).json()
    assert [e["type"] for e in timeline] == ["rvi.inspection.requested.v1"]


async def test_read_is_the_representation_written(client: httpx.AsyncClient, tokens: Tokens) -> None:
    """GET reads on the driver in one statement: the same representation as the created one,
    sites and items in the order given (not by id), optional fields absent and present."""
    headers = tokens.header(tokens.system())
    body = inspection_body(
        sites=[
            {"site_id": "S9", "name": "Zhouxiang base", "latitude": 30.1731, "longitude": 121.2698},
            {"site_id": "S1", "name": "Guanhaiwei", "latitude": 30.2, "longitude": 121.4, "address": "慈溪市观海卫镇"},
        ],
        checklist_items=[
            {"item_id": "I2", "description": "pesticide records", "category": "inputs", "commodity_code": "0709"},
            {"item_id": "I1", "description": "agricultural inputs"},
        ],
    )
    created = await client.post("/v1/inspections", json=body, headers=headers)
    assert created.status_code == 201, created.text
    got = await client.get(f"/v1/inspections/{created.json()['id']}", headers=headers)
    assert got.status_code == 200
    assert got.json() == created.json()
    assert [s["site_id"] for s in got.json()["sites"]] == ["S9", "S1"]
    assert [i["item_id"] for i in got.json()["checklist_items"]] == ["I2", "I1"]


async def test_idempotency_key_replays_the_same_inspection(client: httpx.AsyncClient, tokens: Tokens) -> None:
    headers = {**tokens.header(tokens.system()), "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/v1/inspections", json=inspection_body(), headers=headers)
    second = await client.post("/v1/inspections", json=inspection_body(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    different = await client.post("/v1/inspections", json=inspection_body(customs="Ningbo"), headers=headers)
    assert different.status_code == 422
    assert "Idempotency-Key" in different.json()["detail"]


async def test_missing_field_is_named(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = inspection_body()
    del body["enterprise_id"]
    response = await client.post("/v1/inspections", json=body, headers=tokens.header(tokens.system()))
    assert response.status_code == 422
    assert any(err["field"] == "enterprise_id" for err in response.json()["errors"])


async def test_malformed_json_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.post(
        "/v1/inspections",
        content=b"{not json",
        headers={**tokens.header(tokens.system()), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


async def test_one_officer_is_not_enough(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = inspection_body(officers=[{"officer_id": "O1", "name": "Wang Li", "credential_no": "NB-0001"}])
    response = await client.post("/v1/inspections", json=body, headers=tokens.header(tokens.system()))
    assert response.status_code == 422
    assert any(err["field"].startswith("officers") for err in response.json()["errors"])


async def test_unknown_inspection_is_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get("/v1/inspections/nope", headers=tokens.header(tokens.officer()))
    assert response.status_code == 404


async def test_readiness_before_scheduling_is_409_naming_state(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = (
        await client.post(
            "/v1/inspections", json=inspection_body(example_uscc("ENT-9")), headers=tokens.header(tokens.system())
        )
    ).json()
    response = await client.post(
        f"/v1/inspections/{created['id']}/readiness",
        json={"equipment_test_passed": True, "documents_submitted": True},
        headers=tokens.header(tokens.enterprise(example_uscc("ENT-9"))),
    )
    assert response.status_code == 409
    assert response.json()["current_state"] == "requested"
    assert "requested" in response.json()["detail"]
