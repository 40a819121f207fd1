"""Prints CloudEvents as they pass, as any Kafka client would read them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from rvi_shared.events import CloudEvent, EnvelopeError, parse_event
from rvi_shared.events.registry import TOPICS

HOLD_S = 0.3


async def watch_events(bootstrap: str, stop: asyncio.Event, say: Callable[[str], None], subjects: set[str]) -> None:
    """Events of `subjects`, printed in event-time order: topics are read in parallel, so a
    short hold lets an effect's cause, read from another topic, be printed first."""
    consumer = AIOKafkaConsumer(
        *TOPICS, bootstrap_servers=bootstrap, auto_offset_reset="latest", group_id=None, fetch_max_wait_ms=50
    )
    await consumer.start()
    held: list[tuple[float, CloudEvent, str]] = []
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            for records in batches.values():
                for record in records:
                    try:
                        event = parse_event(record.value or b"")
                    except EnvelopeError:
                        continue
                    if event.subject in subjects:
                        held.append((time.monotonic(), event, record.topic))
            ripe = [h for h in held if time.monotonic() - h[0] >= HOLD_S]
            held = [h for h in held if time.monotonic() - h[0] < HOLD_S]
            for _, event, topic in sorted(ripe, key=lambda h: h[1].time):
                say(f"  event  {event.time:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f"  {topic:<16} {event.type}")
    finally:
        await consumer.stop()
