"""REST: stored decisions (single and batch), what-if with alternative facts or rule sets, the
rule catalogue, the enterprise standing, the supervisor's lift of 3(IV), bad input, OpenAPI."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

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
    {"item_id": "I5", "description": "pest monitoring", "category": "pest_monitoring"},
    {"item_id": "I6", "description": "traceability", "category": "traceability"},
]
LAB = {"item_id": "LAB", "description": "soil samples", "category": "laboratory_sampling"}
ARMS = {"item_id": "ARMS", "description": "hunting rifles", "commodity_code": "9303.20"}


def new_enterprise() -> str:
    return example_uscc(uuid.uuid4().hex)


def task(enterprise_id: str, **fields: Any) -> dict[str, Any]:
    return {"enterprise_id": enterprise_id, "customs": "Cixi", "checklist_items": CIXI_ITEMS, **fields}


async def put_facts(client: httpx.AsyncClient, tokens: Tokens, enterprise_id: str, **body: Any) -> httpx.Response:
    return await client.put(f"/v1/enterprises/{enterprise_id}/facts", json=body, headers=tokens.header(tokens.system()))


async def decide(client: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/decisions", json=body, headers=tokens.header(tokens.officer()))


async def stored_decisions(db: AsyncEngine, ids: list[str]) -> dict[str, dict[str, Any]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT d.id, d.kind, d.outcome, d.rule_set_version, t.trace FROM eligibility.decisions d "
                "JOIN eligibility.decision_traces t ON t.digest = d.trace_digest WHERE d.id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        return {r.id: dict(r._mapping) for r in rows}


async def outbox_count(db: AsyncEngine, key: str) -> int:
    async with db.connect() as conn:
        row = await conn.execute(text("SELECT count(*) FROM eligibility.outbox WHERE key = :k"), {"k": key})
        return int(row.scalar_one())


# --- a single stored decision ---


async def test_post_decision_stores_an_ad_hoc_decision(
    client: httpx.AsyncClient, tokens: Tokens, db: AsyncEngine
) -> None:
    eid, reference = new_enterprise(), f"TASK-{uuid.uuid4().hex[:8]}"
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    response = await decide(client, tokens, task(eid, inspection_id=reference))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["inspection_id"], body["outcome"], body["remote_allowed"]) == (
        "adhoc",
        reference,
        "remote",
        True,
    )
    assert body["rule_set_version"] == "2026-11-01"
    assert body["decided_by"] == "O1"
    assert len(body["trace"]) == 8 + 2 * len(CIXI_ITEMS)
    got = await client.get(f"/v1/decisions/{body['id']}", headers=tokens.header(tokens.enterprise(eid)))
    assert got.status_code == 200
    assert got.json() == body
    stored = await stored_decisions(db, [body["id"]])
    assert stored[body["id"]]["kind"] == "adhoc"
    assert await outbox_count(db, reference) == 0  # no service follows an ad-hoc task: nothing emitted


async def test_concurrent_decisions_are_each_stored_and_share_their_trace(
    client: httpx.AsyncClient, tokens: Tokens, db: AsyncEngine
) -> None:
    """Concurrent single decisions, each in its own transaction, are each stored; new identical traces
    inserted concurrently are stored once."""
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    responses = await asyncio.gather(*(decide(client, tokens, task(eid)) for _ in range(40)))
    assert {r.status_code for r in responses} == {201}
    ids = [r.json()["id"] for r in responses]
    stored = await stored_decisions(db, ids)
    assert set(stored) == set(ids)
    async with db.connect() as conn:
        digests = await conn.execute(
            text("SELECT DISTINCT trace_digest FROM eligibility.decisions WHERE enterprise_id = :e"), {"e": eid}
        )
        assert len(digests.all()) == 1  # one trace row for 40 decisions with the same facts and items
    full = await client.get(f"/v1/decisions/{ids[7]}", headers=tokens.header(tokens.officer()))
    assert full.json()["trace"] == responses[7].json()["trace"]


async def test_decision_is_hybrid_with_laboratory_sampling(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    body = (await decide(client, tokens, task(eid, checklist_items=[*CIXI_ITEMS, LAB]))).json()
    assert body["outcome"] == "hybrid"
    methods = {i["item_id"]: i["method"] for i in body["items"]}
    assert methods.pop("LAB") == "onsite"
    assert set(methods.values()) == {"video"}


async def test_unknown_customs_is_422_naming_it(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await decide(client, tokens, task(new_enterprise(), customs="Atlantis"))
    assert response.status_code == 422 and response.json()["field"] == "customs"
    assert "'Atlantis' is no customs office" in response.json()["detail"] and "GACC-RVI 1" in response.json()["detail"]


async def test_enterprise_with_no_facts_is_decided_not_eligible(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await decide(client, tokens, task(new_enterprise()))
    assert response.status_code == 201
    body = response.json()
    assert (body["outcome"], body["remote_allowed"]) == ("onsite", False)
    assert [(r["rule_id"], r["reference"], r["message"]) for r in body["reasons"]] == [
        ("enterprise-facts-known", "GACC-RVI 2", "enterprise facts unknown")
    ]


async def test_consent_revoked_after_the_evaluation_date_counts_from_its_date(
    client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock
) -> None:
    eid = new_enterprise()
    revoked_at = clock.now() + timedelta(days=2)
    consent = {"given": True, "scope": "all sites", "revoked_at": revoked_at.isoformat()}
    await put_facts(client, tokens, eid, **{**CIXI_FACTS, "consent": consent})
    before = (await decide(client, tokens, task(eid))).json()
    after = (await decide(client, tokens, task(eid, as_at=(revoked_at + timedelta(hours=1)).isoformat()))).json()
    assert (before["outcome"], before["reasons"]) == ("remote", [])
    assert after["outcome"] == "onsite"
    assert [r["rule_id"] for r in after["reasons"]] == ["consent"]
    assert after["reasons"][0]["facts"]["revoked_at"] == revoked_at.isoformat()


async def test_a_change_dated_later_counts_from_its_date_single_or_batched(
    client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock
) -> None:
    """The current facts row already holds the later change: earlier moments fold the history."""
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS, effective_from=(clock.now() - timedelta(days=30)).isoformat())
    later = clock.now() + timedelta(days=1)
    await put_facts(client, tokens, eid, credit_status="discredited", effective_from=later.isoformat())
    moments = [None, (later - timedelta(minutes=1)).isoformat(), later.isoformat()]
    single = [(await decide(client, tokens, task(eid, as_at=at) if at else task(eid))).json() for at in moments]
    batch = await client.post(
        "/v1/decisions:batch",
        json={"tasks": [task(eid, as_at=at) if at else task(eid) for at in moments]},
        headers=tokens.header(tokens.officer()),
    )
    batched = [r["decision"] for r in batch.json()["results"]]
    for decisions in (single, batched):
        assert [d["outcome"] for d in decisions] == ["remote", "remote", "onsite"]
        assert [r["rule_id"] for r in decisions[2]["reasons"]] == ["not-discredited"]


async def test_decision_before_the_pilot_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await decide(client, tokens, task(new_enterprise(), as_at="2024-06-01T00:00:00+08:00"))
    assert response.status_code == 422
    assert "as_at" in response.json()["detail"]


async def test_duplicate_item_ids_are_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await decide(client, tokens, task(new_enterprise(), checklist_items=[CIXI_ITEMS[0], CIXI_ITEMS[0]]))
    assert response.status_code == 422
    assert "unique" in response.text


# --- batches ---


async def test_batch_gives_a_result_or_an_error_per_task_in_order(
    client: httpx.AsyncClient, tokens: Tokens, db: AsyncEngine
) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    tasks = [task(eid, inspection_id=f"T-{n}") for n in range(10)]
    tasks[3] = task(eid, checklist_items=[*CIXI_ITEMS, LAB])
    tasks[5] = task(new_enterprise())
    tasks[7] = task(eid, customs="Atlantis")
    response = await client.post("/v1/decisions:batch", json={"tasks": tasks}, headers=tokens.header(tokens.system()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stored"], body["failed"]) == (9, 1)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(10))
    assert results[7]["decision"] is None
    assert results[7]["error"]["status"] == 422 and "'Atlantis'" in results[7]["error"]["detail"]
    outcomes = [r["decision"]["outcome"] if r["decision"] else None for r in results]
    assert outcomes == ["remote", "remote", "remote", "hybrid", "remote", "onsite", "remote", None, "remote", "remote"]
    assert results[5]["decision"]["reasons"][0]["message"] == "enterprise facts unknown"
    assert results[0]["decision"]["inspection_id"] == "T-0"
    ids = [r["decision"]["id"] for r in results if r["decision"]]
    stored = await stored_decisions(db, ids)
    assert set(stored) == set(ids)
    assert all(s["kind"] == "adhoc" and s["rule_set_version"] == "2026-11-01" for s in stored.values())
    assert len(stored[ids[0]]["trace"]) == 8 + 2 * len(CIXI_ITEMS)


async def test_batch_of_1000_is_stored(client: httpx.AsyncClient, tokens: Tokens, db: AsyncEngine) -> None:
    enterprises = [new_enterprise() for _ in range(5)]
    for eid in enterprises:
        await put_facts(client, tokens, eid, **CIXI_FACTS)
    tasks = [task(enterprises[n % 5]) for n in range(1000)]
    response = await client.post("/v1/decisions:batch", json={"tasks": tasks}, headers=tokens.header(tokens.officer()))
    assert response.status_code == 200
    ids = [r["decision"]["id"] for r in response.json()["results"]]
    assert len(set(ids)) == 1000
    assert len(await stored_decisions(db, ids)) == 1000


async def test_batch_over_1000_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    tasks = [task(example_uscc("E1"))] * 1001
    response = await client.post("/v1/decisions:batch", json={"tasks": tasks}, headers=tokens.header(tokens.system()))
    assert response.status_code == 422
    assert "tasks" in response.text and "1000" in response.text


# --- what-if ---


async def what_if(client: httpx.AsyncClient, tokens: Tokens, **body: Any) -> httpx.Response:
    return await client.post("/v1/evaluations", json=body, headers=tokens.header(tokens.supervisor()))


async def test_what_if_with_alternative_facts_stores_nothing(
    client: httpx.AsyncClient, tokens: Tokens, db: AsyncEngine
) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    response = await what_if(client, tokens, **task(eid), facts={"credit_status": "discredited"})
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "onsite"
    assert [r["rule_id"] for r in response.json()["reasons"]] == ["not-discredited"]
    recorded = await client.get(f"/v1/enterprises/{eid}", headers=tokens.header(tokens.officer()))
    assert recorded.json()["credit_status"] == "advanced_certified"
    async with db.connect() as conn:
        count = await conn.execute(
            text("SELECT count(*) FROM eligibility.decisions WHERE enterprise_id = :e"), {"e": eid}
        )
        assert count.scalar_one() == 0


async def test_what_if_alternative_facts_for_an_unknown_enterprise(client: httpx.AsyncClient, tokens: Tokens) -> None:
    not_a_fact = await what_if(client, tokens, **task(new_enterprise()), facts=CIXI_FACTS)
    assert not_a_fact.status_code == 422 and "name" in not_a_fact.text
    facts = {k: v for k, v in CIXI_FACTS.items() if k != "name"}
    body = (await what_if(client, tokens, **task(new_enterprise()), facts=facts)).json()
    assert (body["outcome"], body["reasons"]) == ("remote", [])


async def test_what_if_with_another_rule_set_version(
    client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock
) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS, effective_from=(clock.now() - timedelta(days=60)).isoformat())
    october = (clock.now() - timedelta(days=30)).isoformat()
    items = [*CIXI_ITEMS, ARMS]
    then = (await what_if(client, tokens, **task(eid, checklist_items=items, as_at=october))).json()
    applied = (
        await what_if(client, tokens, **task(eid, checklist_items=items, as_at=october), rule_set_version="2026-11-01")
    ).json()
    older_now = (
        await what_if(client, tokens, **task(eid, checklist_items=items), rule_set_version="2025-01-01")
    ).json()
    assert (then["rule_set_version"], then["outcome"]) == ("2025-01-01", "remote")
    assert (applied["rule_set_version"], applied["outcome"]) == ("2026-11-01", "hybrid")
    assert [r["reference"] for r in applied["reasons"]] == ["GACC-RVI 3(I)"]
    assert (older_now["rule_set_version"], older_now["outcome"]) == ("2025-01-01", "remote")


async def test_what_if_unknown_rule_set_version_is_422_naming_it(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await what_if(client, tokens, **task(new_enterprise()), rule_set_version="2019-01-01")
    assert response.status_code == 422
    assert "'2019-01-01'" in response.json()["detail"]
    assert response.json()["field"] == "rule_set_version"


# --- the rule catalogue ---


async def test_rule_catalogue_per_version(client: httpx.AsyncClient, tokens: Tokens) -> None:
    headers = tokens.header(tokens.enterprise("ANY"))
    now = (await client.get("/v1/rules", headers=headers)).json()
    baseline = (await client.get("/v1/rules", params={"version": "2025-01-01"}, headers=headers)).json()
    october = (await client.get("/v1/rules", params={"as_at": "2026-10-31T23:59:00+08:00"}, headers=headers)).json()
    assert now["rule_set_version"] == "2026-11-01"
    assert {c["key"] for c in now["high_risk_chapters"]} >= {"36", "93"}
    assert {c["key"] for c in now["high_risk_categories"]} >= {"live_animals", "hazardous_chemicals"}
    assert baseline["rule_set_version"] == october["rule_set_version"] == "2025-01-01"
    assert not {"36", "93"} & {c["key"] for c in baseline["high_risk_chapters"]}
    assert [v["version"] for v in now["versions"]] == ["2025-01-01", "2026-11-01"]
    assert now["officer_judgement"]["reference"] == "GACC-RVI 3(V)"
    for rule in now["rules"]:
        assert rule["reference"].startswith("GACC-RVI ") and rule["effective_from"]
    unknown = await client.get("/v1/rules", params={"version": "1999"}, headers=headers)
    assert unknown.status_code == 422 and "'1999'" in unknown.json()["detail"]
    versions = await client.get("/v1/rule-sets", headers=headers)
    assert [(v["version"], v["effective_to"]) for v in versions.json()] == [
        ("2025-01-01", "2026-11-01"),
        ("2026-11-01", None),
    ]


# --- enterprise standing and the supervisor's lift of 3(IV) ---


async def test_standing_and_lifting_mandatory_onsite(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = new_enterprise()
    await put_facts(client, tokens, eid, **CIXI_FACTS)
    standing = (await client.get(f"/v1/enterprises/{eid}", headers=tokens.header(tokens.officer()))).json()
    assert (standing["remote_eligible"], standing["blocking"]) == (True, [])
    assert len(standing["enterprise_rules"]) == 6

    await put_facts(client, tokens, eid, mandatory_onsite=True, mandatory_onsite_reason="falsified footage in INS-7")
    standing = (await client.get(f"/v1/enterprises/{eid}", headers=tokens.header(tokens.officer()))).json()
    assert standing["remote_eligible"] is False
    assert [(b["rule_id"], b["reference"]) for b in standing["blocking"]] == [
        ("mandatory-onsite-after-falsification", "GACC-RVI 3(IV)")
    ]

    lift = f"/v1/enterprises/{eid}/mandatory-onsite/lift"
    reason = {"reason": "rectification verified on site"}
    assert (await client.post(lift, json=reason, headers=tokens.header(tokens.officer()))).status_code == 403
    assert (await client.post(lift, json=reason, headers=tokens.header(tokens.system()))).status_code == 403
    assert (await client.post(lift, json={}, headers=tokens.header(tokens.supervisor()))).status_code == 422
    lifted = await client.post(lift, json=reason, headers=tokens.header(tokens.supervisor()))
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["mandatory_onsite"], lifted.json()["remote_eligible"]) == (False, True)
    history = lifted.json()["falsification_history"]
    assert [h["changes"]["mandatory_onsite"] for h in history] == [True, False]
    assert history[1]["note"] == "rectification verified on site"
    assert history[1]["source"] == "supervisor-lift"
    again = await client.post(lift, json=reason, headers=tokens.header(tokens.supervisor()))
    assert again.status_code == 409


async def test_put_facts_cannot_lift_mandatory_onsite(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await put_facts(client, tokens, new_enterprise(), mandatory_onsite=False)
    assert response.status_code == 422
    assert "mandatory-onsite/lift" in response.text


# --- auth ---


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("enterprise", "POST", "/v1/decisions", {"enterprise_id": example_uscc("E1"), "customs": "Cixi"}),
        ("operator", "POST", "/v1/decisions", {"enterprise_id": example_uscc("E1"), "customs": "Cixi"}),
        (
            "enterprise",
            "POST",
            "/v1/decisions:batch",
            {"tasks": [{"enterprise_id": example_uscc("E1"), "customs": "Cixi"}]},
        ),
        (
            "system",
            "POST",
            "/v1/inspections/I1/override",
            {"direction": "onsite", "reason": "x" * 5, "legal_basis": "3(V)"},
        ),
        (
            "enterprise",
            "POST",
            "/v1/inspections/I1/override",
            {"direction": "onsite", "reason": "xxxxx", "legal_basis": "3(V)"},
        ),
        ("officer", "POST", f"/v1/enterprises/{example_uscc('E1')}/mandatory-onsite/lift", {"reason": "rectified"}),
        ("other-enterprise", "GET", "/v1/decisions/{own}", None),
    ],
)
async def test_wrong_role_is_403(
    client: httpx.AsyncClient, tokens: Tokens, role: str, method: str, path: str, body: Any
) -> None:
    await put_facts(client, tokens, example_uscc("E1"), **CIXI_FACTS)
    own = (await decide(client, tokens, task(example_uscc("E1")))).json()["id"]
    token = {
        "operator": tokens.operator(),
        "system": tokens.system(),
        "officer": tokens.officer(),
        "enterprise": tokens.enterprise(example_uscc("E1")),
        "other-enterprise": tokens.enterprise("E2"),
    }[role]
    response = await client.request(method, path.format(own=own), json=body, headers=tokens.header(token))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/v1/decisions",
        "/v1/decisions:batch",
        "/v1/inspections/I1/override",
        f"/v1/enterprises/{example_uscc('E1')}/mandatory-onsite/lift",
    ],
)
async def test_no_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.post(path, json={})).status_code == 401


# --- OpenAPI ---


async def test_openapi_documents_an_example_for_every_request_body(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    bodies = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            bodies += 1
            media = operation["requestBody"]["content"]["application/json"]
            schema = media["schema"]
            resolved = schemas[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema
            examples = media.get("examples") or media.get("example") or resolved.get("examples")
            assert examples, f"{method.upper()} {path} has no request example"
            assert operation.get("description"), f"{method.upper()} {path} is not described"
    assert bodies >= 6  # facts, lift, evaluations, decisions, batch, override
    assert spec["paths"]["/v1/inspections/{inspection_id}/override"]["post"]["responses"]["409"]["content"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/decisions"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]
