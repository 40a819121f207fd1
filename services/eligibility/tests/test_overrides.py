"""GACC-RVI 3(V) overrides and REST re-decisions of inspections the service follows (requested
through the real broker), each superseding the previous decision and emitted."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock
from rvi_shared.events.payloads import ChecklistItem, InspectionCancelled
from rvi_shared.identifiers import example_uscc

REQUESTED = "rvi.inspection.requested.v1"
FISH = ChecklistItem(item_id="FISH", description="frozen fish", commodity_code="0303.89")
FACTS: dict[str, Any] = {
    "consent": {"given": True, "scope": "export food planting sites"},
    "can_cooperate": True,
    "technical_conditions": True,
    "credit_status": "advanced_certified",
}
ONSITE = {"direction": "onsite", "reason": "the camera cannot cover the storage room", "legal_basis": "GACC-RVI 3(V)"}
REMOTE = {
    "direction": "remote",
    "reason": "a second camera now covers the storage room",
    "legal_basis": "GACC-RVI 3(V)",
}


class Flow:
    def __init__(self, client: httpx.AsyncClient, tokens: Tokens, publisher: Any, clock: ManualClock, kit: Any):
        self.client, self.tokens, self.publisher, self.clock, self.kit = client, tokens, publisher, clock, kit

    async def inspection(self, items: list[ChecklistItem] | None = None, **request: Any) -> tuple[str, str, dict]:
        """A known enterprise and a requested inspection with its first decision."""
        suffix = uuid.uuid4().hex[:10]
        eid, iid = example_uscc(suffix), f"INS-{suffix}"
        put = await self.client.put(
            f"/v1/enterprises/{eid}/facts", json=FACTS, headers=self.tokens.header(self.tokens.system())
        )
        assert put.status_code == 200
        await self.publisher.event(REQUESTED, iid, self.kit.cixi_request(iid, eid, items, **request), self.clock.now())
        first = await self.kit.eventually(lambda: self.latest(iid), f"the first decision of {iid}")
        return eid, iid, first

    async def latest(self, iid: str) -> dict[str, Any] | None:
        response = await self.client.get(
            f"/v1/inspections/{iid}/decision", headers=self.tokens.header(self.tokens.officer())
        )
        return response.json() if response.status_code == 200 else None

    async def override(self, iid: str, body: dict[str, Any], token: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"/v1/inspections/{iid}/override", json=body, headers=self.tokens.header(token or self.tokens.officer())
        )


@pytest.fixture
def flow(live_client: httpx.AsyncClient, tokens: Tokens, publisher: Any, live_clock: ManualClock, kit: Any) -> Flow:
    return Flow(live_client, tokens, publisher, live_clock, kit)


async def test_override_onsite_then_lift_it(flow: Flow, db: AsyncEngine, kit: Any) -> None:
    _, iid, first = await flow.inspection()
    assert first["outcome"] == "remote"

    onsite = await flow.override(iid, ONSITE)
    assert onsite.status_code == 201, onsite.text
    decision = onsite.json()
    assert (decision["supersedes"], decision["outcome"], decision["remote_allowed"]) == (first["id"], "onsite", False)
    assert [(r["rule_id"], r["reference"]) for r in decision["reasons"]] == [("officer-judgement", "GACC-RVI 3(V)")]
    assert decision["reasons"][0]["facts"]["legal_basis"] == "GACC-RVI 3(V)"
    assert decision["reasons"][0]["facts"]["credential_no"] == "NB-0001"
    assert "the camera cannot cover" in decision["reasons"][0]["message"]
    assert decision["kind"] == "inspection" and decision["decided_by"] == "O1"

    lifted = await flow.override(iid, REMOTE, flow.tokens.supervisor())
    assert lifted.status_code == 201, lifted.text
    assert (lifted.json()["supersedes"], lifted.json()["outcome"]) == (decision["id"], "remote")
    assert lifted.json()["reasons"] == []

    nothing_to_lift = await flow.override(iid, REMOTE)
    assert nothing_to_lift.status_code == 409
    assert "no GACC-RVI 3(V) override" in nothing_to_lift.json()["detail"]

    events = await kit.decided_events(db, iid)
    assert [e["data"]["outcome"] for e in events] == ["remote", "onsite", "remote"]
    assert events[1]["data"]["supersedes"] == first["id"]
    chain = (
        await flow.client.get(f"/v1/inspections/{iid}/decisions", headers=flow.tokens.header(flow.tokens.officer()))
    ).json()
    assert [d["id"] for d in chain] == [first["id"], decision["id"], lifted.json()["id"]]


async def test_item_override_makes_the_task_hybrid(flow: Flow) -> None:
    _, iid, first = await flow.inspection()
    response = await flow.override(iid, {**ONSITE, "items": ["I3"]})
    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "hybrid" and body["remote_allowed"] is True
    assert {i["item_id"]: i["method"] for i in body["items"]}["I3"] == "onsite"
    assert sum(1 for i in body["items"] if i["method"] == "onsite") == 1
    lift = await flow.override(iid, {**REMOTE, "items": ["I3"]})
    assert lift.json()["outcome"] == "remote"


REFUSALS = [
    ("3(IV) after a falsification", {}, "mandatory-onsite-after-falsification", "GACC-RVI 3(IV)"),
    ("3(II) special campaign", {"special_campaign": True}, "special-campaign-or-directive", "GACC-RVI 3(II)"),
    (
        "3(II) unannounced directive",
        {"directives": ["unannounced on-site verification"]},
        "special-campaign-or-directive",
        "GACC-RVI 3(II)",
    ),
    ("3(I) high-risk goods", {"items": "fish"}, "high-risk-items", "GACC-RVI 3(I)"),
]


@pytest.mark.parametrize(("case", "request_fields", "rule_id", "reference"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_override_toward_remote_is_refused_naming_the_rule(
    flow: Flow, case: str, request_fields: dict[str, Any], rule_id: str, reference: str
) -> None:
    fields = dict(request_fields)
    items = [*flow.kit.cixi_items, FISH] if fields.pop("items", None) == "fish" else None
    eid, iid, _ = await flow.inspection(items, **fields)
    assert (await flow.override(iid, ONSITE)).status_code == 201  # an override to lift, so only the rule refuses
    if reference == "GACC-RVI 3(IV)":
        await flow.client.put(
            f"/v1/enterprises/{eid}/facts",
            json={"mandatory_onsite": True, "mandatory_onsite_reason": "falsified footage in INS-7"},
            headers=flow.tokens.header(flow.tokens.system()),
        )
    before = await flow.latest(iid)
    response = await flow.override(iid, REMOTE, flow.tokens.supervisor())
    assert response.status_code == 409, case
    body = response.json()
    assert rule_id in body["detail"] and reference in body["detail"]
    assert [(r["rule_id"], r["reference"]) for r in body["rules"]] == [(rule_id, reference)]
    assert (await flow.latest(iid)) == before  # nothing decided, nothing lifted


async def test_override_input_errors(flow: Flow, kit: Any) -> None:
    _, iid, _ = await flow.inspection()
    unknown_item = await flow.override(iid, {**ONSITE, "items": ["I9"]})
    assert unknown_item.status_code == 422 and "I9" in unknown_item.json()["detail"]
    assert (await flow.override("INS-nope", ONSITE)).status_code == 404
    no_basis = await flow.override(iid, {"direction": "onsite", "reason": "because"})
    assert no_basis.status_code == 422 and "legal_basis" in no_basis.text
    await flow.publisher.event(
        "rvi.inspection.cancelled.v1", iid, InspectionCancelled(inspection_id=iid, reason="withdrawn"), flow.clock.now()
    )

    async def closed() -> httpx.Response | None:
        response = await flow.override(iid, ONSITE)
        return response if response.status_code == 409 else None

    refused = await kit.eventually(closed, "the inspection closed")
    assert refused.json()["current_state"] == "cancelled"


async def test_post_decision_for_a_followed_inspection_supersedes_and_emits(
    flow: Flow, db: AsyncEngine, kit: Any
) -> None:
    eid, iid, first = await flow.inspection()
    body = {
        "inspection_id": iid,
        "enterprise_id": eid,
        "customs": "Cixi",
        "checklist_items": [i.model_dump() for i in kit.cixi_items],
        "directives": ["joint inspection with market regulation"],
    }
    response = await flow.client.post("/v1/decisions", json=body, headers=flow.tokens.header(flow.tokens.system()))
    assert response.status_code == 201, response.text
    decision = response.json()
    assert (decision["kind"], decision["supersedes"], decision["outcome"]) == ("inspection", first["id"], "onsite")
    assert (await flow.latest(iid))["id"] == decision["id"]
    events = await kit.decided_events(db, iid)
    assert [e["data"]["decision_id"] for e in events] == [first["id"], decision["id"]]

    other = await flow.client.post(
        "/v1/decisions",
        json={**body, "enterprise_id": example_uscc("ENT-other")},
        headers=flow.tokens.header(flow.tokens.system()),
    )
    assert other.status_code == 409 and example_uscc("ENT-other") in other.json()["detail"]


async def test_batch_emits_only_for_followed_inspections(flow: Flow, db: AsyncEngine, kit: Any) -> None:
    eid, iid, first = await flow.inspection()
    adhoc_ref = f"TASK-{uuid.uuid4().hex[:8]}"
    items = [i.model_dump() for i in kit.cixi_items]
    tasks = [
        {"enterprise_id": eid, "customs": "Cixi", "checklist_items": items, "inspection_id": adhoc_ref},
        {
            "enterprise_id": eid,
            "customs": "Cixi",
            "checklist_items": items,
            "inspection_id": iid,
            "special_campaign": True,
        },
        {"enterprise_id": example_uscc("ENT-other"), "customs": "Cixi", "checklist_items": items, "inspection_id": iid},
    ]
    response = await flow.client.post(
        "/v1/decisions:batch", json={"tasks": tasks}, headers=flow.tokens.header(flow.tokens.officer())
    )
    results = response.json()["results"]
    assert results[0]["decision"]["kind"] == "adhoc"
    assert (results[1]["decision"]["kind"], results[1]["decision"]["supersedes"]) == ("inspection", first["id"])
    assert results[1]["decision"]["outcome"] == "onsite"
    assert results[2]["error"]["status"] == 409
    assert len(await kit.decided_events(db, iid)) == 2
    assert await kit.decided_events(db, adhoc_ref) == []
