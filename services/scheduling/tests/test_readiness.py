"""GACC-RVI 4(II): ready only with the enterprise's confirmation, a passed equipment test on
record (from the gateway's event) not too old, and the documents the notice asked for uploaded
(from the documents service's event). Each missing element is listed in the 409."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from pydantic import BaseModel

from rvi_platform.testing import Tokens, eventually
from rvi_shared.clock import ManualClock
from rvi_shared.events import new_event, topic_for
from rvi_shared.events import payloads as p
from rvi_shared.messaging.kafka import ensure_topics, make_producer

from .roster import register  # noqa: TID252
from .test_rosters import create, decide_remote, scheduled, unique_office  # noqa: TID252


async def publish(
    kafka_bootstrap: str, type_name: str, inspection_id: str, data: BaseModel, clock: ManualClock
) -> None:
    await ensure_topics(kafka_bootstrap, 6)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        event = new_event(type=type_name, source="/rvi/test", subject=inspection_id, data=data, time=clock.now())
        await producer.send_and_wait(topic_for(type_name), value=event.to_json(), key=inspection_id.encode())
    finally:
        await producer.stop()


def equipment_result(
    inspection: dict, clock: ManualClock, passed: bool, age: timedelta = timedelta()
) -> p.EquipmentTested:
    return p.EquipmentTested(
        inspection_id=inspection["id"],
        enterprise_id=inspection["enterprise_id"],
        passed=passed,
        width=1280,
        height=720,
        tested_at=clock.now() - age,
        test_id=str(uuid.uuid4()),
        failures=[] if passed else ["resolution 640x360 below 1280x720"],
    )


def uploaded(inspection: dict, clock: ManualClock, kind: str) -> p.DocumentUploaded:
    return p.DocumentUploaded(
        upload_id=str(uuid.uuid4()),
        inspection_id=inspection["id"],
        enterprise_id=inspection["enterprise_id"],
        kind=kind,  # type: ignore[arg-type]
        content_type="application/pdf",
        size_bytes=1234,
        sha256="0" * 64,
        uploaded_by="rep",
        uploaded_at=clock.now(),
    )


async def test_readiness_waits_for_each_missing_element(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    office, district = unique_office()
    await register(live_client, tokens, office, district, 2)
    inspection = (
        await create(live_client, tokens, office, required_documents=["power_of_attorney", "identity_document"])
    ).json()
    await decide_remote(kafka_bootstrap, [inspection], clock)
    await scheduled(live_client, tokens, [inspection["id"]])
    enterprise = tokens.header(tokens.enterprise(inspection["enterprise_id"]))
    url = f"/v1/inspections/{inspection['id']}"

    async def readiness() -> httpx.Response:
        return await live_client.post(f"{url}/readiness", json={"contact_name": "Li Mei"}, headers=enterprise)

    refused = await readiness()
    assert refused.status_code == 409
    assert refused.json()["missing"] == [
        "equipment test: no passed test (rvi.equipment.tested.v1) on record for this inspection",
        "document not submitted: power_of_attorney",
        "document not submitted: identity_document",
    ]
    # The enterprise's word is not enough.
    claimed = await live_client.post(
        f"{url}/readiness", json={"equipment_test_passed": True, "documents_submitted": True}, headers=enterprise
    )
    assert claimed.status_code == 409 and len(claimed.json()["missing"]) == 3

    await publish(
        kafka_bootstrap, "rvi.equipment.tested.v1", inspection["id"], equipment_result(inspection, clock, False), clock
    )
    await publish(
        kafka_bootstrap,
        "rvi.equipment.tested.v1",
        inspection["id"],
        equipment_result(inspection, clock, True, age=timedelta(days=15)),
        clock,
    )

    async def stale() -> list[str] | None:
        got = (await live_client.get(url, headers=enterprise)).json()
        return got["readiness_missing"] if got["equipment_test_passed_at"] else None

    assert "older than 14 days" in (await eventually(stale, "the old pass on record"))[0]

    await publish(
        kafka_bootstrap, "rvi.equipment.tested.v1", inspection["id"], equipment_result(inspection, clock, True), clock
    )
    await publish(
        kafka_bootstrap,
        "rvi.document.uploaded.v1",
        inspection["id"],
        uploaded(inspection, clock, "power_of_attorney"),
        clock,
    )

    async def only_identity_left() -> bool:
        got = (await live_client.get(url, headers=enterprise)).json()["readiness_missing"]
        return got == ["document not submitted: identity_document"]

    await eventually(only_identity_left, "only the identity document missing")
    still = await readiness()
    assert still.status_code == 409 and still.json()["missing"] == ["document not submitted: identity_document"]

    await publish(
        kafka_bootstrap,
        "rvi.document.uploaded.v1",
        inspection["id"],
        uploaded(inspection, clock, "identity_document"),
        clock,
    )

    async def complete() -> bool:
        return (await live_client.get(url, headers=enterprise)).json()["readiness_missing"] == []

    await eventually(complete, "nothing missing")
    ready = await readiness()
    assert ready.status_code == 200, ready.text
    assert ready.json()["state"] == "ready"
    assert ready.json()["documents_submitted"] == ["identity_document", "power_of_attorney"]
