"""Prints CloudEvents as they pass, as any Kafka client would read them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from rvi_shared.events import EnvelopeError, parse_event
from rvi_shared.events.registry import TOPICS


async def watch_events(
    bootstrap: str, stop: asyncio.Event, say: Callable[[str], None], subjects: set[str] | None = None
) -> None:
    consumer = AIOKafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, auto_offset_reset="latest", group_id=None)
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    try:
                        event = parse_event(record.value or b"")
                    except EnvelopeError:
                        continue
                    if subjects is not None and event.subject not in subjects:
                        continue
                    say(f"  event  {event.time:%Y-%m-%d %H:%M} {record.topic:<16} {event.type}")
    finally:
        await consumer.stop()
