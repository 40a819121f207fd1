"""Every decision endpoint's body, as served, against the schema its OpenAPI document declares for
that status (the `response_model`), for each kind of decision: ad hoc, of a followed inspection,
superseded by a 3(V) override, and in a batch with an error."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jsonschema_rs
import pytest

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock
from rvi_shared.identifiers import example_uscc

REQUESTED = "rvi.inspection.requested.v1"
FACTS: dict[str, Any] = {
    "consent": {"given": True, "scope": "export food planting sites"},
    "can_cooperate": True,
    "technical_conditions": True,
    "credit_status": "advanced_certified",
}


class Declared:
    """The response schemas of the service's OpenAPI document, by path, method and status."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def validate(self, path: str, method: str, response: httpx.Response) -> None:
        declared = self.document["paths"][path][method]["responses"][str(response.status_code)]
        schema = declared["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator({**schema, "components": self.document["components"]})
        errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(response.json())]
        assert not errors, (path, method, response.status_code, errors)


@pytest.fixture
async def declared(live_client: httpx.AsyncClient) -> Declared:
    return Declared((await live_client.get("/openapi.json")).json())


async def test_every_decision_endpoint_serves_its_declared_schema(
    live_client: httpx.AsyncClient,
    tokens: Tokens,
    publisher: Any,
    live_clock: ManualClock,
    kit: Any,
    declared: Declared,
) -> None:
    system, officer = tokens.header(tokens.system()), tokens.header(tokens.officer())
    suffix = uuid.uuid4().hex[:10]
    eid, iid = example_uscc(suffix), f"INS-{suffix}"
    assert (await live_client.put(f"/v1/enterprises/{eid}/facts", json=FACTS, headers=system)).status_code == 200
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid), live_clock.now())

    async def latest() -> httpx.Response | None:
        response = await live_client.get(f"/v1/inspections/{iid}/decision", headers=officer)
        return response if response.status_code == 200 else None

    first = await kit.eventually(latest, f"the first decision of {iid}")
    declared.validate("/v1/inspections/{inspection_id}/decision", "get", first)
    items = [i.model_dump() for i in kit.cixi_items]
    task = {"enterprise_id": eid, "customs": "Cixi", "checklist_items": items}

    ad_hoc = await live_client.post("/v1/decisions", json=task, headers=system)
    assert ad_hoc.status_code == 201 and ad_hoc.json()["kind"] == "adhoc", ad_hoc.text
    declared.validate("/v1/decisions", "post", ad_hoc)
    followed = await live_client.post("/v1/decisions", json={**task, "inspection_id": iid}, headers=system)
    assert followed.status_code == 201 and followed.json()["supersedes"] == first.json()["id"], followed.text
    declared.validate("/v1/decisions", "post", followed)
    assert followed.json()["trace"] == ad_hoc.json()["trace"]  # the same facts: the same judgement

    onsite = {"direction": "onsite", "reason": "the camera cannot cover the store", "legal_basis": "GACC-RVI 3(V)"}
    overridden = await live_client.post(f"/v1/inspections/{iid}/override", json=onsite, headers=officer)
    assert overridden.status_code == 201 and overridden.json()["outcome"] == "onsite", overridden.text
    declared.validate("/v1/inspections/{inspection_id}/override", "post", overridden)

    for decision in (ad_hoc, overridden):
        stored = await live_client.get(f"/v1/decisions/{decision.json()['id']}", headers=officer)
        assert stored.json() == decision.json()  # served stored as it was served new
        declared.validate("/v1/decisions/{decision_id}", "get", stored)
    chain = await live_client.get(f"/v1/inspections/{iid}/decisions", headers=officer)
    assert [d["id"] for d in chain.json()] == [first.json()["id"], followed.json()["id"], overridden.json()["id"]]
    declared.validate("/v1/inspections/{inspection_id}/decisions", "get", chain)

    batch = await live_client.post(
        "/v1/decisions:batch",
        json={"tasks": [task, {**task, "customs": "no such office"}, {**task, "inspection_id": iid}]},
        headers=officer,
    )
    assert [r["error"] is None for r in batch.json()["results"]] == [True, False, True], batch.text
    declared.validate("/v1/decisions:batch", "post", batch)

    what_if = await live_client.post("/v1/evaluations", json=task, headers=officer)
    declared.validate("/v1/evaluations", "post", what_if)


def test_the_validator_refuses_a_body_off_its_schema(declared: Declared) -> None:
    """The check itself can fail: a decision without its trace is not a DecisionOut."""
    request = httpx.Request("POST", "http://eligibility/v1/decisions")
    body = {"id": "x", "kind": "adhoc", "outcome": "remote"}
    with pytest.raises(AssertionError, match="trace"):
        declared.validate("/v1/decisions", "post", httpx.Response(201, json=body, request=request))
