"""Dates at the REST edge: each fault of issue 8 with its small input is a 422 naming the field."""

from __future__ import annotations

import uuid

import httpx
import pytest

from rvi_platform.testing import Tokens
from rvi_shared.identifiers import example_uscc

BAD = [
    pytest.param("20260102", "RFC 3339", id="compact-date"),
    pytest.param("20260102030405", "RFC 3339", id="compact-date-time"),
    pytest.param(20260102, "numbers", id="epoch-number"),
    pytest.param("2026-01-02T03:04:05", "offset", id="no-offset"),
    pytest.param("2026-01-02T03:04:05+16:00", "±15:59", id="impossible-offset"),
    pytest.param("2026-01-02T03:04:05.123456789Z", "6 fractional", id="nanoseconds"),
]
TASK = {
    "enterprise_id": example_uscc("ENT-1"),
    "customs": "Cixi",
    "checklist_items": [{"item_id": "I1", "description": "crop conditions", "category": "crop_conditions"}],
}


def assert_names(response: httpx.Response, field: str, rule: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field and rule in body["detail"]
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize(("value", "rule"), BAD)
async def test_facts_effective_from(client: httpx.AsyncClient, tokens: Tokens, value: object, rule: str) -> None:
    enterprise = example_uscc(uuid.uuid4().hex)
    response = await client.put(
        f"/v1/enterprises/{enterprise}/facts",
        json={"can_cooperate": True, "effective_from": value},
        headers=tokens.header(tokens.system()),
    )
    assert_names(response, "effective_from", rule)
    unknown = await client.get(f"/v1/enterprises/{enterprise}", headers=tokens.header(tokens.officer()))
    assert unknown.status_code == 404, "nothing was stored"


@pytest.mark.parametrize(("value", "rule"), BAD)
@pytest.mark.parametrize("path", ["/v1/decisions", "/v1/evaluations"])
async def test_decisions_and_evaluations_as_at(
    client: httpx.AsyncClient, tokens: Tokens, path: str, value: object, rule: str
) -> None:
    response = await client.post(path, json={**TASK, "as_at": value}, headers=tokens.header(tokens.officer()))
    assert_names(response, "as_at", rule)


async def test_rules_as_at_query(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get("/v1/rules", params={"as_at": "20260102"}, headers=tokens.header(tokens.officer()))
    assert_names(response, "as_at", "RFC 3339")
