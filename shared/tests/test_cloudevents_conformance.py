"""The Kafka binding through the real broker (a header name that is not UTF-8 included): events written by the official `cloudevents` SDK in
binary and structured mode, and the specification's examples, are handled by the consumer; the
faulty ones go to the DLQ with their reason, and the partition is never stuck (the last, valid
event after every fault is handled)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import pytest
from aiokafka.producer import message_accumulator
from aiokafka.producer import producer as producer_module
from aiokafka.record import default_records
from cloudevents.core.bindings.kafka import to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from sqlalchemy import insert, select

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.testing import eventually, read_topic
from rvi_shared.events import payloads as p
from rvi_shared.messaging.consumer import EventConsumer, HandlerRegistry
from rvi_shared.messaging.kafka import ensure_topics, make_producer

TOPIC = "rvi.enterprises"
TYPE = "rvi.enterprise.updated.v1"
NOW = "2026-01-02T03:04:05+08:00"


def data(enterprise_id: str) -> dict[str, Any]:
    return {"enterprise_id": enterprise_id, "effective_from": NOW, "can_cooperate": True}


def sdk(mode: str, enterprise_id: str, **attributes: Any) -> tuple[bytes, list[tuple[str, bytes]]]:
    event = SdkEvent({"type": TYPE, "source": "/sdk", "subject": enterprise_id, **attributes}, data(enterprise_id))
    message = (to_binary if mode == "binary" else to_structured)(event, JSONFormat())
    return message.value, list(message.headers.items())


def structured(
    document: dict[str, Any], content_type: bytes = b"application/cloudevents+json"
) -> tuple[bytes, list[tuple[str, bytes]]]:
    return json.dumps(document).encode(), [("content-type", content_type)]


def spec_like(enterprise_id: str, **changes: Any) -> dict[str, Any]:
    document = {
        "specversion": "1.0",
        "type": TYPE,
        "source": "/mycontext",
        "id": str(uuid.uuid4()),
        "subject": enterprise_id,
        "comexampleextension1": "value",
        "data": data(enterprise_id),
        **changes,
    }
    return {k: v for k, v in document.items() if v != "absent"}


@asynccontextmanager
async def running_consumer(
    name: str, registry: HandlerRegistry, schema: Any, sessions: Any, bootstrap: str
) -> AsyncIterator[None]:
    """The consumer runner on `registry`, with a new consumer group, until the block ends."""
    consumer = EventConsumer(
        name=f"{name}-{uuid.uuid4().hex[:6]}",
        service="test",
        registry=registry,
        sessions=sessions,
        tables=schema.tables,
        bootstrap=bootstrap,
        retry_backoff_s=0.01,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_conformance_through_the_broker(schema, sessions, own_broker: EmbeddedBroker) -> None:
    base64_doc = spec_like("E-b64", datacontenttype="application/json")
    base64_doc["data_base64"] = base64.b64encode(json.dumps(base64_doc.pop("data")).encode()).decode()
    good = {
        "E-sdk-binary": sdk("binary", "E-sdk-binary"),
        "E-sdk-structured": sdk("structured", "E-sdk-structured"),
        "E-sdk-binary-no-time": _without_time(sdk("binary", "E-sdk-binary-no-time")),
        "E-no-time": structured(spec_like("E-no-time", time="absent")),
        "E-null-time": structured(spec_like("E-null-time", time=None, datacontenttype=None)),
        "E-b64": structured(base64_doc),
        "E-charset": structured(spec_like("E-charset"), b"Application/CloudEvents+JSON; charset=UTF-8"),
    }
    value, headers = sdk("binary", "E-dup")
    bad = [
        ("duplicated header", (value, [*headers, ("ce_id", b"again")]), "more than once"),
        ("header not UTF-8", (value, [*headers, ("ce_comexample", b"\xff\xfe")]), "not UTF-8"),
        ("bad extension name", structured(spec_like("E-ext", **{"Com.Example": "x"})), "extension attribute name"),
        ("compact time", structured(spec_like("E-time", time="20260102030405")), "RFC 3339"),
        ("value not UTF-8", (b'{"id": "\xff"}', [("content-type", b"application/cloudevents+json")]), "not UTF-8"),
    ]
    records = [*good.values(), *(record for _, record, _ in bad), sdk("structured", "E-last")]
    await ensure_topics(own_broker.bootstrap, 3)
    producer = make_producer(own_broker.bootstrap)
    await producer.start()
    try:
        for value, headers in records:
            await producer.send_and_wait(TOPIC, value=value, key=b"same-partition", headers=headers)
    finally:
        await producer.stop()

    handled: dict[str, datetime] = {}
    registry = HandlerRegistry()

    @registry.on(p.EnterpriseUpdated)
    async def record_effect(session, event, payload: Any) -> None:
        handled[payload.enterprise_id] = event.time
        await session.execute(insert(schema.effects).values(event_id=event.id, note=payload.enterprise_id))

    async with running_consumer("conformance", registry, schema, sessions, own_broker.bootstrap):

        async def all_handled() -> bool:
            async with sessions() as session:
                notes = set((await session.scalars(select(schema.effects.c.note))).all())
            return notes >= {*good, "E-last"}

        await eventually(all_handled, "every valid event handled, the last one after the faults", timeout_s=60)
    assert all(time is not None and time.tzinfo is not None for time in handled.values()), "time filled in"
    dead = await read_topic(own_broker.bootstrap, f"{TOPIC}.dlq", len(bad))
    assert len(dead) == len(bad)
    for record, (name, _, reason) in zip(dead, bad, strict=True):
        error = [v for k, v in record.headers if k == "error"][-1].decode()
        assert reason in error, (name, error)


def _without_time(record: tuple[bytes, list[tuple[str, bytes]]]) -> tuple[bytes, list[tuple[str, bytes]]]:
    value, headers = record
    return value, [(k, v) for k, v in headers if k != "ce_time"]


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

    @registry.on(p.EnterpriseUpdated)
    async def record_effect(session, event, payload: Any) -> None:
        await session.execute(insert(schema.effects).values(event_id=event.id, note=payload.enterprise_id))

    async with running_consumer("header-names", registry, schema, sessions, own_broker.bootstrap):

        async def handled() -> set[str] | None:
            async with sessions() as session:
                notes = set((await session.scalars(select(schema.effects.c.note))).all())
            return notes if {"E-before", "E-after"} <= notes else None

        notes = await eventually(handled, "the events around the faulty one handled", timeout_s=60)
    assert "E-bad-name" not in notes
    dead = await read_topic(own_broker.bootstrap, f"{TOPIC}.dlq", 1)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert "header name is not UTF-8" in headers["error"].decode(), headers
    assert (headers["error.topic"], headers["error.offset"]) == (TOPIC.encode(), b"1")  # its coordinates
