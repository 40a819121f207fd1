"""Events that change nothing but an inspection's timeline (a recorded step), over the real broker."""

from __future__ import annotations

import uuid

import httpx

from rvi_platform.testing import Tokens, eventually, read_topic
from rvi_shared.clock import ManualClock
from rvi_shared.events import new_event, topic_for
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.events.registry import dlq_topic
from rvi_shared.identifiers import example_uscc
from rvi_shared.messaging.kafka import ensure_topics, make_producer

from .test_inspections_api import inspection_body  # noqa: TID252

STEP = "rvi.session.step_recorded.v1"


def step(inspection_id: str, kind: str, clock: ManualClock) -> CloudEvent:
    recorded = p.SessionStepRecorded(
        session_id=str(uuid.uuid4()),
        inspection_id=inspection_id,
        step_id=str(uuid.uuid4()),
        kind=kind,
        note=f"{kind} 已记录",
        officer_id="O-1",
        started_at=clock.now(),
        ended_at=clock.now(),
    )
    return new_event(type=STEP, source="/rvi/test", subject=inspection_id, data=recorded, time=clock.now())


async def publish(kafka_bootstrap: str, events: list[CloudEvent]) -> None:
    await ensure_topics(kafka_bootstrap, 6)
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        for event in events:
            assert event.subject is not None
            await producer.send_and_wait(topic_for(event.type), value=event.to_json(), key=event.subject.encode())
    finally:
        await producer.stop()


async def test_recorded_steps_go_on_the_timeline_once_each_in_order_and_leave_the_inspection_as_it_was(
    live_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock
) -> None:
    system = tokens.header(tokens.system())
    created = await live_client.post(
        "/v1/inspections", json=inspection_body(example_uscc(uuid.uuid4().hex)), headers=system
    )
    inspection = created.json()
    first, second = step(inspection["id"], "credentials_presented", clock), step(inspection["id"], "other", clock)
    await publish(kafka_bootstrap, [first, second, first])  # the first delivered twice

    async def listed() -> list[dict] | None:
        url = f"/v1/inspections/{inspection['id']}/timeline"
        timeline = (await live_client.get(url, headers=system)).json()
        return timeline if [e["type"] for e in timeline].count(STEP) >= 2 else None

    timeline = await eventually(listed, "both steps on the timeline")
    assert [e["type"] for e in timeline] == ["rvi.inspection.requested.v1", STEP, STEP]
    assert [e["event_id"] for e in timeline[1:]] == [first.id, second.id]
    assert timeline[1]["data"]["note"] == "credentials_presented 已记录"
    assert timeline[1]["source"] == "/rvi/test"
    after = (await live_client.get(f"/v1/inspections/{inspection['id']}", headers=system)).json()
    assert after["state"] == "requested" and after["updated_at"] == inspection["updated_at"]


async def test_a_step_of_an_unknown_inspection_goes_to_the_dead_letter_topic(
    tokens: Tokens, kafka_bootstrap: str, clock: ManualClock, live_client: httpx.AsyncClient
) -> None:
    unknown = f"unknown-{uuid.uuid4()}"
    await publish(kafka_bootstrap, [step(unknown, "other", clock)])

    async def dead() -> list | None:
        records = await read_topic(kafka_bootstrap, dlq_topic(topic_for(STEP)), want=10_000, timeout_s=2)
        return [r for r in records if r.key == unknown.encode()] or None

    (record,) = await eventually(dead, "the step of an unknown inspection dead-lettered", timeout_s=30)
    assert f"unknown inspection {unknown!r}" in dict(record.headers)["error"].decode()
