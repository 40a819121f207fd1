"""The consumer runner: idempotent effects, bounded retries, and the dead-letter topic."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.testing import eventually, read_topic
from rvi_shared.events import new_event
from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent
from rvi_shared.events.registry import UnknownEventType
from rvi_shared.messaging.consumer import EventConsumer, HandlerRegistry
from rvi_shared.messaging.kafka import ensure_topics, make_producer

TOPIC = "rvi.enterprises"
TYPE = "rvi.enterprise.updated.v1"
consumers: list[EventConsumer] = []  # the last one `consuming` started, for a look at its fetcher


def valid_event(enterprise_id: str) -> bytes:
    data = p.EnterpriseUpdated(enterprise_id=enterprise_id, effective_from=datetime.now(UTC), can_cooperate=True)
    return new_event(type=TYPE, source="/tests", subject=enterprise_id, data=data, time=datetime.now(UTC)).to_json()


@asynccontextmanager
async def consuming(
    schema, sessions, broker: EmbeddedBroker, fail_for: set[str] | None = None, **options: Any
) -> AsyncIterator[list[int]]:
    calls: list[int] = []
    registry = HandlerRegistry()

    @registry.on(p.EnterpriseUpdated)
    async def record_effect(session, event, payload: Any) -> None:
        calls.append(payload.enterprise_id)
        if fail_for and payload.enterprise_id in fail_for:
            raise RuntimeError(f"cannot handle {payload.enterprise_id}")
        await session.execute(insert(schema.effects).values(event_id=event.id, note=payload.enterprise_id))

    consumer = EventConsumer(
        name=f"test-{uuid.uuid4().hex[:6]}",
        service="test",
        registry=registry,
        sessions=sessions,
        tables=schema.tables,
        bootstrap=broker.bootstrap,
        max_retries=3,
        retry_backoff_s=0.01,
        **options,
    )
    consumers.append(consumer)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield calls
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def publish(broker: EmbeddedBroker, *values: bytes, key: bytes = b"k") -> None:
    await ensure_topics(broker.bootstrap, 3)
    producer = make_producer(broker.bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(TOPIC, value=value, key=key)
    finally:
        await producer.stop()


async def effect_count(sessions, schema) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(schema.effects))


async def test_the_same_event_delivered_twice_has_one_effect(schema, sessions, own_broker: EmbeddedBroker) -> None:
    event = valid_event("E-dup")
    later = valid_event("E-after")
    await publish(own_broker, event, event, later)
    async with consuming(schema, sessions, own_broker) as calls:
        await eventually(lambda: _count_is(sessions, schema, 2), "two effects")
        await asyncio.sleep(0.5)
    assert await effect_count(sessions, schema) == 2
    assert sorted(calls) == ["E-after", "E-dup"], "the duplicate never reached the handler"


async def test_malformed_and_unknown_events_go_to_the_dlq_and_the_consumer_goes_on(
    schema, sessions, own_broker: EmbeddedBroker
) -> None:
    unknown = json.loads(valid_event("E-x"))
    unknown["type"] = "rvi.enterprise.exploded.v1"
    missing_field = json.loads(valid_event("E-y"))
    del missing_field["data"]["enterprise_id"]
    await publish(
        own_broker,
        b"{this is not json",
        json.dumps(unknown).encode(),
        json.dumps(missing_field).encode(),
        valid_event("E-good"),
    )
    async with consuming(schema, sessions, own_broker):
        await eventually(lambda: _count_is(sessions, schema, 1), "the good event handled after the bad ones")
    dead = await read_topic(own_broker.bootstrap, f"{TOPIC}.dlq", 3)
    reasons = [dict(r.headers)["error"].decode() for r in dead]
    assert len(dead) == 3
    assert "invalid CloudEvent" in reasons[0]
    assert "unknown event type 'rvi.enterprise.exploded.v1'" in reasons[1]
    assert "data.enterprise_id" in reasons[2]
    assert dead[0].value == b"{this is not json", "the original bytes are kept"


async def test_a_failing_handler_is_retried_then_dead_lettered(schema, sessions, own_broker: EmbeddedBroker) -> None:
    await publish(own_broker, valid_event("E-poison"), valid_event("E-fine"))
    async with consuming(schema, sessions, own_broker, fail_for={"E-poison"}) as calls:
        await eventually(lambda: _count_is(sessions, schema, 1), "the next event handled")
        await asyncio.sleep(0.5)
    dead = await read_topic(own_broker.bootstrap, f"{TOPIC}.dlq", 1)
    headers = dict(dead[0].headers)
    assert headers["error.attempts"] == b"3"
    assert b"cannot handle E-poison" in headers["error"]
    # A batch holding the poison event rolls back whole and is replayed one by one:
    # three attempts for the poison event, and the good one's effect exactly once.
    assert calls.count("E-poison") in (3, 4)
    assert await effect_count(sessions, schema) == 1


async def _count_is(sessions, schema, n: int) -> bool:
    return await effect_count(sessions, schema) == n


async def test_an_idle_consumer_fetches_with_the_long_wait_and_a_busy_one_with_the_short(
    schema, sessions, own_broker: EmbeddedBroker
) -> None:
    """The broker holds each fetch for its whole wait: polling every 20 ms only while records flow."""

    def wait_ms() -> int | None:
        consumer = consumers[-1]._consumer
        return consumer._fetcher._fetch_max_wait_ms if consumer is not None else None

    async with consuming(
        schema, sessions, own_broker, fetch_max_wait_ms=20, idle_fetch_max_wait_ms=300, idle_after_s=0.5
    ) as calls:
        await eventually(lambda: _async(wait_ms() == 300), "idle: the long wait")
        await publish(own_broker, valid_event("E-busy"))
        await eventually(lambda: _async("E-busy" in calls), "handled")
        assert wait_ms() == 20
        await eventually(lambda: _async(wait_ms() == 300), "idle again")


async def _async(value: bool) -> bool:
    return value


def test_a_handler_is_bound_by_its_payload_model() -> None:
    registry = HandlerRegistry()

    @registry.on(p.EnterpriseUpdated)
    async def updated(session: Any, event: Any, payload: p.EnterpriseUpdated) -> None:
        return None

    assert registry.handlers == {TYPE: updated}
    assert registry.topics() == ["rvi.enterprises"]
    with pytest.raises(ValueError, match="has a handler already"):
        registry.on(p.EnterpriseUpdated)(updated)
    with pytest.raises(UnknownEventType, match="CloudEvent is the payload of no event type"):
        registry.on(CloudEvent)  # type: ignore[arg-type]
