"""More of the consumer path through the real broker: equipment tests as technical conditions,
malformed events to the DLQ, and the supervisor's lift after a confirmed falsification."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock
from rvi_shared.events import new_event, topic_for
from rvi_shared.events.payloads import EquipmentTested, SessionEscalated
from rvi_shared.events.registry import dlq_topic
from rvi_shared.identifiers import example_uscc

REQUESTED = "rvi.inspection.requested.v1"
UPDATED = "rvi.enterprise.updated.v1"


def ids() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return example_uscc(suffix), f"INS-{suffix}"


async def get_json(client: httpx.AsyncClient, tokens: Tokens, path: str) -> dict[str, Any] | None:
    response = await client.get(path, headers=tokens.header(tokens.officer()))
    return response.json() if response.status_code == 200 else None


async def requested_inspection(
    client: httpx.AsyncClient, tokens: Tokens, publisher: Any, clock: ManualClock, kit: Any
) -> tuple[str, str, dict[str, Any]]:
    eid, iid = ids()
    await publisher.event(UPDATED, eid, kit.cixi_update(eid), clock.now())
    await kit.eventually(lambda: get_json(client, tokens, f"/v1/enterprises/{eid}"), "the facts")
    await publisher.event(REQUESTED, iid, kit.cixi_request(iid, eid), clock.now())
    first = await kit.eventually(lambda: get_json(client, tokens, f"/v1/inspections/{iid}/decision"), "a decision")
    return eid, iid, first


async def dead_letter(bootstrap: str, topic: str, key: str, timeout_s: float = 20.0) -> ConsumerRecord:
    consumer = AIOKafkaConsumer(
        dlq_topic(topic), bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    deadline = asyncio.get_running_loop().time() + timeout_s
    try:
        while asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    # Other services' consumers under test share the broker and dead-letter too.
                    if record.key == key.encode() and dict(record.headers)["error.consumer"] == b"rvi-eligibility":
                        return record
    finally:
        await consumer.stop()
    raise AssertionError(f"nothing for {key} on {dlq_topic(topic)}")


async def test_failed_equipment_test_withdraws_remote_and_a_pass_restores_the_fact(
    live_client: httpx.AsyncClient, live_clock: ManualClock, publisher: Any, kit: Any, tokens: Tokens
) -> None:
    eid, iid, first = await requested_inspection(live_client, tokens, publisher, live_clock, kit)
    assert first["outcome"] == "remote"
    tested_at = live_clock.now() - timedelta(minutes=1)
    failed = EquipmentTested(
        inspection_id=iid, enterprise_id=eid, passed=False, packet_loss_pct=35.0, tested_at=tested_at
    )
    await publisher.event("rvi.equipment.tested.v1", iid, failed, live_clock.now())

    async def superseded() -> dict[str, Any] | None:
        latest = await get_json(live_client, tokens, f"/v1/inspections/{iid}/decision")
        return latest if latest and latest["id"] != first["id"] else None

    latest = await kit.eventually(superseded, "the re-evaluation after the failed test")
    assert (latest["supersedes"], latest["outcome"]) == (first["id"], "onsite")
    assert [(r["rule_id"], r["reference"]) for r in latest["reasons"]] == [("technical-conditions", "GACC-RVI 2")]
    facts = await get_json(live_client, tokens, f"/v1/enterprises/{eid}")
    assert facts is not None and facts["technical_conditions"] is False

    passed = EquipmentTested(inspection_id=iid, enterprise_id=eid, passed=True, tested_at=live_clock.now())
    await publisher.event("rvi.equipment.tested.v1", iid, passed, live_clock.now())

    async def restored() -> dict[str, Any] | None:
        facts = await get_json(live_client, tokens, f"/v1/enterprises/{eid}")
        return facts if facts and facts["technical_conditions"] else None

    await kit.eventually(restored, "technical conditions restored")
    assert (await get_json(live_client, tokens, f"/v1/inspections/{iid}/decision"))["id"] == latest[
        "id"
    ]  # stricter only


async def test_malformed_events_go_to_the_dlq(
    live_client: httpx.AsyncClient, kafka_bootstrap: str, publisher: Any, live_clock: ManualClock, kit: Any
) -> None:
    _, not_json = ids()
    await publisher.producer.send_and_wait(topic_for(REQUESTED), value=b"{not a cloud event", key=not_json.encode())
    eid, bad_payload = ids()
    event = new_event(
        type=REQUESTED,
        source="/rvi/tests",
        subject=bad_payload,
        data=kit.cixi_request(bad_payload, eid),
        time=live_clock.now(),
    )
    envelope = json.loads(event.to_json())
    del envelope["data"]["customs"]
    await publisher.producer.send_and_wait(
        topic_for(REQUESTED), value=json.dumps(envelope).encode(), key=bad_payload.encode()
    )
    no_fact = new_event(
        type=UPDATED,
        source="/rvi/tests",
        subject=eid,
        data=kit.cixi_update(
            eid, name=None, consent=None, can_cooperate=None, technical_conditions=None, credit_status=None
        ),
        time=live_clock.now(),
    )
    await publisher.send(no_fact)

    for topic, key in (
        (topic_for(REQUESTED), not_json),
        (topic_for(REQUESTED), bad_payload),
        (topic_for(UPDATED), eid),
    ):
        record = await dead_letter(kafka_bootstrap, topic, key)
        headers = dict(record.headers)
        assert headers["error.consumer"] == b"rvi-eligibility"
        assert headers["error"]
    assert b"sets no fact" in dict((await dead_letter(kafka_bootstrap, topic_for(UPDATED), eid)).headers)["error"]
    assert await get_json(live_client, Tokens(), f"/v1/inspections/{bad_payload}/decision") is None


async def test_lifting_mandatory_onsite_changes_the_fact_but_decides_nothing_toward_remote(
    live_client: httpx.AsyncClient, live_clock: ManualClock, publisher: Any, kit: Any, tokens: Tokens
) -> None:
    eid, iid, first = await requested_inspection(live_client, tokens, publisher, live_clock, kit)
    other = f"{iid}-ESC"
    await publisher.event(REQUESTED, other, kit.cixi_request(other, eid), live_clock.now())
    await kit.eventually(lambda: get_json(live_client, tokens, f"/v1/inspections/{other}/decision"), "the other")
    escalation = SessionEscalated(
        session_id="SES-9",
        inspection_id=other,
        enterprise_id=eid,
        reason_code="5(I)",
        reason="footage replayed from an earlier visit",
        falsification_confirmed=True,
    )
    await publisher.event("rvi.session.escalated.v1", other, escalation, live_clock.now())

    async def superseded() -> dict[str, Any] | None:
        latest = await get_json(live_client, tokens, f"/v1/inspections/{iid}/decision")
        return latest if latest and latest["id"] != first["id"] else None

    onsite = await kit.eventually(superseded, "the 3(IV) re-evaluation")
    assert [r["reference"] for r in onsite["reasons"]] == ["GACC-RVI 3(IV)"]

    lifted = await live_client.post(
        f"/v1/enterprises/{eid}/mandatory-onsite/lift",
        json={"reason": "rectification verified; training completed"},
        headers=tokens.header(tokens.supervisor()),
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["mandatory_onsite"] is False
    assert [h["source"] for h in lifted.json()["falsification_history"]] == ["escalation", "supervisor-lift"]
    assert (await get_json(live_client, tokens, f"/v1/inspections/{iid}/decision"))["id"] == onsite["id"]
