"""REST: enterprise facts, what-if evaluations, the rule catalogue, and auth."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock
from rvi_shared.identifiers import example_uscc

CIXI_FACTS: dict[str, Any] = {
    "name": "Cixi Fresh Food Group",
    "consent": {"given": True, "scope": "export food planting sites"},
    "can_cooperate": True,
    "technical_conditions": True,
    "credit_status": "advanced_certified",
}
CIXI_ITEMS = [
    {"item_id": "I1", "description": "agricultural inputs", "category": "agricultural_inputs"},
    {"item_id": "I2", "description": "crop conditions", "category": "crop_conditions"},
    {"item_id": "I3", "description": "land boundaries", "category": "land_boundaries"},
    {"item_id": "I4", "description": "production records", "category": "production_records"},
]


E1 = example_uscc("E1")


def new_enterprise() -> str:
    return example_uscc(uuid.uuid4().hex)


async def put_facts(client: httpx.AsyncClient, tokens: Tokens, enterprise_id: str, **body: Any) -> httpx.Response:
    return await client.put(f"/v1/enterprises/{enterprise_id}/facts", json=body, headers=tokens.header(tokens.system()))


async def what_if(client: httpx.AsyncClient, tokens: Tokens, **body: Any) -> httpx.Response:
    return await client.post("/v1/evaluations", json=body, headers=tokens.header(tokens.officer()))


async def test_put_facts_returns_the_standing_and_get_reads_it(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = new_enterprise()
    put = await put_facts(client, tokens, eid, **CIXI_FACTS)
    assert put.status_code == 200, put.text
    standing = put.json()
    assert standing["credit_status"] == "advanced_certified"
    assert standing["consent"]["in_effect"] is True
    partial = await put_facts(client, tokens, eid, technical_conditions=False)
    assert partial.json()["technical_conditions"] is False
    assert partial.json()["credit_status"] == "advanced_certified"  # unchanged by a partial update
    got = await client.get(f"/v1/enterprises/{eid}", headers=tokens.header(tokens.officer()))
    assert got.status_code == 200
    assert got.json()["technical_conditions"] is False


async def test_future_change_is_scheduled_not_yet_in_effect(
    client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock
) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    later = clock.now() + timedelta(days=10)
    response = await put_facts(client, tokens, eid, credit_status="discredited", effective_from=later.isoformat())
    assert response.json()["credit_status"] == "advanced_certified"
    assert [c["changes"] for c in response.json()["scheduled_changes"]] == [{"credit_status": "discredited"}]
    now = await what_if(client, tokens, enterprise_id=eid, customs="Cixi", checklist_items=CIXI_ITEMS)
    then = await what_if(
        client,
        tokens,
        enterprise_id=eid,
        customs="Cixi",
        checklist_items=CIXI_ITEMS,
        as_at=(later + timedelta(hours=1)).isoformat(),
    )
    assert now.json()["outcome"] == "remote"
    assert then.json()["outcome"] == "onsite"
    assert [r["rule_id"] for r in then.json()["reasons"]] == ["not-discredited"]


async def test_new_enterprise_with_only_future_facts(
    client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock
) -> None:
    eid = new_enterprise()
    later = clock.now() + timedelta(days=3)
    response = await put_facts(client, tokens, eid, **CIXI_FACTS, effective_from=later.isoformat())
    assert response.status_code == 200, response.text
    assert response.json()["effective_from"] is None
    assert response.json()["consent"]["in_effect"] is False
    assert len(response.json()["scheduled_changes"]) == 1
    body = (await what_if(client, tokens, enterprise_id=eid, customs="Cixi")).json()
    assert [r["message"] for r in body["reasons"]] == ["enterprise facts unknown"]


async def test_what_if_as_at_reads_the_history(client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS, effective_from=(clock.now() - timedelta(days=20)).isoformat())
    await put_facts(client, tokens, eid, mandatory_onsite=True, mandatory_onsite_reason="falsified footage in INS-7")
    before = await what_if(
        client, tokens, enterprise_id=eid, customs="Cixi", as_at=(clock.now() - timedelta(days=1)).isoformat()
    )
    now = await what_if(client, tokens, enterprise_id=eid, customs="Cixi")
    assert before.json()["remote_allowed"] is True
    assert now.json()["remote_allowed"] is False
    assert now.json()["reasons"][0]["reference"] == "GACC-RVI 3(IV)"
    assert "falsified footage in INS-7" in now.json()["reasons"][0]["message"]


async def test_cixi_demo_what_if_is_remote(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    response = await what_if(client, tokens, enterprise_id=eid, customs="Cixi", checklist_items=CIXI_ITEMS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["outcome"], body["remote_allowed"], body["reasons"]) == ("remote", True, [])
    assert {i["method"] for i in body["items"]} == {"video"}
    assert body["rule_set_version"]
    assert {t["rule_id"] for t in body["trace"]} >= {"pilot-district", "consent", "high-risk-items"}


async def test_what_if_hybrid_with_laboratory_sampling(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    items = [*CIXI_ITEMS, {"item_id": "I5", "description": "soil samples", "category": "laboratory_sampling"}]
    body = (await what_if(client, tokens, enterprise_id=eid, customs="Cixi", checklist_items=items)).json()
    assert body["outcome"] == "hybrid"
    assert {i["item_id"]: i["method"] for i in body["items"]}["I5"] == "onsite"
    assert [(r["rule_id"], r["reference"]) for r in body["reasons"]] == [("item-not-video-capable", "GACC-RVI 3(III)")]


async def test_what_if_unknown_enterprise_is_not_eligible(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await what_if(
        client, tokens, enterprise_id=new_enterprise(), customs="Ningbo", checklist_items=CIXI_ITEMS
    )
    assert response.status_code == 200
    body = response.json()
    assert body["remote_allowed"] is False
    assert [r["message"] for r in body["reasons"]] == ["enterprise facts unknown"]


async def test_what_if_unknown_customs_is_422_naming_it(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await what_if(client, tokens, enterprise_id=new_enterprise(), customs="Atlantis")
    assert response.status_code == 422
    assert "Atlantis" in response.json()["detail"]
    assert "GACC-RVI 1" in response.json()["detail"]


async def test_what_if_stores_nothing(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = new_enterprise()
    await what_if(client, tokens, enterprise_id=eid, customs="Cixi")
    assert (await client.get(f"/v1/enterprises/{eid}", headers=tokens.header(tokens.officer()))).status_code == 404


async def test_mandatory_onsite_needs_a_reason(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await put_facts(client, tokens, new_enterprise(), mandatory_onsite=True)
    assert response.status_code == 422
    assert "mandatory_onsite_reason" in response.text


async def test_empty_facts_update_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await put_facts(client, tokens, new_enterprise())
    assert response.status_code == 422


async def test_rule_catalogue(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get("/v1/rules", headers=tokens.header(tokens.enterprise("ANY")))
    assert response.status_code == 200
    body = response.json()
    references = {r["id"]: r["reference"] for r in body["rules"]}
    assert references["pilot-district"] == "GACC-RVI 1"
    assert references["consent"] == "GACC-RVI 2"
    assert references["high-risk-items"] == "GACC-RVI 3(I)"
    assert references["special-campaign-or-directive"] == "GACC-RVI 3(II)"
    assert references["item-not-video-capable"] == "GACC-RVI 3(III)"
    assert references["mandatory-onsite-after-falsification"] == "GACC-RVI 3(IV)"
    assert all(r["effective_from"] for r in body["rules"])
    assert {c["key"] for c in body["high_risk_chapters"]} >= {"01", "02", "03", "05", "30", "93"}
    assert body["subordinate_customs"]["Cixi"] == "Ningbo"


async def test_unknown_decision_is_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    headers = tokens.header(tokens.officer())
    assert (await client.get("/v1/decisions/nope", headers=headers)).status_code == 404
    assert (await client.get("/v1/inspections/nope/decision", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", f"/v1/enterprises/{E1}/facts", {"can_cooperate": True}),
        ("GET", f"/v1/enterprises/{E1}", None),
        ("POST", "/v1/evaluations", {"enterprise_id": E1, "customs": "Cixi"}),
        ("GET", "/v1/decisions/D1", None),
        ("GET", "/v1/inspections/I1/decision", None),
        ("GET", "/v1/rules", None),
    ],
)
async def test_no_token_is_401(client: httpx.AsyncClient, method: str, path: str, body: Any) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("officer", "PUT", f"/v1/enterprises/{E1}/facts", {"can_cooperate": True}),
        ("enterprise", "PUT", f"/v1/enterprises/{E1}/facts", {"can_cooperate": True}),
        ("operator", "GET", f"/v1/enterprises/{E1}", None),
        ("other-enterprise", "GET", f"/v1/enterprises/{E1}", None),
        ("enterprise", "POST", "/v1/evaluations", {"enterprise_id": E1, "customs": "Cixi"}),
        ("operator", "POST", "/v1/evaluations", {"enterprise_id": E1, "customs": "Cixi"}),
    ],
)
async def test_wrong_role_is_403(
    client: httpx.AsyncClient, tokens: Tokens, role: str, method: str, path: str, body: Any
) -> None:
    await put_facts(client, tokens, E1, **CIXI_FACTS)
    token = {
        "officer": tokens.officer(),
        "operator": tokens.operator(),
        "enterprise": tokens.enterprise(E1),
        "other-enterprise": tokens.enterprise("E2"),
    }[role]
    response = await client.request(method, path, json=body, headers=tokens.header(token))
    assert response.status_code == 403


async def test_enterprise_reads_its_own_facts(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    response = await client.get(f"/v1/enterprises/{eid}", headers=tokens.header(tokens.enterprise(eid)))
    assert response.status_code == 200
    assert response.json()["enterprise_id"] == eid
