"""A record whose header NAME is not UTF-8, produced on the real broker: aiokafka decodes header
names itself while fetching, so the consumer must dead-letter the record with the reason and go
on with the partition (the events before and after it are handled)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiokafka.producer import message_accumulator
from aiokafka.producer import producer as producer_module
from aiokafka.record import default_records
from sqlalchemy import insert, select

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.testing import eventually, read_topic
from rvi_shared.messaging.consumer import EventConsumer, HandlerRegistry
from rvi_shared.messaging.kafka import ensure_topics, make_producer

TOPIC = "rvi.enterprises"
TYPE = "rvi.enterprise.updated.v1"


class RawHeaderName(str):
    """A header name whose wire bytes are given as is (Kafka header names are bytes on the wire;
    other clients write any bytes there)."""

    raw: bytes

    def __new__(cls, raw: bytes) -> RawHeaderName:
        name = super().__new__(cls, raw.decode("latin-1"))
        name.raw = raw
        return name

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self.raw


def event(enterprise_id: str) -> bytes:
    document = {
        "specversion": "1.0",
        "type": TYPE,
        "source": "/test",
        "id": str(uuid.uuid4()),
        "subject": enterprise_id,
        "time": "2026-01-02T03:04:05+08:00",
        "data": {
            "enterprise_id": enterprise_id,
            "name": "Cixi Fresh Food",
            "effective_from": "2026-01-02T03:04:05+08:00",
        },
    }
    return json.dumps(document).encode()


async def test_a_header_name_that_is_not_utf8_is_dead_lettered(
    schema, sessions, own_broker: EmbeddedBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiokafka's compiled batch builder encodes header names itself; its pure-Python twin writes
    # what `encode` returns, which lets the test put raw bytes on the wire.
    python_builder = default_records._DefaultRecordBatchBuilderPy
    monkeypatch.setattr(message_accumulator, "DefaultRecordBatchBuilder", python_builder)
    monkeypatch.setattr(producer_module, "DefaultRecordBatchBuilder", python_builder)
    content_type = [("content-type", b"application/cloudevents+json")]
    records: list[tuple[bytes, list[tuple[str, bytes]]]] = [
        (event("E-before"), content_type),
        (event("E-bad-name"), [*content_type, (RawHeaderName(b"ce_\xff\xfename"), b"x")]),
        (event("E-after"), content_type),
    ]
    await ensure_topics(own_broker.bootstrap, 3)
    producer = make_producer(own_broker.bootstrap)
    await producer.start()
    try:
        for value, headers in records:
            await producer.send_and_wait(TOPIC, value=value, key=b"same-partition", headers=headers)
    finally:
        await producer.stop()
    monkeypatch.undo()

    registry = HandlerRegistry()

    @registry.on(TYPE)
    async def record_effect(session, event, payload: Any) -> None:
        await session.execute(insert(schema.effects).values(event_id=event.id, note=payload.enterprise_id))

    consumer = EventConsumer(
        name=f"header-names-{uuid.uuid4().hex[:6]}",
        service="test",
        registry=registry,
        sessions=sessions,
        tables=schema.tables,
        bootstrap=own_broker.bootstrap,
        retry_backoff_s=0.01,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:

        async def handled() -> set[str] | None:
            async with sessions() as session:
                notes = set((await session.scalars(select(schema.effects.c.note))).all())
            return notes if {"E-before", "E-after"} <= notes else None

        notes = await eventually(handled, "the events around the faulty one handled", timeout_s=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert "E-bad-name" not in notes
    dead = await read_topic(own_broker.bootstrap, f"{TOPIC}.dlq", 1)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert "header name is not UTF-8" in headers["error"].decode(), headers
    assert (headers["error.topic"], headers["error.offset"]) == (TOPIC.encode(), b"1")  # its coordinates
