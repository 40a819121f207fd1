"""The outbox: writes are accepted while the broker is away, and an emptied broker is refilled."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.testing import eventually, read_topic
from rvi_shared.clock import SystemClock
from rvi_shared.db import asyncpg_dsn
from rvi_shared.events import payloads as p
from rvi_shared.events.registry import UnknownEventType
from rvi_shared.messaging.outbox import Outbox
from rvi_shared.messaging.relay import OutboxRelay

TOPIC = "rvi.enterprises"


def enterprise_updated(enterprise_id: str) -> p.EnterpriseUpdated:
    return p.EnterpriseUpdated(enterprise_id=enterprise_id, effective_from=datetime.now(UTC), can_cooperate=True)


async def write_events(sessions: async_sessionmaker[AsyncSession], outbox: Outbox, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        enterprise_id = f"E-{uuid.uuid4().hex[:8]}"
        async with sessions() as session, session.begin():
            event = await outbox.emit(
                session, enterprise_updated(enterprise_id), subject=enterprise_id, time=datetime.now(UTC)
            )
        ids.append(event.id)
    return ids


@asynccontextmanager
async def running_relay(relay: OutboxRelay) -> AsyncIterator[OutboxRelay]:
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


def make_relay(schema, sessions, messaging_db: str, broker: EmbeddedBroker) -> tuple[Outbox, OutboxRelay]:
    outbox = Outbox(schema.tables, "test", schema.schema)
    relay = OutboxRelay(
        service="test",
        outbox=outbox,
        sessions=sessions,
        database_url=messaging_db,
        bootstrap=broker.bootstrap,
        clock=SystemClock(),
        partitions=3,
        poll_interval_s=0.5,
        check_interval_s=0.5,
    )
    return outbox, relay


async def unsent(sessions: async_sessionmaker[AsyncSession], schema) -> int:
    t = schema.tables.outbox
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(t).where(t.c.sent_at.is_(None)))


async def published_ids(bootstrap: str, want: int) -> set[str]:
    return {json.loads(r.value)["id"] for r in await read_topic(bootstrap, TOPIC, want)}


async def test_events_written_while_broker_is_down_are_delivered_when_it_returns(
    schema, sessions, messaging_db: str, own_broker: EmbeddedBroker
) -> None:
    outbox, relay = make_relay(schema, sessions, messaging_db, own_broker)
    async with running_relay(relay):
        first = await write_events(sessions, outbox, 2)
        await eventually(lambda: _none_unsent(sessions, schema), "first events published")
        own_broker.stop()
        during_outage = await write_events(sessions, outbox, 5)
        await asyncio.sleep(1.0)
        assert await unsent(sessions, schema) == 5, "the writes were accepted and are waiting"
        own_broker.start()
        await eventually(lambda: _none_unsent(sessions, schema), "outage events published", timeout_s=30)
    # The restarted broker lost the first two (memory storage); the relay refilled it.
    got = await published_ids(own_broker.bootstrap, 7)
    assert set(during_outage) <= got
    assert set(first) <= got


async def test_an_emptied_broker_is_refilled_from_retained_rows(
    schema, sessions, messaging_db: str, own_broker: EmbeddedBroker
) -> None:
    outbox, relay = make_relay(schema, sessions, messaging_db, own_broker)
    async with running_relay(relay):
        ids = await write_events(sessions, outbox, 4)
        await eventually(lambda: _none_unsent(sessions, schema), "published")
        assert await published_ids(own_broker.bootstrap, 4) == set(ids)
        own_broker.restart()
        got = await eventually(lambda: _ids_if_complete(own_broker.bootstrap, ids), "republished", timeout_s=30)
    assert got >= set(ids)


async def _none_unsent(sessions, schema) -> bool:
    return await unsent(sessions, schema) == 0


async def _ids_if_complete(bootstrap: str, ids: list[str]) -> set[str] | None:
    try:
        got = {json.loads(r.value)["id"] for r in await read_topic(bootstrap, TOPIC, len(ids), timeout_s=2)}
    except Exception:
        return None
    return got if got >= set(ids) else None


async def test_an_intact_broker_is_not_refilled(
    schema, sessions, messaging_db: str, own_broker: EmbeddedBroker
) -> None:
    """Many rows go out in one batch; the loss check must not mistake the broker for emptied."""
    outbox, relay = make_relay(schema, sessions, messaging_db, own_broker)
    async with sessions() as session, session.begin():
        for i in range(30):
            await outbox.emit(session, enterprise_updated(f"E-{i}"), subject="E-same", time=datetime.now(UTC))
    async with running_relay(relay):
        await eventually(lambda: _none_unsent(sessions, schema), "published")
        await asyncio.sleep(2.0)  # four loss checks
    records = await read_topic(own_broker.bootstrap, TOPIC, 31, timeout_s=3)
    assert len(records) == 30, "published once, never re-queued"


async def test_the_payload_names_the_event_type(schema, sessions: async_sessionmaker[AsyncSession]) -> None:
    outbox = Outbox(schema.tables, "test", schema.schema)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        event = await outbox.emit(session, enterprise_updated("E-typed"), subject="E-typed", time=now)
        stored = (await session.execute(select(schema.tables.outbox.c.event_type))).scalars().all()
        with pytest.raises(UnknownEventType, match="Officer is the payload of no event type"):
            await outbox.emit(
                session, p.Officer(officer_id="O1", name="Li", credential_no="C1"), subject="O1", time=now
            )
    assert event.type == "rvi.enterprise.updated.v1"
    assert stored == ["rvi.enterprise.updated.v1"]


async def test_a_relay_publishes_nothing_while_another_holds_the_service_lock(
    schema, sessions, messaging_db: str, own_broker: EmbeddedBroker
) -> None:
    """One relay per service at a time keeps per-key order: the lock is taken in the batch query."""
    outbox, relay = make_relay(schema, sessions, messaging_db, own_broker)
    await write_events(sessions, outbox, 3)
    other = await asyncpg.connect(asyncpg_dsn(messaging_db))
    try:
        await other.execute("SELECT pg_advisory_lock($1)", relay._lock_id)
        await relay._ensure_producer()
        assert await relay.publish_batch() == 0
        assert await unsent(sessions, schema) == 3
        await other.execute("SELECT pg_advisory_unlock($1)", relay._lock_id)
        assert await relay.publish_batch() == 3
        assert await unsent(sessions, schema) == 0
    finally:
        await relay._drop_producer()
        await other.close()
