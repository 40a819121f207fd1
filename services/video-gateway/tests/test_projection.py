"""The projection of `rvi.inspections`, fed through the real broker."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.session_events import session_opening_events
from rvi_platform.testing import Tokens, eventually
from rvi_shared.clock import ManualClock
from rvi_shared.events import CloudEvent, topic_for
from rvi_shared.events import payloads as p

Publish = Callable[[CloudEvent], Awaitable[None]]
OpenSession = Callable[..., Awaitable[dict[str, Any]]]
MakeEvent = Callable[[str, BaseModel], CloudEvent]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]


def ready(session: dict[str, Any], clock: ManualClock) -> p.InspectionReady:
    return p.InspectionReady(
        inspection_id=session["inspection_id"],
        enterprise_id=session["enterprise_id"],
        confirmed_at=clock.now(),
        equipment_test_passed=True,
        documents_submitted=True,
    )


async def sessions_of(db: AsyncEngine, inspection_id: str) -> list[str]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT session_id FROM video_gateway.sessions WHERE inspection_id = :id"), {"id": inspection_id}
        )
        return [str(r.session_id) for r in rows]


async def processed(db: AsyncEngine, event_id: str) -> bool:
    async with db.connect() as conn:
        row = await conn.execute(text("SELECT 1 FROM video_gateway.inbox WHERE event_id = :id"), {"id": event_id})
        return row.first() is not None


async def test_ready_opens_a_session(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock
) -> None:
    session = await open_session(slot_in=timedelta(days=3))
    assert session["state"] == "open"
    assert session["started_at"] is None
    assert datetime.fromisoformat(session["slot_start"]) == clock.now() + timedelta(days=3)
    by_id = await client.get(f"/v1/sessions/{session['session_id']}", headers=tokens.header(tokens.officer()))
    assert by_id.status_code == 200
    assert by_id.json() == session


async def test_duplicate_ready_event_changes_nothing(
    open_session: OpenSession,
    publish: Publish,
    scheduling_event: MakeEvent,
    clock: ManualClock,
    db: AsyncEngine,
    wait_for_session: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    session = await open_session()
    first_ready = scheduling_event("rvi.inspection.ready.v1", ready(session, clock))
    # The first ready of open_session had its own id: replay this one twice.
    await publish(first_ready)
    await publish(first_ready)
    await eventually(lambda: processed(db, first_ready.id), "the ready event")
    new_slot = clock.now() + timedelta(days=5)
    sentinel = scheduling_event(
        "rvi.inspection.rescheduled.v1",
        p.InspectionRescheduled(
            inspection_id=session["inspection_id"],
            slot_start=new_slot,
            slot_end=new_slot + timedelta(hours=1),
            reason="enterprise asked",
        ),
    )
    await publish(sentinel)
    await eventually(lambda: processed(db, sentinel.id), "the rescheduled event behind the duplicate")
    assert await sessions_of(db, session["inspection_id"]) == [session["session_id"]]
    moved = await wait_for_session(session["inspection_id"])
    assert datetime.fromisoformat(moved["slot_start"]) == new_slot, "an open session follows the slot"


async def test_second_ready_with_new_id_keeps_the_one_session(
    open_session: OpenSession,
    publish: Publish,
    scheduling_event: MakeEvent,
    clock: ManualClock,
    db: AsyncEngine,
    client: httpx.AsyncClient,
    tokens: Tokens,
) -> None:
    session = await open_session()
    clock.advance(timedelta(minutes=5))
    again = scheduling_event("rvi.inspection.ready.v1", ready(session, clock))
    await publish(again)
    # In the inbox means handled and committed: no error, no dead letter.
    await eventually(lambda: processed(db, again.id), "the second ready event")
    assert await sessions_of(db, session["inspection_id"]) == [session["session_id"]]
    unchanged = await client.get(f"/v1/sessions/{session['session_id']}", headers=tokens.header(tokens.system()))
    assert unchanged.json()["opened_at"] == session["opened_at"]


async def test_ready_for_an_unknown_inspection_is_dead_lettered(
    publish: Publish, scheduling_event: MakeEvent, clock: ManualClock, kafka_bootstrap: str, db: AsyncEngine
) -> None:
    inspection_id = str(uuid.uuid4())
    event = scheduling_event(
        "rvi.inspection.ready.v1",
        p.InspectionReady(
            inspection_id=inspection_id,
            enterprise_id="ENT-X",
            confirmed_at=clock.now(),
            equipment_test_passed=True,
            documents_submitted=True,
        ),
    )
    await publish(event)
    consumer = AIOKafkaConsumer("rvi.inspections.dlq", bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        reason = None
        deadline = time.monotonic() + 20
        while reason is None and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for record in (r for records in batches.values() for r in records):
                headers = dict(record.headers)
                if record.key == inspection_id.encode() and headers["error.consumer"] == b"rvi-video-gateway":
                    reason = headers["error"].decode()
        assert reason is not None, "no dead letter"
        assert "PermanentError" in reason and "never requested" in reason
    finally:
        await consumer.stop()
    assert await sessions_of(db, inspection_id) == []
    assert not await processed(db, event.id)


async def test_cancellation_closes_the_open_session_silently(
    open_session: OpenSession,
    publish: Publish,
    scheduling_event: MakeEvent,
    wait_for_session: Callable[..., Awaitable[dict[str, Any]]],
    emitted: Emitted,
) -> None:
    session = await open_session()
    await publish(
        scheduling_event(
            "rvi.inspection.cancelled.v1",
            p.InspectionCancelled(inspection_id=session["inspection_id"], reason="withdrawn by the task system"),
        )
    )
    closed = await wait_for_session(session["inspection_id"], state="closed")
    assert "withdrawn by the task system" in closed["closed_reason"]
    for event_type in ("rvi.session.started.v1", "rvi.session.ended.v1", "rvi.session.escalated.v1"):
        assert await emitted(session["inspection_id"], event_type) == []


async def test_only_a_whole_task_shift_onsite_closes_the_session(
    open_session: OpenSession,
    publish: Publish,
    scheduling_event: MakeEvent,
    wait_for_session: Callable[..., Awaitable[dict[str, Any]]],
    db: AsyncEngine,
) -> None:
    session = await open_session()
    iid, eid = session["inspection_id"], session["enterprise_id"]
    partial = scheduling_event(
        "rvi.inspection.shifted_onsite.v1",
        p.InspectionShiftedOnsite(inspection_id=iid, enterprise_id=eid, reason="sampling", items=["I2"]),
    )
    await publish(partial)
    await eventually(lambda: processed(db, partial.id), "the partial shift")
    assert (await wait_for_session(iid))["state"] == "open"
    await publish(
        scheduling_event(
            "rvi.inspection.shifted_onsite.v1",
            p.InspectionShiftedOnsite(
                inspection_id=iid, enterprise_id=eid, reason="eligibility revised", references=["GACC-RVI 3(II)"]
            ),
        )
    )
    assert (await wait_for_session(iid, state="closed"))["closed_reason"].startswith("shifted on-site")


async def test_after_a_reschedule_the_session_waits_for_readiness_again(
    open_session: OpenSession,
    publish: Publish,
    scheduling_event: MakeEvent,
    clock: ManualClock,
    db: AsyncEngine,
    client: httpx.AsyncClient,
    tokens: Tokens,
) -> None:
    session = await open_session(slot_in=timedelta(minutes=30))
    new_slot = clock.now() + timedelta(minutes=40)
    moved = scheduling_event(
        "rvi.inspection.rescheduled.v1",
        p.InspectionRescheduled(
            inspection_id=session["inspection_id"],
            slot_start=new_slot,
            slot_end=new_slot + timedelta(hours=1),
            reason="connection trouble",
        ),
    )
    await publish(moved)
    await eventually(lambda: processed(db, moved.id), "the rescheduled event")
    url = f"/v1/sessions/{session['session_id']}/start"
    refused = await client.post(url, headers=tokens.header(tokens.officer()))
    assert refused.status_code == 409
    assert "GACC-RVI 4(II)" in refused.json()["detail"]
    confirmed = scheduling_event("rvi.inspection.ready.v1", ready(session, clock))
    await publish(confirmed)
    await eventually(lambda: processed(db, confirmed.id), "the new ready event")
    response = await client.post(url, headers=tokens.header(tokens.officer()))
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["slot_start"]) == new_slot


async def test_an_inspection_requested_scheduled_and_ready_in_one_batch_is_applied_in_that_batch(
    producer: AIOKafkaProducer,
    scheduling_event: MakeEvent,
    clock: ManualClock,
    wait_for_session: Callable[..., Awaitable[dict[str, Any]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A replay or a backlog hands the consumer an inspection's events together: the projection
    # row the first one adds is seen by the next ones (the batch was rolled back and replayed
    # event by event: "scheduled for inspection ... never requested").
    inspection_id = str(uuid.uuid4())
    now = clock.now()
    events = [
        scheduling_event(type_name, data)
        for type_name, data in session_opening_events(
            inspection_id, f"ENT-{uuid.uuid4().hex[:8]}", now, now + timedelta(days=3), ()
        )
    ]
    caplog.set_level(logging.INFO, logger="rvi_shared.messaging.consumer")
    sent = [await producer.send(topic_for(e.type), value=e.to_json(), key=inspection_id.encode()) for e in events]
    await asyncio.gather(*sent)
    session = await wait_for_session(inspection_id)
    assert session["state"] == "open"
    assert not [r for r in caplog.records if "rolled back" in r.getMessage()]
