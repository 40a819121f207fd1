"""The Kafka binding through the real broker: events written by the official `cloudevents` SDK in
binary and structured mode, and the specification's examples, are handled by the consumer; the
faulty ones go to the DLQ with their reason, and the partition is never stuck (the last, valid
event after every fault is handled)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import datetime
from typing import Any

from cloudevents.core.bindings.kafka import to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from sqlalchemy import insert, select

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.testing import eventually, read_topic
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

    @registry.on(TYPE)
    async def record_effect(session, event, payload: Any) -> None:
        handled[payload.enterprise_id] = event.time
        await session.execute(insert(schema.effects).values(event_id=event.id, note=payload.enterprise_id))

    consumer = EventConsumer(
        name=f"conformance-{uuid.uuid4().hex[:6]}",
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

        async def all_handled() -> bool:
            async with sessions() as session:
                notes = set((await session.scalars(select(schema.effects.c.note))).all())
            return notes >= {*good, "E-last"}

        await eventually(all_handled, "every valid event handled, the last one after the faults", timeout_s=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert all(time is not None and time.tzinfo is not None for time in handled.values()), "time filled in"
    dead = await read_topic(own_broker.bootstrap, f"{TOPIC}.dlq", len(bad))
    assert len(dead) == len(bad)
    for record, (name, _, reason) in zip(dead, bad, strict=True):
        error = [v for k, v in record.headers if k == "error"][-1].decode()
        assert reason in error, (name, error)


def _without_time(record: tuple[bytes, list[tuple[str, bytes]]]) -> tuple[bytes, list[tuple[str, bytes]]]:
    value, headers = record
    return value, [(k, v) for k, v in headers if k != "ce_time"]
