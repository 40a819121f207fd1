"""The consumer path through the real broker: facts and requests in, decisions out via the outbox."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock
from rvi_shared.events import new_event
from rvi_shared.events.payloads import ChecklistItem, Consent, InspectionCancelled, SessionEscalated
from rvi_shared.identifiers import example_uscc

UPDATED = "rvi.enterprise.updated.v1"
REQUESTED = "rvi.inspection.requested.v1"
LAB = ChecklistItem(item_id="I5", description="soil samples", category="laboratory_sampling")


def ids() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return example_uscc(suffix), f"INS-{suffix}"


class Probe:
    def __init__(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        self.client = client
        self.headers = tokens.header(tokens.officer())

    async def enterprise(self, enterprise_id: str) -> dict[str, Any] | None:
        response = await self.client.get(f"/v1/enterprises/{enterprise_id}", headers=self.headers)
        return response.json() if response.status_code == 200 else None

    async def decision(self, inspection_id: str) -> dict[str, Any] | None:
        response = await self.client.get(f"/v1/inspections/{inspection_id}/decision", headers=self.headers)
        return response.json() if response.status_code == 200 else None

    async def decisions(self, inspection_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/v1/inspections/{inspection_id}/decisions", headers=self.headers)
        return response.json() if response.status_code == 200 else []


async def known_enterprise(kit: Any, publisher: Any, probe: Probe, clock: ManualClock, eid: str, **facts: Any) -> None:
    await publisher.event(UPDATED, eid, kit.cixi_update(eid, **facts), clock.now())
    await kit.eventually(lambda: probe.enterprise(eid), f"facts of {eid}")


async def test_requested_event_is_decided_and_emitted(
    live_client: httpx.AsyncClient,
    live_clock: ManualClock,
    publisher: Any,
    db: AsyncEngine,
    kit: Any,
    tokens: Tokens,
) -> None:
    probe = Probe(live_client, tokens)
    eid, iid = ids()
    await known_enterprise(kit, publisher, probe, live_clock, eid)
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid, [*kit.cixi_items, LAB]), live_clock.now())

    decision = await kit.eventually(lambda: probe.decision(iid), "the decision")
    assert decision["outcome"] == "hybrid"
    assert {i["item_id"]: i["method"] for i in decision["items"]} == {
        "I1": "video",
        "I2": "video",
        "I3": "video",
        "I4": "video",
        "I5": "onsite",
    }
    assert decision["supersedes"] is None
    assert len(decision["trace"]) == 8 + 2 * 5  # every task rule, every item rule per item

    async def emitted() -> list[dict[str, Any]] | None:
        return await kit.decided_events(db, iid) or None

    events = await kit.eventually(emitted, "the decided event in the outbox")
    assert len(events) == 1
    assert events[0]["subject"] == iid
    data = events[0]["data"]
    assert data["decision_id"] == decision["id"]
    assert data["rule_set_version"] == decision["rule_set_version"]
    assert [(r["rule_id"], r["reference"]) for r in data["reasons"]] == [("item-not-video-capable", "GACC-RVI 3(III)")]
    assert data["remote_allowed"] is True


async def test_cixi_demo_through_the_broker_is_remote(
    live_client: httpx.AsyncClient, live_clock: ManualClock, publisher: Any, kit: Any, tokens: Tokens
) -> None:
    probe = Probe(live_client, tokens)
    eid, iid = ids()
    await known_enterprise(kit, publisher, probe, live_clock, eid, credit_status="advanced_certified")
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid), live_clock.now())
    decision = await kit.eventually(lambda: probe.decision(iid), "the decision")
    assert (decision["outcome"], decision["remote_allowed"], decision["reasons"]) == ("remote", True, [])


async def test_unknown_enterprise_and_customs_are_decided_onsite_not_failed(
    live_client: httpx.AsyncClient, live_clock: ManualClock, publisher: Any, kit: Any, tokens: Tokens
) -> None:
    probe = Probe(live_client, tokens)
    eid, iid = ids()
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid, customs="Xiamen"), live_clock.now())
    decision = await kit.eventually(lambda: probe.decision(iid), "the decision")
    assert (decision["outcome"], decision["remote_allowed"]) == ("onsite", False)
    reasons = {r["rule_id"]: r for r in decision["reasons"]}
    assert reasons["enterprise-facts-known"]["message"] == "enterprise facts unknown"
    assert reasons["enterprise-facts-known"]["reference"] == "GACC-RVI 2"
    assert reasons["pilot-district"]["reference"] == "GACC-RVI 1"
    assert "Xiamen" in reasons["pilot-district"]["message"]


async def test_duplicated_requested_event_gives_one_decision(
    live_client: httpx.AsyncClient,
    live_clock: ManualClock,
    publisher: Any,
    db: AsyncEngine,
    kit: Any,
    tokens: Tokens,
) -> None:
    probe = Probe(live_client, tokens)
    eid, iid = ids()
    await known_enterprise(kit, publisher, probe, live_clock, eid)
    event = new_event(
        type=REQUESTED, source="/rvi/scheduling", subject=iid, data=kit.cixi_request(iid, eid), time=live_clock.now()
    )
    await publisher.send(event)
    await publisher.send(event)  # the same event id again: absorbed by the inbox
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid), live_clock.now())  # a replay under a new id
    # A later event on the same key is consumed after all three: once it is in, they have been handled.
    marker = await publisher.event(
        "rvi.inspection.cancelled.v1",
        iid,
        InspectionCancelled(inspection_id=iid, reason="test marker"),
        live_clock.now(),
    )

    async def marker_seen() -> bool | None:
        return await kit.inbox_has(db, marker.id) or None

    await kit.eventually(marker_seen, "the marker event")
    assert len(await probe.decisions(iid)) == 1
    assert len(await kit.decided_events(db, iid)) == 1


async def test_discredit_supersedes_a_remote_decision(
    live_client: httpx.AsyncClient,
    live_clock: ManualClock,
    publisher: Any,
    db: AsyncEngine,
    kit: Any,
    tokens: Tokens,
) -> None:
    probe = Probe(live_client, tokens)
    eid, iid = ids()
    await known_enterprise(kit, publisher, probe, live_clock, eid)
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid), live_clock.now())
    first = await kit.eventually(lambda: probe.decision(iid), "the first decision")
    assert first["outcome"] == "remote"

    # A change that tightens nothing emits nothing; the downgrade after it (same key, in order) does.
    await publisher.event(
        UPDATED, eid, kit.cixi_update(eid, live_clock.now(), name="Cixi Food Group Ltd"), live_clock.now()
    )
    await publisher.event(
        UPDATED,
        eid,
        kit.cixi_update(eid, live_clock.now(), credit_status="discredited", name=None, consent=None),
        live_clock.now(),
    )

    async def superseded() -> dict[str, Any] | None:
        latest = await probe.decision(iid)
        return latest if latest and latest["id"] != first["id"] else None

    latest = await kit.eventually(superseded, "the superseding decision")
    assert latest["supersedes"] == first["id"]
    assert (latest["outcome"], latest["remote_allowed"]) == ("onsite", False)
    assert [(r["rule_id"], r["reference"]) for r in latest["reasons"]] == [("not-discredited", "GACC-RVI 2")]

    async def two_emitted() -> list[dict[str, Any]] | None:
        events = await kit.decided_events(db, iid)
        return events if len(events) >= 2 else None

    events = await kit.eventually(two_emitted, "the superseding decided event")
    assert len(events) == 2
    assert events[1]["data"]["supersedes"] == first["id"]
    assert events[1]["data"]["outcome"] == "onsite"


async def test_consent_revoked_via_rest_supersedes_only_once_in_effect(
    live_client: httpx.AsyncClient, live_clock: ManualClock, publisher: Any, kit: Any, tokens: Tokens
) -> None:
    probe = Probe(live_client, tokens)
    eid, iid = ids()
    await known_enterprise(kit, publisher, probe, live_clock, eid)
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid), live_clock.now())
    first = await kit.eventually(lambda: probe.decision(iid), "the first decision")
    system = tokens.header(tokens.system())

    future = Consent(given=True, scope="all sites", revoked_at=live_clock.now() + timedelta(days=7))
    put = await live_client.put(
        f"/v1/enterprises/{eid}/facts", json={"consent": future.model_dump(mode="json")}, headers=system
    )
    assert put.status_code == 200
    assert put.json()["consent"]["in_effect"] is True
    assert (await probe.decision(iid))["id"] == first["id"]  # the re-evaluation runs in the request

    past = Consent(given=True, scope="all sites", revoked_at=live_clock.now() - timedelta(minutes=5))
    put = await live_client.put(
        f"/v1/enterprises/{eid}/facts", json={"consent": past.model_dump(mode="json")}, headers=system
    )
    assert put.json()["consent"]["in_effect"] is False
    latest = await probe.decision(iid)
    assert latest is not None and latest["supersedes"] == first["id"]
    assert [r["rule_id"] for r in latest["reasons"]] == ["consent"]


async def test_confirmed_falsification_sets_mandatory_onsite(
    live_client: httpx.AsyncClient, live_clock: ManualClock, publisher: Any, kit: Any, tokens: Tokens
) -> None:
    probe = Probe(live_client, tokens)
    eid, escalated_id = ids()
    other_id = f"{escalated_id}-B"
    await known_enterprise(kit, publisher, probe, live_clock, eid)
    for iid in (escalated_id, other_id):
        await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid), live_clock.now())
    first = {iid: await kit.eventually(lambda iid=iid: probe.decision(iid), iid) for iid in (escalated_id, other_id)}

    await publisher.event(
        "rvi.session.escalated.v1",
        escalated_id,
        SessionEscalated(
            session_id="SES-1",
            inspection_id=escalated_id,
            enterprise_id=eid,
            reason_code="5(I)",
            reason="camera turned away from the storage room",
            falsification_confirmed=True,
        ),
        live_clock.now(),
    )

    async def mandatory() -> dict[str, Any] | None:
        facts = await probe.enterprise(eid)
        return facts if facts and facts["mandatory_onsite"] else None

    facts = await kit.eventually(mandatory, "mandatory on-site verification")
    assert "camera turned away" in facts["mandatory_onsite_reason"]
    latest = await probe.decision(other_id)
    assert latest is not None and latest["supersedes"] == first[other_id]["id"]
    assert [r["reference"] for r in latest["reasons"]] == ["GACC-RVI 3(IV)"]
    # The escalated task itself is shifted on-site by 5(I), not re-decided.
    assert (await probe.decision(escalated_id))["id"] == first[escalated_id]["id"]
